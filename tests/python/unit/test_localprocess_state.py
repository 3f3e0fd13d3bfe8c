"""LocalProcessBackend robustness: damaged job files, deletion that succeeds or raises, processes
proven to be the job's, leftovers in other sessions, runtime filters (real local processes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient
from kubeflow.trainer.backends.localprocess import state
from kubeflow.trainer.backends.localprocess.errors import JobNotFoundError
from kubeflow.trainer.errors import JobFailedError
from kubeflow.trainer.types import types
from tests.python.unit.test_localprocess_jobs import alive, subprocess_env, wait_gone

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")


# ---------------------------------------------------------------- training functions (shipped)
def sleep_for(seconds: float) -> None:
    import os
    import time

    print(f"pid {os.getpid()}", flush=True)
    time.sleep(seconds)


def say(text: str) -> None:
    print(text)


def start_in_new_session(then_sleep: float) -> None:
    import os
    import subprocess
    import time

    child = subprocess.Popen(["sleep", "120"], start_new_session=True)
    print(f"pids {os.getpid()} {child.pid}", flush=True)
    time.sleep(then_sleep)


def ignore_sigterm() -> None:
    import signal
    import time

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(120)


# ---------------------------------------------------------------- helpers
@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def client(state_dir: Path) -> Iterator[TrainerClient]:
    cfg = LocalProcessBackendConfig(state_dir=str(state_dir), termination_grace_period_seconds=2)
    c = TrainerClient(cfg)
    yield c
    for job in c.list_jobs():
        c.delete_job(job.name)


def first_line(client: TrainerClient, name: str) -> str:
    return next(iter(client.get_job_logs(name, follow=True)))


def start_time(pid: int) -> int:
    """Field 22 of /proc/<pid>/stat (what the backend records to tell a reused pid)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])


def supervisor_pid(state_dir: Path, name: str) -> int:
    return int((state_dir / "jobs" / name / "supervisor.pid").read_text().split()[0])


@pytest.fixture
def foreign() -> Iterator[subprocess.Popen]:
    """A live process that is not the job's, leading its own process group."""
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


# ---------------------------------------------------------------- damaged job files
DAMAGED = {
    "empty-object": "{}",
    "array": "[]",
    "null": "null",
    "invalid-json": '{"name": ',
    "wrong-type": None,  # a complete spec whose num_nodes is a string
}


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_damaged_job_file_is_listed_as_failed_and_deletable_with_its_processes(
    client: TrainerClient, state_dir: Path, content: str | None
) -> None:
    healthy = client.train(trainer=CustomTrainer(func=say, func_args={"text": "ok"}))
    client.wait_for_job_status(healthy, timeout=60, polling_interval=1)
    name = client.train(trainer=CustomTrainer(func=sleep_for, func_args={"seconds": 120}))
    rank_pid = int(first_line(client, name).split()[1])
    supervisor = supervisor_pid(state_dir, name)
    job_file = state_dir / "jobs" / name / "job.json"
    if content is None:
        spec = json.loads(job_file.read_text())
        content = json.dumps(dict(spec, num_nodes="2"))
    job_file.write_text(content)

    jobs = {j.name: j for j in client.list_jobs()}
    assert jobs[healthy].status == "Complete"
    assert jobs[name].status == "Failed"
    assert jobs[name].runtime.name == "Unknown"
    assert [s.name for s in jobs[name].steps] == ["node-0"]  # one per log file
    assert client.get_job(name).status == "Failed"
    with pytest.raises(JobFailedError) as info:
        client.wait_for_job_status(name, timeout=10, polling_interval=1)
    assert str(job_file) in str(info.value) and "damaged" in str(info.value)
    assert list(client.get_job_logs(name)) == [f"pid {rank_pid}"]

    client.delete_job(name)
    assert wait_gone([rank_pid, supervisor]) == []
    assert not job_file.parent.exists()
    assert [j.name for j in client.list_jobs()] == [healthy]


