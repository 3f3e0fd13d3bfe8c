#!/usr/bin/env bash
# Builds the clean-machine image of the wheel tier (tests/python/wheel) from Debian packages,
# without any image registry, into a cache and prints the path of its docker-archive last:
#   clean.tar  Debian's python3 and python3-venv, nothing else: no libcurl, no yaml-cpp, no fmt,
#              no OpenSSL development files, no compiler. What a user's laptop or pipeline
#              image has before `pip install kubeflow`.
# Needs root (mmdebstrap --mode=root) and a Debian mirror. Cached like build.sh's images, under
# the same root: the archive is keyed by the mmdebstrap arguments and this script's inputs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
suite="${KFT_IMAGE_SUITE:-bookworm}"
packages=python3,python3-venv
# dpkg never unpacks docs, man pages or translations; apt's lists and caches are dropped.
mmdebstrap_args=(--quiet --variant=minbase --mode=root --include="$packages"
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*'
  "$suite")
key="$({ printf '%s\n' "${mmdebstrap_args[@]}"; cat "$here/clean-machine.sh" \
  "$here/docker_archive.py"; } | sha256sum | cut -c1-16)"
cache_root="${KFT_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubeflow-sdk-cpp/images}"
out_dir="$cache_root/clean-$suite-$key"

if [[ -f $out_dir/clean.tar ]]; then
  echo "$out_dir/clean.tar"
  exit 0
fi
# One build at a time per cache (build.sh takes the same lock).
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9
if [[ -f $out_dir/clean.tar ]]; then
  echo "$out_dir/clean.tar"
  exit 0
fi
tmp_dir="$(mktemp -d "$cache_root/.tmp.XXXXXX")"
trap 'rm -rf "$tmp_dir"' EXIT
start=$SECONDS
echo "images: building the clean-machine root filesystem from Debian $suite ($packages)" >&2
mmdebstrap "${mmdebstrap_args[@]}" "$tmp_dir/rootfs.tar" >&2
python3 "$here/docker_archive.py" "$tmp_dir/clean.tar" "$tmp_dir/rootfs.tar" \
  --tag kubeflow-sdk-cpp/clean:"$key" \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env PYTHONUNBUFFERED=1
rm -f "$tmp_dir/rootfs.tar"
rm -rf "$out_dir"
mv "$tmp_dir" "$out_dir"
trap - EXIT
echo "images: clean-machine image built in $((SECONDS - start)) s ($(du -sh "$out_dir" | cut -f1))" >&2
echo "$out_dir/clean.tar"
