"""The supervisor of one local TrainJob.

Usage: ``python -m kubeflow.trainer.backends.localprocess.supervisor <job dir>``. launcher.py
starts it through a bootstrap that detaches it from the process that called ``train``. It:

1. prepares the interpreter (the caller's, or a cached venv when packages are to be installed;
   the pip output goes to every node's log, as each node pod would show it);
2. starts ``num_nodes * procs_per_node`` processes, each in its own process group, with the
   framework's rank environment (rank_env.py) and the job's marker (procs.MARKER_ENV);
3. copies their output into ``logs/node-<i>.log`` (prefixed by the local rank when a node has
   more than one process) and records pids, exit codes and statuses in ``status.json``;
4. when a process fails, stops the others (SIGTERM, then SIGKILL after the grace period), as a
   JobSet fails as a whole;
5. once every rank has exited, ends whatever they left running (found by the marker, so also
   processes started in a new session), as a pod's containers end with their main process;
6. records the final status once every process has exited and its output is in the logs, then
   exits. SIGTERM (``delete_job``), or the removal of job.json, stops the processes the same way.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from kubeflow.trainer.backends.localprocess import procs, state, venv
from kubeflow.trainer.backends.localprocess.rank_env import LOOPBACK, rank_env

_POLL_SECONDS = 0.05


class _Stopped(BaseException):
    """Raised from the signal handler to abandon the environment setup."""


@dataclass
class _Rank:
    record: state.RankRecord
    proc: subprocess.Popen[bytes]
    pump: threading.Thread | None = None


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _kill_group(rank: _Rank, sig: int) -> None:
    """Signal the rank's process group. Only while the rank is not reaped: until then its pid,
    and so its group id, cannot belong to another process."""
    if rank.proc.returncode is not None:
        return
    try:
        os.killpg(rank.proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _exited(rank: _Rank) -> bool:
    """True when the rank has exited; it is left unreaped (a zombie) so its group can still be
    signalled safely."""
    if rank.proc.returncode is not None:
        return True
    try:
        info = os.waitid(os.P_PID, rank.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    except AttributeError:  # no waitid: reaping is the only way to know
        return rank.proc.poll() is not None
    return info is not None


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class Supervisor:
    """Runs the processes of the job in ``job_dir`` to completion."""

    def __init__(self, job_dir: Path) -> None:
        """Load the job's spec and status and open its logs."""
        self.job_dir = job_dir
        self.marker = os.path.realpath(job_dir)
        self.spec = state.JobSpec.from_dict(
            state.read_json(job_dir / state.JOB_FILE), job_dir / state.JOB_FILE
        )
        self.status = state.JobStatus.from_dict(
            state.read_json(job_dir / state.STATUS_FILE), job_dir / state.STATUS_FILE
        )
        self.logs: dict[int, BinaryIO] = {
            # Kept open for the job's lifetime; closed when the supervisor finishes.
            node: open(job_dir / state.LOGS_DIR / f"{state.step_name(node)}.log", "ab")  # noqa: SIM115
            for node in range(self.spec.num_nodes)
        }
        self.locks = {node: threading.Lock() for node in self.logs}
        self.ranks: list[_Rank] = []
        self.stopping = False
        self.in_setup = True
        self.venv_lease: IO[str] | None = None
        self.first_failure: _Rank | None = None

    # ----------------------------------------------------------------------------- output
    def _write(self, node: int, data: bytes) -> None:
        with self.locks[node]:
            self.logs[node].write(data)
            self.logs[node].flush()

    def write_all(self, line: str) -> None:
        """Append one line to every node's log."""
        data = (line + "\n").encode("utf-8", "replace")
        for node in self.logs:
            self._write(node, data)

    def _pump(self, rank: _Rank) -> None:
        stream = rank.proc.stdout
        assert stream is not None
        node = rank.record.node
        prefix = f"[{rank.record.local_rank}] ".encode() if self.spec.procs_per_node > 1 else b""
        pending = b""
        fd = stream.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            if not prefix:
                self._write(node, chunk)
                continue
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if lines:
                self._write(node, b"".join(prefix + line + b"\n" for line in lines))
        if prefix and pending:
            self._write(node, prefix + pending + b"\n")
        stream.close()

    # ----------------------------------------------------------------------------- status
    def save(self) -> None:
        """Recompute the node statuses and write ``status.json`` (if the job still exists)."""
        for node in range(self.spec.num_nodes):
            codes = [r.record.exit_code for r in self.ranks if r.record.node == node]
            if any(c is not None and c != 0 for c in codes):
                step = state.FAILED
            elif any(c is None for c in codes):
                step = state.RUNNING
            elif codes:
                step = state.COMPLETE
            else:
                step = state.CREATED
            if self.status.done and self.status.phase == state.FAILED and step != state.COMPLETE:
                step = state.FAILED  # e.g. pip failed or the job was stopped before starting
            self.status.steps[state.step_name(node)] = step
        self.status.ranks = [r.record for r in self.ranks]
        if not self.status.done:
            phase = state.aggregate(list(self.status.steps.values()))
            # Failed shows at once; Complete only once the supervisor has finished its work.
            self.status.phase = state.RUNNING if phase == state.COMPLETE else phase
        try:
            state.write_json_atomic(self.job_dir / state.STATUS_FILE, self.status.to_dict())
        except FileNotFoundError:
            pass  # deleted meanwhile

    def _finish(self, phase: str, message: str = "") -> None:
        if self.venv_lease is not None:
            # Released before the final status is written: whoever sees the job finished may
            # evict its environment at once.
            self.venv_lease.close()
            self.venv_lease = None
        if not self.spec.venv_cache and self.spec.cleanup_venv:
            shutil.rmtree(self.job_dir / state.PRIVATE_VENV_DIR, ignore_errors=True)
        if phase == state.FAILED and not self.status.message:
            self.status.message = message
        self.status.phase = phase
        self.status.finished = state.now_iso()
        self.save()

    # ----------------------------------------------------------------------------- signals
    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True
        for rank in self.ranks:
            if rank.record.exit_code is None:
                _kill_group(rank, signal.SIGTERM)
        if self.in_setup:
            raise _Stopped()

    # ----------------------------------------------------------------------------- steps
    def _prepare(self) -> str:
        spec = self.spec
        if not spec.packages:
            return spec.python
        if spec.venv_cache:
            key = venv.cache_key(spec.packages, spec.pip_index_urls)
            env_dir = self.job_dir.parent.parent / "venvs" / key
        else:
            env_dir = self.job_dir / state.PRIVATE_VENV_DIR
        python, self.venv_lease = venv.ensure_env(
            env_dir,
            spec.packages,
            spec.pip_index_urls,
            self.write_all,
            spec.venv_cache,
            spec.venv_cache_max_bytes,
        )
        return str(python)

    def _spawn(self, python: str) -> None:
        spec = self.spec
        port = free_port()
        script = str(self.job_dir / spec.script)
        base_env = dict(os.environ)
        base_env.update(spec.env)
        base_env[procs.MARKER_ENV] = self.marker
        preexec = procs.parent_death_signal()
        self.status.python = python
        self.status.master_port = port
        self.status.started = state.now_iso()
        for node in range(spec.num_nodes):
            for local_rank in range(spec.procs_per_node):
                env = dict(base_env)
                env.update(
                    rank_env(
                        spec.framework,
                        num_nodes=spec.num_nodes,
                        procs_per_node=spec.procs_per_node,
                        node_rank=node,
                        local_rank=local_rank,
                        port=port,
                    )
                )
                proc = subprocess.Popen(
                    [python, "-u", script],
                    cwd=spec.cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=preexec,  # noqa: PLW1509 - only prctl, async-signal-safe
                )
                record = state.RankRecord(
                    rank=node * spec.procs_per_node + local_rank,
                    node=node,
                    local_rank=local_rank,
                    pid=proc.pid,
                    start_time=procs.start_time(proc.pid),
                )
                rank = _Rank(record=record, proc=proc)
                self.ranks.append(rank)
                if self.stopping:
                    _kill_group(rank, signal.SIGTERM)
        self.save()
        for rank in self.ranks:
            rank.pump = threading.Thread(target=self._pump, args=(rank,), daemon=True)
            rank.pump.start()

    def _watch(self) -> None:
        kill_deadline: float | None = None
        killed_hard = False
        while True:
            changed = False
            for rank in self.ranks:
                if rank.record.exit_code is not None or not _exited(rank):
                    continue
                _kill_group(rank, signal.SIGKILL)  # leftovers of the rank, before reaping it
                code = rank.proc.wait()
                rank.record.exit_code = code
                if rank.pump is not None:
                    rank.pump.join(timeout=2.0)
                changed = True
                if code != 0 and self.first_failure is None and not rank.record.killed:
                    self.first_failure = rank
                    record = rank.record
                    step = state.step_name(record.node)
                    self.status.failed_step = step
                    self.status.exit_code = code
                    self.status.message = f"{step} (rank {record.rank}) {_describe_exit(code)}"
            running = [r for r in self.ranks if r.record.exit_code is None]
            if (self.first_failure is not None or self.stopping) and kill_deadline is None:
                for rank in running:
                    rank.record.killed = True
                    _kill_group(rank, signal.SIGTERM)
                kill_deadline = time.monotonic() + self.spec.grace_period
                changed = True
            if changed:
                self.save()
            if not running:
                break
            if kill_deadline is not None and not killed_hard and time.monotonic() >= kill_deadline:
                for rank in running:
                    _kill_group(rank, signal.SIGKILL)
                killed_hard = True
            if not self.stopping and not (self.job_dir / state.JOB_FILE).exists():
                self.stopping = True  # the job was removed behind our back: stop it
            time.sleep(_POLL_SECONDS)
        # What the ranks started in another session or group outlives their groups.
        procs.sweep(self.marker, self.spec.grace_period)
        if self.stopping and self.first_failure is None:
            self._finish(state.FAILED, "the job was stopped (deleted or terminated)")
        elif self.first_failure is not None:
            self._finish(state.FAILED)
        else:
            self._finish(state.COMPLETE)

    def run(self) -> int:
        """Run the job; returns the supervisor's exit code (0 unless the supervisor broke)."""
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        exit_code = 0
        try:
            python = self._prepare()
            self.in_setup = False
            if self.stopping:
                raise _Stopped()
            self._spawn(python)
            self._watch()
        except _Stopped:
            self.in_setup = False
            self._finish(state.FAILED, "the job was stopped (deleted or terminated) during setup")
        except venv.EnvironmentBuildError as error:
            self.in_setup = False
            self.write_all(f"[kubeflow-local] {error}")
            self._finish(state.FAILED, str(error))
        except Exception as error:  # noqa: BLE001 - recorded as the job's failure
            self.in_setup = False
            traceback.print_exc()
            exit_code = 1
            for rank in self.ranks:
                if rank.record.exit_code is None:
                    _kill_group(rank, signal.SIGKILL)
            procs.sweep(self.marker, 0.0)
            self.write_all(f"[kubeflow-local] the job could not run: {error}")
            self._finish(state.FAILED, f"the job could not run: {error}")
        finally:
            for log in self.logs.values():
                log.close()
            if self.venv_lease is not None:
                self.venv_lease.close()  # when _finish did not run
        return exit_code


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``argv`` is ``[<job dir>]``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(
            "usage: python -m kubeflow.trainer.backends.localprocess.supervisor <job dir>",
            file=sys.stderr,
        )
        return 2
    return Supervisor(Path(args[0])).run()


if __name__ == "__main__":
    sys.exit(main())
