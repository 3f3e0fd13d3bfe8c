#!/usr/bin/env bash
# Builds the rest of a single-node cluster into a cache keyed by every pinned version and prints
# the directory holding the binaries. A cache hit builds nothing.
#   kubelet, kube-scheduler, kube-controller-manager: from tools/control-plane's module, so they
#     share kube-apiserver's exact k8s.io/kubernetes version and dependency graph;
#   CoreDNS and the Kubeflow Trainer controller manager: `go install` of their own modules at
#     exact versions (their `@latest` resolves wrongly);
#   the JobSet controller: from tools/cluster/jobset's module, which requires only it (its
#     `go install ...@version` fails: the proxy refuses the version list it checks).
# kube-apiserver and etcd stay in tools/control-plane/build.sh's cache (the fast test tier).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module_dir="$here/../control-plane"
coredns_version=v1.15.0
jobset_version="$(awk '$1=="require" && $2=="sigs.k8s.io/jobset" {print $3; exit}' "$here/jobset/go.mod")"
trainer_version=v2.3.0
k8s_version="$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$module_dir/go.mod")"
go_version="$(go env GOVERSION)"
cache_root="${KFT_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubeflow-sdk-cpp/cluster}"
key="k8s-${k8s_version}_coredns-${coredns_version}_jobset-${jobset_version}_trainer-${trainer_version}_${go_version}"
bin_dir="$cache_root/$key"
binaries=(kubelet kube-scheduler kube-controller-manager coredns jobset trainer-controller-manager)

have_binaries() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin_dir/$b" ]] || return 1; done
}
if have_binaries; then
  echo "$bin_dir"
  exit 0
fi
# One build at a time per cache (make test prepares the stack in the background while a person's
# `make cluster-up` may ask for it too): a second caller waits, then finds the binaries.
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9
if have_binaries; then
  echo "$bin_dir"
  exit 0
fi

export GOTOOLCHAIN=local CGO_ENABLED=0
minor="$(echo "$k8s_version" | cut -d. -f2)"
cv="-X k8s.io/component-base/version"
gv="-X k8s.io/client-go/pkg/version"
ldflags="-s -w $cv.gitVersion=$k8s_version $cv.gitMajor=1 $cv.gitMinor=$minor $cv.gitTreeState=clean"
ldflags+=" $gv.gitVersion=$k8s_version $gv.gitMajor=1 $gv.gitMinor=$minor $gv.gitTreeState=clean"

tmp_dir="$(mktemp -d "$cache_root/.tmp.XXXXXX")"
trap 'rm -rf "$tmp_dir"' EXIT
start=$SECONDS
step() {  # name, command...: runs one build and reports its duration on stderr
  local name=$1 t0=$SECONDS
  shift
  echo "cluster: building $name" >&2
  "$@"
  echo "cluster: $name built in $((SECONDS - t0)) s" >&2
}
(
  cd "$module_dir"
  for cmd in kubelet kube-scheduler kube-controller-manager; do
    step "$cmd $k8s_version" go build -trimpath -mod=readonly -pgo=off -ldflags "$ldflags" \
      -o "$tmp_dir/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  done
)
# Outside any module: each tool is built with its own pinned go.mod and go.sum.
(
  cd "$tmp_dir"
  export GOBIN="$tmp_dir" GOFLAGS="-trimpath"
  step "coredns $coredns_version" go install -ldflags "-s -w" "github.com/coredns/coredns@$coredns_version"
  step "trainer-controller-manager $trainer_version" go install -ldflags "-s -w" \
    "github.com/kubeflow/trainer/v2/cmd/trainer-controller-manager@$trainer_version"
)
(
  cd "$here/jobset"
  step "jobset $jobset_version" go build -trimpath -mod=readonly -ldflags "-s -w" \
    -o "$tmp_dir/jobset" sigs.k8s.io/jobset
)
rm -rf "$bin_dir"
mv "$tmp_dir" "$bin_dir"
trap - EXIT
echo "cluster: built in $((SECONDS - start)) s" >&2
echo "$bin_dir"
