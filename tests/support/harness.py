"""What every module of the test clusters shares: where the repository is, the error they raise
and how they report progress. Standard library only, like the rest of tests/support."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


class ControlPlaneError(RuntimeError):
    """A test cluster could not be started, inspected or stopped; the message says why."""


def log(message: str) -> None:
    """One progress line on stderr (stdout carries only what the CLI prints for scripts)."""
    print(f"control plane: {message}", file=sys.stderr, flush=True)


def build_output_dir(script: Path) -> Path:
    """Runs a build script of the repository and returns the directory it prints last (its
    cache entry); the script's progress goes to our stderr."""
    proc = subprocess.run(["bash", str(script)], stdout=subprocess.PIPE, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ControlPlaneError(
            f"{script.relative_to(REPO_ROOT)} failed (exit code {proc.returncode})"
        )
    return Path(lines[-1])


@contextlib.contextmanager
def running_for_tests(cluster: Any, what: str) -> Iterator[Any]:
    """Start ``cluster`` (a ControlPlane or a FullCluster) for a pytest fixture, yield its info
    and stop it afterwards, also when the test process dies. A start that fails fails the test
    with the reason, without a traceback."""
    import pytest

    cluster.stop_at_exit()
    try:
        info = cluster.up(tie_to_parent=True)
    except ControlPlaneError as e:
        pytest.fail(f"could not start {what}: {e}", pytrace=False)
    try:
        yield info
    finally:
        cluster.down()
