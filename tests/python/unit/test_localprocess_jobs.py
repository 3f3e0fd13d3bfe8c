"""LocalProcessBackend: jobs really run as local processes (small functions, tmp state dirs)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import kubeflow
from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient, TrainJob
from kubeflow.trainer.errors import AlreadyExistsError, JobFailedError, JobTimeoutError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")


# ---------------------------------------------------------------- training functions (shipped)
def print_env(names: list[str]) -> None:
    import os

    print(" ".join(f"{n}={os.environ.get(n, '-')}" for n in names))


def show_args(a, b=2, *, c=None, **rest):
    print(repr((a, b, c, rest)))


def one_rank_fails() -> None:
    import os
    import time

    if os.environ["RANK"] == "1":
        print("rank 1 is about to fail")
        raise SystemExit(3)
    time.sleep(60)


def print_sleep_print(pause: float) -> None:
    import time

    print("first", flush=True)
    time.sleep(pause)
    print("second")


def spawn_child_and_wait() -> None:
    import os
    import subprocess
    import time

    child = subprocess.Popen(["sleep", "120"])
    print(f"pids {os.getpid()} {child.pid}", flush=True)
    time.sleep(120)


def sleep_for(seconds: float) -> None:
    import time

    time.sleep(seconds)


def say(text: str) -> None:
    print(text)


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


def parse_env(line: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in line.split())


def logs(client: TrainerClient, name: str, step: str = "node-0") -> list[str]:
    return list(client.get_job_logs(name, step=step))


def alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return not Path("/proc/self").exists()
    return text.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_gone(pids: list[int], seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        remaining = [p for p in pids if alive(p)]
        if not remaining:
            return []
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def supervisor_pid(state_dir: Path, name: str) -> int:
    """The pid in supervisor.pid ("<pid> <start time>")."""
    return int((state_dir / "jobs" / name / "supervisor.pid").read_text().split()[0])


def subprocess_env(state_dir: Path) -> dict[str, str]:
    package_root = str(Path(kubeflow.__file__).resolve().parent.parent)
    env = dict(os.environ, KUBEFLOW_LOCAL_STATE_DIR=str(state_dir))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


TORCH_VARS = [
    "RANK",
    "WORLD_SIZE",
    "LOCAL_RANK",
    "LOCAL_WORLD_SIZE",
    "MASTER_ADDR",
    "MASTER_PORT",
    "PET_NNODES",
    "PET_NPROC_PER_NODE",
    "PET_NODE_RANK",
    "PET_MASTER_ADDR",
    "PET_MASTER_PORT",
]


# ---------------------------------------------------------------- environment of the ranks
def test_each_rank_gets_its_torch_env(client: TrainerClient) -> None:
    name = client.train(  # runtime=None: torch-distributed, upstream requires it
        trainer=CustomTrainer(func=print_env, func_args={"names": TORCH_VARS}, num_nodes=3)
    )
    job = client.wait_for_job_status(name, timeout=60, polling_interval=1)
    assert job.runtime.name == "torch-distributed"
    assert [s.name for s in job.steps] == ["node-0", "node-1", "node-2"]
    assert all(s.status == "Complete" for s in job.steps)
    ports = set()
    for node in range(3):
        (line,) = logs(client, name, f"node-{node}")
        env = parse_env(line)
        assert env["RANK"] == env["PET_NODE_RANK"] == str(node)
        assert env["WORLD_SIZE"] == env["PET_NNODES"] == "3"
        assert env["LOCAL_RANK"] == "0" and env["LOCAL_WORLD_SIZE"] == "1"
        assert env["PET_NPROC_PER_NODE"] == "1"
        assert env["MASTER_ADDR"] == env["PET_MASTER_ADDR"] == "127.0.0.1"
        assert env["MASTER_PORT"] == env["PET_MASTER_PORT"]
        ports.add(env["MASTER_PORT"])
    assert len(ports) == 1 and int(ports.pop()) > 0


def test_processes_per_node(state_dir: Path) -> None:
    cfg = LocalProcessBackendConfig(state_dir=str(state_dir), processes_per_node=2)
    client = TrainerClient(cfg)
    name = client.train(
        trainer=CustomTrainer(func=print_env, func_args={"names": TORCH_VARS}, num_nodes=2)
    )
    job = client.wait_for_job_status(name, timeout=60, polling_interval=1)
    assert [s.device_count for s in job.steps] == ["2", "2"]
    ranks = []
    for node in range(2):
        lines = sorted(logs(client, name, f"node-{node}"))
        assert [line[:4] for line in lines] == ["[0] ", "[1] "]  # prefixed by local rank
        for local_rank, line in enumerate(lines):
            env = parse_env(line[4:])
            assert env["LOCAL_RANK"] == str(local_rank)
            assert env["PET_NODE_RANK"] == str(node)
            assert env["WORLD_SIZE"] == "4" and env["PET_NPROC_PER_NODE"] == "2"
            ranks.append(int(env["RANK"]))
    assert ranks == [0, 1, 2, 3]
    client.delete_job(name)


@pytest.mark.parametrize(
    "runtime,expected",
    [
        ("jax-distributed", {"JAX_NUM_PROCESSES": "2", "JAX_PROCESS_ID": "{rank}"}),
        (
            "xgboost-distributed",
            {"DMLC_NUM_WORKER": "2", "DMLC_TASK_ID": "{rank}", "DMLC_TRACKER_URI": "127.0.0.1"},
        ),
    ],
)
def test_framework_env(client: TrainerClient, runtime: str, expected: dict[str, str]) -> None:
    names = [*expected, "JAX_COORDINATOR_ADDRESS", "DMLC_TRACKER_PORT", "RANK", "PET_NNODES"]
    name = client.train(
        runtime=runtime,
        trainer=CustomTrainer(func=print_env, func_args={"names": names}, num_nodes=2),
    )
    client.wait_for_job_status(name, timeout=60, polling_interval=1)
    for rank in range(2):
        env = parse_env(logs(client, name, f"node-{rank}")[0])
        for key, value in expected.items():
            assert env[key] == value.format(rank=rank)
        assert env["RANK"] == "-" and env["PET_NNODES"] == "-"  # torch variables only for torch
        if runtime == "jax-distributed":
            assert env["JAX_COORDINATOR_ADDRESS"].startswith("127.0.0.1:")
        else:
            assert int(env["DMLC_TRACKER_PORT"]) > 0
    assert client.list_jobs(client.get_runtime(runtime))[0].name == name
    assert client.list_jobs(client.get_runtime("torch-distributed")) == []


def test_function_called_with_keyword_arguments(client: TrainerClient) -> None:
    name = client.train(
        trainer=CustomTrainer(func=show_args, func_args={"a": 1, "c": [1, "x"], "extra": None})
    )
    client.wait_for_job_status(name, timeout=60, polling_interval=1)
    assert logs(client, name) == [repr((1, 2, [1, "x"], {"extra": None}))]


def test_parent_env_inherited_and_trainer_env_layered(
    client: TrainerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KF_TEST_FROM_PARENT", "parent-value")
    monkeypatch.setenv("KF_TEST_OVERRIDDEN", "parent")
    names = ["KF_TEST_FROM_PARENT", "KF_TEST_OVERRIDDEN", "KF_TEST_NEW", "PATH", "HOME"]
    name = client.train(
        trainer=CustomTrainer(
            func=print_env,
            func_args={"names": names},
            env={"KF_TEST_OVERRIDDEN": "trainer", "KF_TEST_NEW": "new"},
        )
    )
    client.wait_for_job_status(name, timeout=60, polling_interval=1)
    env = parse_env(logs(client, name)[0])
    assert env["KF_TEST_FROM_PARENT"] == "parent-value"
    assert env["KF_TEST_OVERRIDDEN"] == "trainer"
    assert env["KF_TEST_NEW"] == "new"
    assert env["PATH"] == os.environ["PATH"]
    assert env["HOME"] == os.environ.get("HOME", "-")


# ---------------------------------------------------------------- status, failures, waiting
def test_failing_rank_fails_the_job_promptly(client: TrainerClient) -> None:
    name = client.train(trainer=CustomTrainer(func=one_rank_fails, num_nodes=2))
    # Rank 0 sleeps 60 s: the job can fail within this 30 s deadline only if the failure of
    # rank 1 stops it (otherwise the wait ends in JobTimeoutError).
    with pytest.raises(RuntimeError) as info:
        client.wait_for_job_status(name, timeout=30, polling_interval=5)
    error = info.value
    assert isinstance(error, JobFailedError)
    assert "node-1" in str(error) and "exited with code 3" in str(error)
    assert "rank 1 is about to fail" in str(error)
    assert error.step == "node-1" and error.exit_code == 3
    # The other rank is stopped rather than left running for its 60 s.
    job = client.wait_for_job_status(name, {"Failed"}, timeout=30, polling_interval=1)
    assert job.status == "Failed"
    status = json.loads(
        (Path(client.backend.state_dir) / "jobs" / name / "status.json").read_text()
    )
    deadline = time.monotonic() + 10
    while status["finished"] is None and time.monotonic() < deadline:
        time.sleep(0.1)
        status = json.loads(
            (Path(client.backend.state_dir) / "jobs" / name / "status.json").read_text()
        )
    assert status["finished"] is not None
    rank0 = next(r for r in status["ranks"] if r["rank"] == 0)
    assert rank0["killed"] and rank0["exit_code"] != 0
    assert not alive(rank0["pid"])


def test_wait_timeout_is_a_deadline_and_callbacks_see_each_poll(client: TrainerClient) -> None:
    name = client.train(trainer=CustomTrainer(func=sleep_for, func_args={"seconds": 30}))
    seen: list[TrainJob] = []
    started = time.monotonic()
    with pytest.raises(TimeoutError) as info:
        client.wait_for_job_status(name, timeout=2, polling_interval=1, callbacks=[seen.append])
    elapsed = time.monotonic() - started
    assert isinstance(info.value, JobTimeoutError)
    assert elapsed >= 2  # the timeout is a deadline, never cut short
    assert len(seen) >= 2 and all(isinstance(j, TrainJob) and j.name == name for j in seen)
    assert client.wait_for_job_status(name, {"Running"}, timeout=10).status == "Running"


def test_follow_yields_lines_while_running(
    client: TrainerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    name = client.train(trainer=CustomTrainer(func=print_sleep_print, func_args={"pause": 2.0}))
    stream = client.get_job_logs(name, follow=True)
    assert next(stream) == "first"
    assert client.get_job(name).status == "Running"  # the line came before the job finished
    assert list(stream) == ["second"]  # ends by itself once the job is done
    assert client.get_job(name).status == "Complete"
    assert capsys.readouterr().out == ""  # nothing printed, unlike upstream


def test_unknown_step_lists_the_steps(client: TrainerClient) -> None:
    name = client.train(trainer=CustomTrainer(func=say, func_args={"text": "hi"}, num_nodes=2))
    with pytest.raises(ValueError, match="node-0, node-1"):
        client.get_job_logs(name, step="train")
    client.wait_for_job_status(name, timeout=60, polling_interval=1)
    assert logs(client, name, "node-1") == ["hi"]


# ---------------------------------------------------------------- persistence and names
def test_jobs_survive_a_new_client_and_another_process(
    client: TrainerClient, state_dir: Path
) -> None:
    options = pytest.importorskip("kubeflow.trainer.options")
    name = client.train(
        trainer=CustomTrainer(func=say, func_args={"text": "persisted"}),
        options=[options.Name("persisted-job")],
    )
    assert name == "persisted-job"
    client.wait_for_job_status(name, timeout=60, polling_interval=1)
    fresh = TrainerClient(LocalProcessBackendConfig(state_dir=str(state_dir)))
    job = fresh.get_job(name)
    assert job.status == "Complete" and job.runtime.name == "torch-distributed"
    assert logs(fresh, name) == ["persisted"]
    code = (
        "from kubeflow.trainer import TrainerClient, LocalProcessBackendConfig\n"
        "for j in TrainerClient(LocalProcessBackendConfig()).list_jobs():\n"
        "    print(j.name, j.status, j.runtime.name)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=subprocess_env(state_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.split() == ["persisted-job", "Complete", "torch-distributed"]
    with pytest.raises(AlreadyExistsError) as info:
        fresh.train(
            trainer=CustomTrainer(func=say, func_args={"text": "x"}),
            options=[options.Name("persisted-job")],
        )
    assert isinstance(info.value, RuntimeError)


def test_delete_leaves_no_process_behind(client: TrainerClient, state_dir: Path) -> None:
    name = client.train(trainer=CustomTrainer(func=spawn_child_and_wait, num_nodes=2))
    pids = []
    for node in range(2):
        line = next(iter(client.get_job_logs(name, step=f"node-{node}", follow=True)))
        pids += [int(p) for p in line.split()[1:]]
    supervisor = supervisor_pid(state_dir, name)
    pids.append(supervisor)
    assert all(alive(p) for p in pids)
    # Deleted from another client instance, as from a restarted notebook.
    other = TrainerClient(LocalProcessBackendConfig(state_dir=str(state_dir)))
    other.delete_job(name)
    assert wait_gone(pids) == []
    assert not (state_dir / "jobs" / name).exists()
    with pytest.raises(ValueError):
        client.get_job(name)


def test_killed_supervisor_is_reported_as_failed(client: TrainerClient, state_dir: Path) -> None:
    name = client.train(trainer=CustomTrainer(func=print_sleep_print, func_args={"pause": 60}))
    assert next(iter(client.get_job_logs(name, follow=True))) == "first"
    rank_pid = json.loads((state_dir / "jobs" / name / "status.json").read_text())["ranks"][0][
        "pid"
    ]
    os.kill(supervisor_pid(state_dir, name), signal.SIGKILL)
    with pytest.raises(JobFailedError, match="supervisor"):
        client.wait_for_job_status(name, timeout=30, polling_interval=1)
    assert wait_gone([rank_pid]) == []  # the rank dies with its supervisor
    assert list(client.get_job_logs(name, follow=True)) == ["first"]  # follow does not hang
