#!/usr/bin/env bash
# The whole benchmark (`make bench`): our SDK, upstream `kubeflow` 0.5.0 (PyPI, own venv) and the
# floor (bench/floor.py), on the test control plane of its own; rewrites docs/benchmarks.md and
# docs/benchmarks.png. Usage: bench/run.sh [suite options: --sizes 100 1000 5000 --repeats 5 ...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
scripts/build.sh >/dev/null
venv() {  # venv DIR PACKAGE...: a bench-only venv, made once
  if [[ ! -x $1/bin/python ]]; then
    python3 -m venv "$1"
    "$1/bin/python" -m pip install -q --disable-pip-version-check "${@:2}"
  fi
}
venv build/bench/upstream-venv "kubeflow==0.5.0"
venv build/bench/plot-venv matplotlib
# Ours is measured as users install it: the wheel of `make wheel` (curl and OpenSSL linked in,
# few shared libraries to load) when build/wheelhouse/ holds one for this interpreter, installed
# into a venv of its own (again whenever the wheel changes); else the dev build (python/ with the
# extension of build/dev). The report says which.
ours_python=.venv/bin/python ours_build=dev
tag="$(python3 -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
wheels=(build/wheelhouse/kubeflow-*-"$tag"-*.whl)  # the pattern itself when none matches
wheel=${wheels[0]}
if [[ -f $wheel ]]; then
  wheel_venv=build/bench/wheel-venv
  if ! cmp -s "$wheel" "$wheel_venv/installed.whl"; then
    rm -rf "$wheel_venv"
    # PyYAML for bench/floor.py, which measure.py also runs in ours' interpreter to count the
    # API server's requests; the SDK itself does not import it.
    venv "$wheel_venv" "$wheel" pyyaml
    cp "$wheel" "$wheel_venv/installed.whl"
  fi
  ours_python=$wheel_venv/bin/python ours_build="wheel $(basename "$wheel")"
fi
# Bytecode up front, as pip writes it at install: with PYTHONDONTWRITEBYTECODE set, the dev build
# and the floor would otherwise be compiled from source in every measured process.
.venv/bin/python -m compileall -q python/kubeflow bench
state_dir=build/bench/cluster
control_plane=(.venv/bin/python -m tests.support.control_plane --state-dir "$state_dir")
# BENCH_KEEP_CLUSTER=1 leaves it running: the next run reuses it and its bench-list-<N> objects.
if [[ ${BENCH_KEEP_CLUSTER:-0} != 1 ]]; then
  trap '"${control_plane[@]}" down >/dev/null 2>&1 || true' EXIT
fi
kubeconfig="$("${control_plane[@]}" up 2>/dev/null | tail -n 1)"
.venv/bin/python bench/suite.py --kubeconfig "$kubeconfig" --state-dir "$state_dir" \
  --upstream-python build/bench/upstream-venv/bin/python --ours-python "$ours_python" \
  --ours-build "$ours_build" --floor-python .venv/bin/python \
  --plot-python build/bench/plot-venv/bin/python "$@"
