"""``kubeflow-trainer --help`` loads nothing beyond the interpreter, argparse and the CLI module.

Start-up is the cost of a shell command; bench/cli_startup.py measures it (docs/cli.md). This
test keeps it from growing: a module imported at the top of ``kubeflow.trainer_cli`` (the SDK,
its extension, or a heavy standard module such as ``typing``) shows up in the difference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

PROBE = """
import contextlib, io, json, sys
import argparse
with contextlib.redirect_stdout(io.StringIO()):  # argparse's own lazy imports for --help
    argparse.ArgumentParser(prog="x").print_help()
before = set(sys.modules)
import kubeflow.trainer_cli as cli
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    cli.main(["--help"])
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_help_loads_only_the_cli_module() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    ).stdout
    # __future__ and collections.abc are a few hundred lines without imports of their own.
    assert json.loads(out) == ["__future__", "collections.abc", "kubeflow", "kubeflow.trainer_cli"]
