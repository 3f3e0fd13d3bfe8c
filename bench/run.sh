#!/usr/bin/env bash
# Benchmarks our SDK against the upstream `kubeflow` SDK (installed from PyPI into its own venv)
# on the test control plane. Usage: bench/run.sh [--jobs N] [--repeats K]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
scripts/build.sh >/dev/null
upstream_venv=build/bench/upstream-venv
if [[ ! -x $upstream_venv/bin/python ]]; then
  python3 -m venv "$upstream_venv"
  "$upstream_venv/bin/python" -m pip install -q --disable-pip-version-check "kubeflow==0.5.0"
fi
state_dir=build/bench/cluster
control_plane=(.venv/bin/python -m tests.support.control_plane --state-dir "$state_dir")
trap '"${control_plane[@]}" down >/dev/null 2>&1 || true' EXIT
kubeconfig="$("${control_plane[@]}" up 2>/dev/null | tail -n 1)"
.venv/bin/python bench/bench_client.py --kubeconfig "$kubeconfig" \
  --upstream-python "$upstream_venv/bin/python" --ours-python .venv/bin/python "$@"
