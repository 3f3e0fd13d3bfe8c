//go:build tools

// Package tools pins the JobSet controller built by ../build.sh, so that `go mod tidy` keeps its
// dependencies in go.sum.
package tools

import _ "sigs.k8s.io/jobset"
