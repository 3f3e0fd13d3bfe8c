#!/usr/bin/env bash
# README's test command: builds, runs the static gates, then the Catch2 suite and every pytest suite.
# The integration tests use a real kube-apiserver + etcd (built once from Go modules and cached
# under ~/.cache) on loopback: this script starts it before the tests and always stops it.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/build.sh || exit 1

status=0
cluster_dir="$PWD/build/cluster-ci"
control_plane=(.venv/bin/python -m tests.support.control_plane --state-dir "$cluster_dir")

stop_cluster() { "${control_plane[@]}" down || true; }
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "== static gates (scripts/lint.sh)"
scripts/lint.sh || status=1

echo "== control plane"
"${control_plane[@]}" down >/dev/null 2>&1  # a leftover from an interrupted run
if kubeconfig="$("${control_plane[@]}" up | tail -n 1)" && [[ -f $kubeconfig ]]; then
  export KUBEFLOW_TEST_STATE_DIR="$cluster_dir"
  export KUBEFLOW_TEST_KUBECONFIG="$kubeconfig"
  echo "control plane up: KUBEFLOW_TEST_KUBECONFIG=$kubeconfig"
else
  # The tests still run: Catch2's integration cases skip, pytest's fixture tries on its own.
  echo "control plane: FAILED to start" >&2
  status=1
fi

echo "== Catch2 (ctest)"
ctest --test-dir build/dev --output-on-failure -j "$(nproc)" || status=1

echo "== pytest"
PYTHONPATH=python .venv/bin/python -m pytest tests/python -q
rc=$?
# Exit 5 means no test was collected, which is a failure here.
if [[ $rc -ne 0 ]]; then status=1; fi
exit $status
