"""Start-up time of ``kubeflow-trainer --help``: the median wall-clock time of N runs.

Runs the console script when it is installed beside this interpreter (``make install``), else
the same call through ``python -c`` with the repository's ``python/`` on the path (what the
console-script wrapper does: import ``kubeflow.trainer_cli`` and call ``main``). The bare
interpreter's start-up is measured the same way for comparison: the difference is what the CLI
itself costs. Each run is a fresh process timed with ``time.perf_counter`` around it (what
``/usr/bin/time -f %e`` reports, at 10 ms resolution); the first run of each is a warm-up (the
page cache), not counted. On a loaded machine the wall clock includes waiting for a CPU: the
load average is printed with the figures, and ``--cpu`` reports user+sys CPU time instead.

    .venv/bin/python bench/cli_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def command() -> tuple[list[str], dict[str, str]]:
    """The ``kubeflow-trainer --help`` command line, and its environment."""
    env = dict(os.environ)
    # An installed package has its bytecode compiled by pip; from the source tree the warm-up run
    # writes it (python/**/__pycache__, ignored by git) unless this says not to.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    script = Path(sys.executable).with_name("kubeflow-trainer")
    if script.exists():
        return [str(script), "--help"], env
    env["PYTHONPATH"] = str(REPO_ROOT / "python")
    code = "import sys; from kubeflow.trainer_cli import main; sys.exit(main())"
    return [sys.executable, "-c", code, "--help"], env


def measure(argv: list[str], env: dict[str, str], runs: int, cpu: bool) -> list[float]:
    """Milliseconds (wall clock, or the child's user+sys CPU) of ``runs`` runs after a warm-up."""
    times: list[float] = []
    for i in range(runs + 1):
        before, start = os.times(), time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        after = os.times()
        if cpu:
            used = (after.children_user - before.children_user) + (
                after.children_system - before.children_system
            )
        else:
            used = time.perf_counter() - start
        if i:
            times.append(used * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description="median start-up of kubeflow-trainer --help")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--cpu", action="store_true", help="user+sys CPU time, not wall clock")
    args = parser.parse_args()
    argv, env = command()
    cli = measure(argv, env, args.runs, args.cpu)
    bare = measure([sys.executable, "-c", "pass"], env, args.runs, args.cpu)
    print(
        f"{'wall clock' if not args.cpu else 'user+sys CPU'}; load average {os.getloadavg()[0]:.1f}"
        f" on {os.cpu_count()} CPUs"
    )
    for label, times in (("kubeflow-trainer --help", cli), ("python -c pass", bare)):
        print(
            f"{label:24} median {statistics.median(times):6.1f} ms"
            f"  (min {min(times):.1f}, max {max(times):.1f}, {len(times)} runs)"
        )
    own = statistics.median(cli) - statistics.median(bare)
    print(f"{'the CLI itself':24} median {own:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
