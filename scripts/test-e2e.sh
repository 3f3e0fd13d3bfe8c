#!/usr/bin/env bash
# The end-to-end tier: TrainJobs that really run on a full cluster (tests/python/e2e). Needs root.
# The pytest session starts the cluster (tests/support/full_cluster.py) and always stops it; the
# first run builds the stack and the images (cached under ~/.cache/kubeflow-sdk-cpp).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/build.sh || exit 1
scripts/setup-node.sh || exit 1
echo "== pytest (end-to-end, full cluster)"
KUBEFLOW_TEST_E2E=1 PYTHONPATH=python .venv/bin/python -m pytest tests/python/e2e -v \
  --timeout=1800 --durations=0 "$@"