@pytest.mark.parametrize("damage", ["invalid-json", "missing"])
def test_damaged_status_file_names_the_file(
    client: TrainerClient, state_dir: Path, damage: str
) -> None:
    name = client.train(trainer=CustomTrainer(func=say, func_args={"text": "ok"}))
    client.wait_for_job_status(name, timeout=60, polling_interval=1)
    status_file = state_dir / "jobs" / name / "status.json"
    if damage == "missing":
        status_file.unlink()
    else:
        status_file.write_text('{"phase": ')
    (job,) = client.list_jobs()
    assert job.status == "Failed"
    with pytest.raises(JobFailedError, match=str(status_file)):
        client.wait_for_job_status(name, timeout=10, polling_interval=1)
    client.delete_job(name)
    assert not status_file.parent.exists()


def test_unknown_keys_of_a_newer_version_are_ignored_with_a_warning(
    client: TrainerClient, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    name = client.train(trainer=CustomTrainer(func=say, func_args={"text": "ok"}))
    client.wait_for_job_status(name, timeout=60, polling_interval=1)
    job_file = state_dir / "jobs" / name / "job.json"
    spec = json.loads(job_file.read_text())
    assert isinstance(spec["version"], int)
    job_file.write_text(json.dumps(dict(spec, version=99, added_later={"x": 1})))
    status_file = state_dir / "jobs" / name / "status.json"
    status = json.loads(status_file.read_text())
    status["ranks"][0]["added_later"] = True
    status_file.write_text(json.dumps(dict(status, added_later=1)))

    (job,) = client.list_jobs()
    assert job.name == name and job.status == "Complete"
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(str(job_file) in m and "added_later" in m for m in warned)
    assert any(str(status_file) in m and "added_later" in m for m in warned)


# ---------------------------------------------------------------- deletion
def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="needs a private mount namespace (unshare -m)")
def test_delete_job_raises_when_the_state_dir_is_read_only(
    client: TrainerClient, state_dir: Path
) -> None:
    name = client.train(trainer=CustomTrainer(func=say, func_args={"text": "ok"}))
    client.wait_for_job_status(name, timeout=60, polling_interval=1)
    # Root ignores file modes, so the directory is made read-only by a read-only bind mount,
    # visible only inside a private mount namespace.
    code = (
        "from kubeflow.trainer import TrainerClient, LocalProcessBackendConfig\n"
        "c = TrainerClient(LocalProcessBackendConfig())\n"
        "try:\n"
        f"    print('returned', c.delete_job({name!r}))\n"
        "except Exception as e:\n"
        "    print('raised', type(e).__name__, e.file, '|', e)\n"
    )
    script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && exec "$2" -c "$3"'
    out = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(state_dir), sys.executable, code],
        env=subprocess_env(state_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    job_dir = state_dir / "jobs" / name
    assert out.stdout.startswith(f"raised LocalStateError {job_dir} |"), out.stdout
    assert "Read-only file system" in out.stdout
    assert client.get_job(name).status == "Complete"  # still there, still readable
    client.delete_job(name)  # writable again
    assert not job_dir.exists()


def test_delete_job_ends_processes_started_in_a_new_session(
    client: TrainerClient, state_dir: Path
) -> None:
    name = client.train(
        trainer=CustomTrainer(func=start_in_new_session, func_args={"then_sleep": 120})
    )
    pids = [int(p) for p in first_line(client, name).split()[1:]]
    assert all(alive(p) for p in pids)
    TrainerClient(LocalProcessBackendConfig(state_dir=str(state_dir))).delete_job(name)
    assert wait_gone(pids) == []


def test_processes_left_in_a_new_session_end_with_the_job(client: TrainerClient) -> None:
    name = client.train(
        trainer=CustomTrainer(func=start_in_new_session, func_args={"then_sleep": 0})
    )
    pids = [int(p) for p in first_line(client, name).split()[1:]]
    assert client.wait_for_job_status(name, timeout=60, polling_interval=1).status == "Complete"
    assert wait_gone(pids) == []


@pytest.mark.parametrize("recorded", ["without-start-time", "other-start-time"])
def test_delete_job_does_not_signal_a_process_with_a_reused_pid(
    client: TrainerClient, state_dir: Path, foreign: subprocess.Popen, recorded: str
) -> None:
    name = client.train(trainer=CustomTrainer(func=say, func_args={"text": "ok"}))
    client.wait_for_job_status(name, timeout=60, polling_interval=1)
    # As if the job's rank and supervisor had died unnoticed and their pids had been given to
    # an unrelated process: the records name a live process that is not the job's.
    job_dir = state_dir / "jobs" / name
    status = json.loads((job_dir / "status.json").read_text())
    rank = status["ranks"][0]
    rank.update(pid=foreign.pid, exit_code=None, killed=False)
    rank.pop("start_time", None)
    if recorded == "other-start-time":
        rank["start_time"] = start_time(foreign.pid) - 1
    status.update(finished=None, phase="Running")
    (job_dir / "status.json").write_text(json.dumps(status))
    start = start_time(foreign.pid) - 1
    (job_dir / "supervisor.pid").write_text(f"{foreign.pid} {start}\n")

    client.delete_job(name)
    assert foreign.poll() is None and alive(foreign.pid)
    assert not job_dir.exists()


def test_delete_job_waits_without_scanning_proc_in_a_loop(
    client: TrainerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = client.train(trainer=CustomTrainer(func=ignore_sigterm))
    assert first_line(client, name) == "ready"
    scans = []
    real_iterdir = Path.iterdir

    def counting_iterdir(self: Path) -> Iterator[Path]:
        if str(self) == "/proc":
            scans.append(self)
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", counting_iterdir)
    client.delete_job(name)  # the rank ignores SIGTERM: 2 s grace, then SIGKILL
    # One scan for leftovers per sweep round; waiting itself polls only the recorded pids.
    assert len(scans) <= 3, len(scans)


def test_job_deleted_by_another_process_right_after_train(
    client: TrainerClient, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_create = state.JobStore.create

    def create_then_delete_elsewhere(
        self: state.JobStore, spec: state.JobSpec, code: str, file_name: str
    ) -> Path:
        job_dir = real_create(self, spec, code, file_name)
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from kubeflow.trainer import TrainerClient, LocalProcessBackendConfig\n"
                f"TrainerClient(LocalProcessBackendConfig()).delete_job({spec.name!r})\n",
            ],
            env=subprocess_env(state_dir),
            check=True,
            timeout=60,
        )
        return job_dir

    monkeypatch.setattr(state.JobStore, "create", create_then_delete_elsewhere)
    name = client.train(trainer=CustomTrainer(func=say, func_args={"text": "ok"}))
    with pytest.raises(JobNotFoundError):
        client.get_job(name)
    assert client.list_jobs() == []


# ---------------------------------------------------------------- runtimes
def test_list_jobs_filters_by_runtime_kind_and_name(client: TrainerClient) -> None:
    local = client.get_runtime("torch-distributed")
    # The same name as a cluster would report it: another kind, hence another runtime.
    cluster = types.Runtime(
        name=local.name, trainer=local.trainer, kind=types.RuntimeKind.CLUSTER_TRAINING_RUNTIME
    )
    on_local = client.train(runtime=local, trainer=CustomTrainer(func=say, func_args={"text": "a"}))
    on_cluster = client.train(
        runtime=cluster, trainer=CustomTrainer(func=say, func_args={"text": "b"})
    )
    assert [j.name for j in client.list_jobs(local)] == [on_local]
    assert [j.name for j in client.list_jobs(cluster)] == [on_cluster]
    assert sorted(j.name for j in client.list_jobs()) == sorted([on_local, on_cluster])


def test_get_runtime_packages_of_an_unknown_runtime_raises_like_upstream(
    client: TrainerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    known = client.get_runtime("torch-distributed")
    unknown = types.Runtime(name="no-such-runtime", trainer=known.trainer, kind=known.kind)
    with pytest.raises(ValueError, match=r"^Runtime 'no-such-runtime' not found\."):
        client.get_runtime_packages(unknown)
    assert capsys.readouterr().out == ""
