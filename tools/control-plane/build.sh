#!/usr/bin/env bash
# Builds kube-apiserver and etcd from this Go module into a cache keyed by
# versions, and prints the directory holding them. A cache hit builds nothing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k8s_version="$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")"
etcd_version="$(awk '$1=="go.etcd.io/etcd/server/v3" {print $2; exit}' "$here/go.mod")"
go_version="$(go env GOVERSION)"
cache_root="${KFT_CONTROL_PLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubeflow-sdk-cpp/control-plane}"
bin_dir="$cache_root/k8s-${k8s_version}_etcd-${etcd_version}_${go_version}"

have_binaries() { [[ -x "$bin_dir/kube-apiserver" && -x "$bin_dir/etcd" ]]; }
if have_binaries; then
  echo "$bin_dir"
  exit 0
fi
# One build at a time per cache: a second caller (another checkout, a parallel test run) waits
# for the first and then finds the binaries, instead of compiling the same packages again.
mkdir -p "$(dirname "$cache_root")"
exec 9>"$cache_root.lock"
flock 9
if have_binaries; then
  echo "$bin_dir"
  exit 0
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly"
minor="$(echo "$k8s_version" | cut -d. -f2)"
cv="-X k8s.io/component-base/version"
gv="-X k8s.io/client-go/pkg/version"
ldflags="-s -w $cv.gitVersion=$k8s_version $cv.gitMajor=1 $cv.gitMinor=$minor $cv.gitTreeState=clean"
ldflags+=" $gv.gitVersion=$k8s_version $gv.gitMajor=1 $gv.gitMinor=$minor $gv.gitTreeState=clean"

tmp_dir="$(mktemp -d "$cache_root.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$cache_root"; mktemp -d "$cache_root.tmp.XXXXXX"; })"
trap 'rm -rf "$tmp_dir"' EXIT
start=$SECONDS
cd "$here"
echo "control plane: building kube-apiserver $k8s_version and etcd $etcd_version (cold builds take several minutes)" >&2
go build -pgo=off -ldflags "$ldflags" -o "$tmp_dir/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -pgo=off -ldflags "-s -w" -o "$tmp_dir/etcd" go.etcd.io/etcd/server/v3
mkdir -p "$cache_root"
rm -rf "$bin_dir"
mv "$tmp_dir" "$bin_dir"
trap - EXIT
echo "control plane: built in $((SECONDS - start)) s" >&2
echo "$bin_dir"
