"""Process identity, liveness, signalling and parent-death for the local backend.

The one place that reads ``/proc`` and calls ``prctl``. A pid alone does not identify a process:
once a process is reaped its pid can be given to an unrelated one. So every process the backend
may signal later is recorded as a :class:`ProcessId`, the pid together with its start time
(``/proc/<pid>/stat`` field 22, clock ticks since boot), and it is signalled only while a process
with that pid *and* that start time exists. Signalling the process group of a recorded leader is
safe for the same reason: while the leader exists, its pid (= the group id) cannot be reused.

Processes a job's function starts in a new session or process group escape the group signal;
they are found by the marker variable every process of a job inherits (:data:`MARKER_ENV`).

Without ``/proc`` (macOS) start times are unknown: a recorded pid is then trusted as is.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 0.05
#: Index of ``starttime`` among the fields after the command name in /proc/<pid>/stat
#: (field 22 of proc(5); the first field after the name is field 3, ``state``).
_START_FIELD = 19

#: Set in the environment of every process of a job to the job directory's real path; inherited
#: by whatever the function starts, so leftovers can be found after the rank's group is gone.
MARKER_ENV = "KUBEFLOW_LOCAL_JOB"


@dataclass(frozen=True)
class ProcessId:
    """A process as recorded at launch: pid and start time (None where it cannot be known)."""

    pid: int
    start_time: int | None = None


def has_proc() -> bool:
    """True when /proc describes processes (Linux)."""
    return _PROC.joinpath("self", "stat").exists()


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, ...)."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    return text.rsplit(")", 1)[-1].split()


def start_time(pid: int) -> int | None:
    """The start time of ``pid`` (clock ticks since boot), None when unknown or gone."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) <= _START_FIELD:
        return None
    return int(fields[_START_FIELD])


def identify(pid: int) -> ProcessId:
    """The identity of the running process ``pid``, to be recorded at launch."""
    return ProcessId(pid, start_time(pid))


def is_running(proc: ProcessId, markers: Iterable[str] = ()) -> bool:
    """True when ``proc`` still runs and is the process that was recorded (zombies are gone).

    Args:
        proc: The recorded identity. With /proc, a record without start time (written by an
            older version) proves nothing unless ``markers`` are given: it may name a reused
            pid.
        markers: Strings the command line must contain as well (with /proc only).
    """
    if proc.pid <= 1:
        return False
    if not has_proc():
        try:
            os.kill(proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    fields = _stat_fields(proc.pid)
    if fields is None or fields[0] in ("Z", "X", "x"):
        return False
    markers = list(markers)
    if proc.start_time is None and not markers:
        return False
    if proc.start_time is not None and (
        len(fields) <= _START_FIELD or fields[_START_FIELD] != str(proc.start_time)
    ):
        return False
    if markers:
        try:
            cmdline = (_PROC / str(proc.pid) / "cmdline").read_bytes()
        except OSError:
            return False
        return all(m.encode() in cmdline for m in markers)
    return True


def signal_group(leader: ProcessId, sig: int) -> bool:
    """Send ``sig`` to the process group led by ``leader`` if the leader is still the recorded
    process; returns whether the signal was sent."""
    if leader.pid <= 1 or leader.pid == os.getpgrp() or not is_running(leader):
        return False
    try:
        os.killpg(leader.pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def signal_process(proc: ProcessId, sig: int) -> bool:
    """Send ``sig`` to ``proc`` if it is still the recorded process."""
    if proc.pid == os.getpid() or not is_running(proc):
        return False
    try:
        os.kill(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def wait_gone(procs: Iterable[ProcessId], timeout: float) -> list[ProcessId]:
    """Wait up to ``timeout`` seconds for ``procs`` to exit; returns those still running.

    Checks only the recorded pids (no scan of /proc).
    """
    pending = [p for p in procs if is_running(p)]
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        pending = [p for p in pending if is_running(p)]
    return pending


def marked(value: str) -> list[ProcessId]:
    """Running processes whose environment has ``MARKER_ENV=value`` (one scan of /proc).

    The calling process is never included. Empty without /proc.
    """
    if not has_proc():
        return []
    needle = f"{MARKER_ENV}={value}".encode()
    found = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            proc = identify(int(entry.name))
            if proc.start_time is not None:
                found.append(proc)
    return found


def terminate(procs: Iterable[ProcessId], grace: float, groups: bool = True) -> list[ProcessId]:
    """SIGTERM ``procs`` (their process groups with ``groups``), SIGKILL those still running
    after ``grace`` seconds; returns those still running 5 seconds later."""
    send = signal_group if groups else signal_process
    targets = [p for p in procs if send(p, signal.SIGTERM)]
    left = wait_gone(targets, grace)
    for proc in left:
        send(proc, signal.SIGKILL)
    return wait_gone(left, 5.0)


def sweep(marker: str, grace: float, rounds: int = 5) -> list[ProcessId]:
    """End every process marked with ``marker`` (SIGTERM, SIGKILL after ``grace``); repeated
    because a process may start another before it is stopped. Returns those left running."""
    left: list[ProcessId] = []
    for _ in range(rounds):
        found = marked(marker)
        if not found:
            return []
        left = terminate(found, grace, groups=False)
        grace = 0.0  # later rounds: whatever is still there had its chance
    return left or marked(marker)


def parent_death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGKILL when its parent dies (Linux), else
    None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_pdeathsig() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))

    return set_pdeathsig
