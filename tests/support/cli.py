"""The command line of the test clusters: `up`, `down` and `status` (with --state-dir before or
after the command), the same for the control plane and the full cluster."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .harness import REPO_ROOT, ControlPlaneError, log

if TYPE_CHECKING:
    from .control_plane import ControlPlane


def main(
    cluster: Callable[[str | os.PathLike | None], ControlPlane],
    default_state_dir: Path,
    module: str,
    doc: str | None,
    argv: list[str] | None = None,
) -> int:
    """Parses `argv` (default: sys.argv) for ``python -m <module>`` and runs the command on
    ``cluster(state_dir)``; returns the exit code. `doc`'s first paragraph describes it."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state-dir",
        default=argparse.SUPPRESS,
        help=f"where certs, kubeconfigs, logs and state.json live "
        f"(default: {default_state_dir.relative_to(REPO_ROOT)} in the repository)",
    )
    parser = argparse.ArgumentParser(
        prog=f"python -m {module}",
        parents=[common],
        description=(doc or "").split("\n\n")[0],
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", parents=[common], help="start (prints the admin kubeconfig path last)")
    sub.add_parser("down", parents=[common], help="stop; a no-op when nothing runs")
    sub.add_parser(
        "status", parents=[common], help="print the state as JSON; exit 1 if not running"
    )
    args = parser.parse_args(argv)
    return run_command(cluster(getattr(args, "state_dir", None)), args.command)


def run_command(cp: ControlPlane, command: str) -> int:
    """`up`, `down` or `status` on ``cp`` (a ControlPlane or the full cluster); the exit code."""
    try:
        if command == "up":
            print(cp.up().admin_kubeconfig, flush=True)
        elif command == "down":
            if not cp.down():
                log(f"nothing running in {cp.state_dir}")
        else:
            status = cp.status()
            print(json.dumps(status, indent=2))
            return 0 if status["running"] else 1
    except ControlPlaneError as e:
        log(f"error: {e}")
        return 1
    return 0
