#!/usr/bin/env bash
# Builds the HTML docs (docs/ -> build/docs/html) with Sphinx: the user guide, the Markdown pages
# (myst-parser) and the API reference from the docstrings (autodoc + napoleon). Warnings are
# errors, so a broken link between pages, a missing page or a docstring Sphinx cannot read fails
# the build. Needs the extension built (scripts/build.sh): autodoc imports the package.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=build/docs
start=$EPOCHREALTIME
# -E: read every page again, so a warning is never hidden by the previous build's cache.
PYTHONPATH=python .venv/bin/python -m sphinx -E -W --keep-going -q -b html \
  -d "$out/doctrees" docs "$out/html"
awk -v a="$start" -v b="$EPOCHREALTIME" -v out="$out" \
  'BEGIN { printf "docs: built %s/html/index.html in %.1f s\n", out, b - a }'
