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
state_dir=build/bench/cluster
control_plane=(.venv/bin/python -m tests.support.control_plane --state-dir "$state_dir")
# BENCH_KEEP_CLUSTER=1 leaves it running: the next run reuses it and its bench-list-<N> objects.
if [[ ${BENCH_KEEP_CLUSTER:-0} != 1 ]]; then
  trap '"${control_plane[@]}" down >/dev/null 2>&1 || true' EXIT
fi
kubeconfig="$("${control_plane[@]}" up 2>/dev/null | tail -n 1)"
.venv/bin/python bench/suite.py --kubeconfig "$kubeconfig" --state-dir "$state_dir" \
  --upstream-python build/bench/upstream-venv/bin/python --ours-python .venv/bin/python \
  --plot-python build/bench/plot-venv/bin/python "$@"
