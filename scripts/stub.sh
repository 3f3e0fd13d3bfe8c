#!/usr/bin/env bash
# Regenerates python/kubeflow/trainer/_core.pyi from the built extension (pybind11-stubgen).
# The json-valued fields (label maps, runtime patches) become typing.Any. Review the diff.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
PYTHONPATH=python .venv/bin/pybind11-stubgen kubeflow.trainer._core -o "$out"
sed -E 's/(: |-> |\[)json\b/\1typing.Any/g' "$out/kubeflow/trainer/_core.pyi" \
  > python/kubeflow/trainer/_core.pyi
echo "wrote python/kubeflow/trainer/_core.pyi"
