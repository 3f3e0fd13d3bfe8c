"""Processes of the test clusters: reading /proc, starting each process as the leader of a process
group of its own (optionally tied to our death), waiting for it, and stopping the whole group.

The one place in tests/support that reads /proc/<pid> or sends signals. A started process is
recorded as a dict, the form state.json keeps so that `down` works from any process:
``{"pid", "pgid", "start_time", "log", "argv0"}``. The start time (/proc/<pid>/stat field 22)
tells the recorded process from a later one that got the same pid.

The product's local backend has a module of the same kind
(python/kubeflow/trainer/backends/localprocess/procs.py); the harness does not import it: its
package pulls in the compiled extension, which the harness must not need, and its rules differ on
purpose (it refuses to signal a group whose leader is gone, where a test cluster still kills the
group's leftovers; it does not reap, where the harness reaps the children it started).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from .harness import ControlPlaneError, log

_PR_SET_PDEATHSIG = 1


def proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def process_alive(pid: int, start_time: int | None = None) -> bool:
    """True if `pid` runs (not a zombie) and, when given, started at `start_time`. A zombie
    child of ours is reaped on the way."""
    stat = proc_stat(pid)
    if stat is None:
        return False
    if stat[0] == "Z":
        _reap(pid)
        return False
    return start_time is None or stat[1] == start_time


def alive(record: dict) -> bool:
    """True if the recorded process still runs and is the one that was recorded."""
    return process_alive(record["pid"], record.get("start_time"))


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process in KiB."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def ns_inode(pid: int, kind: str = "net") -> int | None:
    """The inode of a process's namespace, which identifies it while anything holds it."""
    try:
        return os.stat(f"/proc/{pid}/ns/{kind}").st_ino
    except OSError:
        return None


def pids_in_netns(inode: int) -> list[int]:
    """Every process whose network namespace is ``inode`` (the holder's, for leftovers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and ns_inode(int(entry.name)) == inode:
            pids.append(int(entry.name))
    return pids


def socket_inodes(pid: int) -> set[int]:
    """The inodes of the sockets `pid` has open (from /proc/<pid>/fd)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
    return inodes


def kill(pids: Iterable[int], sig: int = signal.SIGKILL) -> None:
    """Sends `sig` to each pid that still exists (pids found by a scan, not recorded ones)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a process's log, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _set_parent_death_signal() -> None:  # runs in the child between fork and exec
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class ProcessGroups:
    """The processes one cluster object started, each the leader of a new session (so of a
    process group whose id is its pid). Keeps their Popen objects to reap them."""

    def __init__(self) -> None:
        self._children: dict[int, subprocess.Popen] = {}

    def spawn(
        self, argv: list[str], *, argv0: str, log_path: Path, cwd: Path, tie_to_parent: bool
    ) -> dict:
        """Starts `argv` with stdout and stderr appended to `log_path` (after a header line)
        and returns its record. With `tie_to_parent` the process gets SIGKILL when the calling
        thread dies."""
        with open(log_path, "ab") as log_file:
            log_file.write(f"==== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
            log_file.flush()
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_set_parent_death_signal if tie_to_parent else None,  # noqa: PLW1509
            )
        self._children[proc.pid] = proc
        stat = proc_stat(proc.pid)
        return {
            "pid": proc.pid,
            "pgid": proc.pid,
            "start_time": stat[1] if stat else None,
            "log": str(log_path),
            "argv0": argv0,
        }

    def wait_ready(
        self, name: str, record: dict, check: Callable[[], bool], deadline: float, timeout: float
    ) -> None:
        """Polls `check` until it is true; raises with the end of the log if the process exits
        first or `deadline` (time.monotonic) passes (`timeout` is the figure the message
        names)."""
        while True:
            if check():
                return
            child = self._children.get(record["pid"])
            code = child.poll() if child else None
            if code is not None or not alive(record):
                raise ControlPlaneError(
                    f"{name} exited (code {code}) before it was ready; last lines of "
                    f"{record['log']}:\n{tail(Path(record['log']))}"
                )
            if time.monotonic() > deadline:
                raise ControlPlaneError(
                    f"{name} was not ready within {timeout:.0f} s; last lines of "
                    f"{record['log']}:\n{tail(Path(record['log']))}"
                )
            time.sleep(0.1)

    def stop(self, record: dict, grace: float) -> None:
        """SIGTERM to the process group, SIGKILL after `grace` seconds."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(record["pgid"], signal.SIGTERM)
        self.wait_gone([record], grace)
        if alive(record):
            log(f"pid {record['pid']} ignored SIGTERM for {grace:.0f} s, sending SIGKILL")
        # SIGKILL the group in any case: it also ends any child the leader left behind.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(record["pgid"], signal.SIGKILL)
        self.wait_gone([record], 10.0)

    def wait_gone(self, records: list[dict], timeout: float) -> None:
        """Waits up to `timeout` seconds for the recorded processes to exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in records:
                child = self._children.get(record["pid"])
                if child is not None:
                    child.poll()
            if not any(alive(r) for r in records):
                return
            time.sleep(0.05)

    def reap(self) -> None:
        """Collects the exit status of every child that ended, so none is left a zombie."""
        for child in self._children.values():
            child.poll()


def call_at_exit(callback: Callable[[], None]) -> None:
    """Runs `callback` when this interpreter exits: atexit, and SIGTERM/SIGHUP handlers that
    call it and then re-deliver the signal. (pytest turns SIGINT into KeyboardInterrupt and
    still tears fixtures down.)"""
    atexit.register(callback)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            previous = signal.getsignal(sig)
        except ValueError:
            continue

        def handler(signum, frame, previous=previous):
            callback()
            if callable(previous):
                previous(signum, frame)
            else:
                signal.signal(signum, signal.SIG_DFL if previous is None else previous)
                os.kill(os.getpid(), signum)

        with contextlib.suppress(ValueError):  # not the main thread
            signal.signal(sig, handler)
