"""Starting a job's supervisor detached from the caller, and finding and ending processes.

The supervisor is started through a short bootstrap that forks once and exits: the supervisor
then belongs to no process of the caller (no zombie is left in a notebook kernel, and restarting
the kernel does not touch the job), leads its own session and process group, and its pid is
recorded in ``supervisor.pid`` before :func:`start_supervisor` returns.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import kubeflow
from kubeflow.trainer.backends.localprocess import state
from kubeflow.trainer.backends.localprocess.errors import LocalLaunchError

_PROC = Path("/proc")

# argv: [-c, <directory holding the kubeflow package>, <job dir>]. Forks before importing
# anything heavy so that the caller waits only for an interpreter start.
_BOOTSTRAP = """\
import os, sys
job_dir = sys.argv[2]
pid = os.fork()
if pid:
    tmp = os.path.join(job_dir, ".supervisor.pid.tmp")
    with open(tmp, "w") as out:
        out.write(str(pid))
    os.replace(tmp, os.path.join(job_dir, "supervisor.pid"))
    os._exit(0)
os.setsid()
sys.path.insert(0, sys.argv[1])
from kubeflow.trainer.backends.localprocess.supervisor import main
sys.exit(main([job_dir]))
"""


def start_supervisor(job_dir: Path, python: str, cwd: str) -> int:
    """Start the supervisor of the job in ``job_dir`` and return its pid.

    Args:
        job_dir: The job's directory (with ``job.json``).
        python: The interpreter to run the supervisor with (the caller's).
        cwd: The working directory of the supervisor and hence of the job's processes.

    Raises:
        LocalLaunchError: the bootstrap failed or did not record the pid.
    """
    package_root = str(Path(kubeflow.__file__).resolve().parent.parent)
    log_path = job_dir / state.SUPERVISOR_LOG
    with open(log_path, "ab") as log:
        try:
            result = subprocess.run(
                [python, "-c", _BOOTSTRAP, package_root, str(job_dir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=cwd,
                env=os.environ.copy(),
                start_new_session=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise LocalLaunchError(f"Cannot start the supervisor with {python}: {error}") from error
    pid_text = ""
    try:
        pid_text = (job_dir / state.PID_FILE).read_text().strip()
    except OSError:
        pass
    if result.returncode != 0 or not pid_text.isdigit():
        tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
        raise LocalLaunchError(
            f"Cannot start the supervisor of {job_dir.name} (exit code {result.returncode}): "
            f"{tail.strip() or 'no output'}",
            file=str(log_path),
        )
    return int(pid_text)


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, ...)."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    return text.rsplit(")", 1)[-1].split()


def process_alive(pid: int, markers: Iterable[str] = ()) -> bool:
    """True when ``pid`` runs (zombies count as gone).

    Args:
        pid: The process id.
        markers: When /proc is available, the process's command line must contain each of
            them; this guards against a recycled pid.
    """
    if _PROC.joinpath("self").exists():
        fields = _stat_fields(pid)
        if fields is None or fields[0] in ("Z", "X", "x"):
            return False
        markers = list(markers)
        if markers:
            try:
                cmdline = (_PROC / str(pid) / "cmdline").read_bytes()
            except OSError:
                return False
            return all(m.encode() in cmdline for m in markers)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_alive(pgid: int) -> bool:
    """True while process group ``pgid`` has a member that is not a zombie."""
    if _PROC.joinpath("self").exists():
        for entry in _PROC.iterdir():
            if not entry.name.isdigit():
                continue
            fields = _stat_fields(int(entry.name))
            if fields and len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in "ZXx":
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to process group ``pgid``; a vanished group is not an error."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def terminate_groups(pgids: Iterable[int], grace: float, poll: float = 0.05) -> bool:
    """SIGTERM every group, SIGKILL those still alive after ``grace`` seconds.

    Returns:
        True when every group is gone (waits at most ``grace`` + 5 seconds).
    """
    pending = {p for p in pgids if p > 1 and p != os.getpgrp()}
    for pgid in pending:
        signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    killed = False
    while pending:
        pending = {p for p in pending if group_alive(p)}
        if not pending:
            break
        now = time.monotonic()
        if now >= deadline:
            if killed:
                return False
            for pgid in pending:
                signal_group(pgid, signal.SIGKILL)
            killed = True
            deadline = now + 5.0
        time.sleep(poll)
    return True


def current_python() -> str:
    """The interpreter of this process (what the job uses when it installs no packages).

    Raises:
        LocalLaunchError: Python does not know its own executable (an embedded interpreter).
    """
    if not sys.executable:
        raise LocalLaunchError(
            "sys.executable is empty, so the local backend cannot start Python processes; "
            "run from a regular Python interpreter"
        )
    return sys.executable
