#!/usr/bin/env bash
# README's test command: builds, then runs the Catch2 suite and every pytest suite.
# The integration tests start a real kube-apiserver + etcd (built once from Go modules and cached
# under ~/.cache) on loopback.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/build.sh || exit 1

status=0
echo "== Catch2 (ctest)"
ctest --test-dir build/dev --output-on-failure -j "$(nproc)" || status=1

echo "== pytest"
PYTHONPATH=python .venv/bin/python -m pytest tests/python -q
rc=$?
# Exit 5 means no test was collected, which is a failure here.
if [[ $rc -ne 0 ]]; then status=1; fi
exit $status
