#!/usr/bin/env bash
# Builds (once) the environment of the frameworks test tier: torch, JAX and XGBoost from
# requirements-frameworks.txt, in a venv cached under ~/.cache/kubeflow-sdk-cpp/frameworks/<key>,
# where <key> hashes that file and the Python version. Idempotent: a complete environment (marked
# ready only after pip succeeded) is reused; a half-built one is rebuilt. Concurrent runs wait on
# a lock. Prints the environment's interpreter on its last line.
#   PYTHON: the base interpreter (default: .venv's, so the built extension matches its ABI).
#   KUBEFLOW_CACHE_DIR: the cache root (default ~/.cache/kubeflow-sdk-cpp).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python_bin="${PYTHON:-.venv/bin/python}"
requirements=requirements-frameworks.txt
version="$("$python_bin" -c 'import sys; print(sys.version.split()[0])')"
key="$({ cat "$requirements"; echo "python $version"; } | sha256sum | cut -c1-16)"
root="${KUBEFLOW_CACHE_DIR:-$HOME/.cache/kubeflow-sdk-cpp}/frameworks"
env_dir="$root/$key"
mkdir -p "$root"

exec 9>"$root/$key.lock"
flock 9
if [[ ! -f $env_dir/.ready ]]; then
  echo "frameworks env: installing $requirements into $env_dir (cold: a few minutes)" >&2
  rm -rf "$env_dir"
  start=$SECONDS
  "$python_bin" -m venv "$env_dir"
  # No progress bars in CI logs; the wheels are cached by pip's own cache as usual.
  "$env_dir/bin/python" -m pip install -q --progress-bar off --disable-pip-version-check \
    -r "$requirements" >&2
  cp "$requirements" "$env_dir/.ready"
  echo "frameworks env: installed in $((SECONDS - start)) s, $(du -sh "$env_dir" | cut -f1)" >&2
fi
echo "$env_dir/bin/python"
