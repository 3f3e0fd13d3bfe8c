#!/usr/bin/env bash
# Builds the node's images from Debian packages, without any image registry, into a cache and
# prints the directory holding them:
#   pause.tar     the pod sandbox image (a static C program, pause.c);
#   training.tar  python3 with numpy, torch (has torchrun) and xgboost, docs/man/locales left out,
#                 plus a layer fixing torchrun under Python 3.11 (fix_torchrun.py).
# Both are docker-archives for `ctr images import`; the harness tags the training image with the
# exact names the shipped runtimes use. Needs root (mmdebstrap --mode=root) and a Debian mirror.
# Two cache levels: the root filesystem (keyed by the mmdebstrap arguments; the slow part) and
# the archives (keyed by this directory's contents).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
suite="${KFT_IMAGE_SUITE:-bookworm}"
packages=python3,python-is-python3,python3-pip,python3-numpy,python3-torch,python3-xgboost,ca-certificates
# dpkg never unpacks docs, man pages or translations; apt's lists and caches are dropped.
mmdebstrap_args=(--quiet --variant=minbase --mode=root --include="$packages"
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*'
  "$suite")
rootfs_key="$(printf '%s\n' "${mmdebstrap_args[@]}" | sha256sum | cut -c1-16)"
key="$(cat "$here"/build.sh "$here"/pause.c "$here"/docker_archive.py "$here"/fix_torchrun.py \
  | sha256sum | cut -c1-16)"
cache_root="${KFT_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubeflow-sdk-cpp/images}"
rootfs="$cache_root/rootfs-$suite-$rootfs_key.tar"
out_dir="$cache_root/$suite-$key"

have_images() { [[ -f "$out_dir/pause.tar" && -f "$out_dir/training.tar" ]]; }
if have_images; then
  echo "$out_dir"
  exit 0
fi
# One build at a time per cache: make test builds the images in the background while the
# cluster's own `up` may ask for them; a second caller waits, then finds them.
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9
if have_images; then
  echo "$out_dir"
  exit 0
fi
tmp_dir="$(mktemp -d "$cache_root/.tmp.XXXXXX")"
trap 'rm -rf "$tmp_dir"' EXIT
start=$SECONDS

echo "images: building the pause image" >&2
mkdir -p "$tmp_dir/pause-root"
cc -static -O2 -s -o "$tmp_dir/pause-root/pause" "$here/pause.c"
tar --numeric-owner --owner=0 --group=0 -C "$tmp_dir/pause-root" -cf "$tmp_dir/pause-rootfs.tar" pause
python3 "$here/docker_archive.py" "$tmp_dir/pause.tar" "$tmp_dir/pause-rootfs.tar" \
  --tag kubeflow-sdk-cpp/pause:"$key" --entrypoint /pause

if [[ ! -f "$rootfs" ]]; then
  echo "images: building the training root filesystem from Debian $suite ($packages)" >&2
  t0=$SECONDS
  mmdebstrap "${mmdebstrap_args[@]}" "$tmp_dir/training-rootfs.tar" >&2
  mv "$tmp_dir/training-rootfs.tar" "$rootfs"
  echo "images: training root filesystem in $((SECONDS - t0)) s" >&2
fi

echo "images: fixing torchrun in a layer of its own" >&2
api=usr/lib/python3/dist-packages/torch/distributed/elastic/multiprocessing/api.py
mkdir -p "$tmp_dir/fix"
tar -C "$tmp_dir/fix" -xf "$rootfs" "./$api"
python3 "$here/fix_torchrun.py" "$tmp_dir/fix/$api"
tar --numeric-owner --owner=0 --group=0 -C "$tmp_dir/fix" -cf "$tmp_dir/fix.tar" ./usr
python3 "$here/docker_archive.py" "$tmp_dir/training.tar" "$rootfs" "$tmp_dir/fix.tar" \
  --tag kubeflow-sdk-cpp/training:"$key" \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env PYTHONUNBUFFERED=1
rm -rf "$tmp_dir/pause-root" "$tmp_dir/fix" "$tmp_dir"/*-rootfs.tar "$tmp_dir/fix.tar"
rm -rf "$out_dir"
mv "$tmp_dir" "$out_dir"
trap - EXIT
echo "images: built in $((SECONDS - start)) s ($(du -sh "$out_dir" | cut -f1))" >&2
echo "$out_dir"
