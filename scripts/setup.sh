#!/usr/bin/env bash
# Installs everything the build and the tests need; safe to run again (it skips what is there).
#   Debian packages: compilers and the C++ libraries the core links against.
#   .venv: a virtual environment with the Python build and test tools.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

apt_packages=(
  build-essential cmake ninja-build pkg-config openssl
  nlohmann-json3-dev libcurl4-openssl-dev libssl-dev libfmt-dev catch2 libyaml-cpp-dev
  pybind11-json-dev
  clang-format clang-tidy
  # Sanitizer and fuzzing builds (scripts/sanitize.sh, scripts/fuzz.sh): clang's libFuzzer and
  # sanitizer runtimes; gcc's come with build-essential.
  clang-14 libclang-rt-14-dev
  ccache  # fresh clones rebuild every tree: objects are reused from ~/.cache/ccache
  # The container backend's tier (tests/python/container): rootful podman with runc, netavark
  # networks with aardvark-dns (nodes resolve each other by name); docs/container-backend.md.
  podman conmon runc netavark aardvark-dns catatonit
)
# The wheel's lean libcurl and nghttp2 sources are fetched once with cargo (scripts/wheel-deps.sh);
# Debian's cargo when no rustup cargo is there.
if ! command -v cargo >/dev/null && [[ ! -x $HOME/.cargo/bin/cargo ]]; then
  apt_packages+=(cargo)
fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

python_bin="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv with $("$python_bin" --version)"
  "$python_bin" -m venv .venv
fi
stamp=.venv/.requirements-stamp
requirements=(requirements-dev.txt requirements-docs.txt)  # docs: Sphinx, notebook execution
if [[ ! -f $stamp ]] || ! cat "${requirements[@]}" | cmp -s - "$stamp"; then
  echo "setup: installing Python tools from ${requirements[*]}"
  .venv/bin/python -m pip install -q --disable-pip-version-check "${requirements[@]/#/-r}"
  cat "${requirements[@]}" >"$stamp"
fi
