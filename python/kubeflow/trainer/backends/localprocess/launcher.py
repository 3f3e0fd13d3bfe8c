"""Starting a job's supervisor detached from the caller.

The supervisor is started through a short bootstrap that forks once and exits: the supervisor
then belongs to no process of the caller (no zombie is left in a notebook kernel, and restarting
the kernel does not touch the job), leads its own session and process group, and its pid is
recorded in ``supervisor.pid``, with its start time (see procs.py), before
:func:`start_supervisor` returns.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import kubeflow
from kubeflow.trainer.backends.localprocess import state
from kubeflow.trainer.backends.localprocess.errors import JobNotFoundError, LocalLaunchError

# argv: [-c, <directory holding the kubeflow package>, <job dir>]. Forks before importing
# anything heavy so that the caller waits only for an interpreter start. The child cannot be
# reaped before this parent exits, so its /proc entry (and start time) is there to read.
_BOOTSTRAP = """\
import os, sys
job_dir = sys.argv[2]
pid = os.fork()
if pid:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            start = " " + stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        start = ""
    tmp = os.path.join(job_dir, ".supervisor.pid.tmp")
    with open(tmp, "w") as out:
        out.write(f"{pid}{start}\\n")
    os.replace(tmp, os.path.join(job_dir, "supervisor.pid"))
    os._exit(0)
os.setsid()
sys.path.insert(0, sys.argv[1])
from kubeflow.trainer.backends.localprocess.supervisor import main
sys.exit(main([job_dir]))
"""


def _deleted(job_dir: Path) -> JobNotFoundError:
    return JobNotFoundError(
        f"TrainJob {job_dir.name} was deleted while it was being started",
        status=404,
        reason="NotFound",
        name=job_dir.name,
    )


def start_supervisor(job_dir: Path, python: str, cwd: str) -> int:
    """Start the supervisor of the job in ``job_dir`` and return its pid.

    Args:
        job_dir: The job's directory (with ``job.json``).
        python: The interpreter to run the supervisor with (the caller's).
        cwd: The working directory of the supervisor and hence of the job's processes.

    Raises:
        JobNotFoundError: the job was deleted (by another process) while it was being started.
        LocalLaunchError: the bootstrap failed or did not record the pid.
    """
    package_root = str(Path(kubeflow.__file__).resolve().parent.parent)
    log_path = job_dir / state.SUPERVISOR_LOG
    try:
        log = open(log_path, "ab")  # noqa: SIM115 - the with below owns it
    except (FileNotFoundError, NotADirectoryError):
        raise _deleted(job_dir) from None
    with log:
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
        pid_text = (job_dir / state.PID_FILE).read_text().split()[0]
    except (OSError, IndexError):
        pass
    if not (job_dir / state.JOB_FILE).exists():
        raise _deleted(job_dir)
    if result.returncode != 0 or not pid_text.isdigit():
        tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
        raise LocalLaunchError(
            f"Cannot start the supervisor of {job_dir.name} (exit code {result.returncode}): "
            f"{tail.strip() or 'no output'}",
            file=str(log_path),
        )
    return int(pid_text)


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
