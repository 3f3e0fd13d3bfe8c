"""TrainJobs as containers on a real Podman engine (tests/support/podman_engine.py)."""

from __future__ import annotations

import shutil
import time

import pytest

from kubeflow.trainer import ContainerBackendConfig, CustomTrainer, TrainerClient
from kubeflow.trainer.backends.container.errors import (
    ContainerEngineError,
    ContainerJobNotFoundError,
    ImageNotFoundError,
)
from kubeflow.trainer.errors import (
    AlreadyExistsError,
    JobFailedError,
    JobTimeoutError,
    ValidationError,
)
from kubeflow.trainer.options import Name

JOB_LABEL = "trainer.kubeflow.org/trainjob-name"


def events_with(client: TrainerClient, name: str, reason: str, count: int) -> list:
    """The job's events once ``count`` of them have ``reason``: the engine appends a container's
    death to its event log a moment after the container's state says it exited (seen late under
    load), so a job already Complete may not have its events yet."""
    deadline = time.monotonic() + 60
    while True:
        events = client.get_job_events(name)
        if sum(e.reason == reason for e in events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


def allreduce(greeting: str) -> None:
    import os
    import socket

    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    value = torch.tensor([float(rank + 1)])
    dist.all_reduce(value)
    print(
        f"host={socket.gethostname()} rank={rank} world={dist.get_world_size()} sum={value.item()}"
    )
    print(f"greeting={greeting} env={os.environ['GREETING']} master={os.environ['MASTER_ADDR']}")
    dist.destroy_process_group()


def fail() -> None:
    print("about to fail", flush=True)
    raise SystemExit(7)


def sleep_long() -> None:
    import time

    print("sleeping", flush=True)
    time.sleep(600)


def quick() -> None:
    print("done")


def leftovers(engine, home, name: str) -> dict:
    """What is left of job ``name``: containers, networks, its work directory."""
    containers = engine.podman("ps", "--all", "--quiet", "--filter", f"label={JOB_LABEL}={name}")
    networks = engine.podman("network", "ls", "--format", "{{.Name}}")
    return {
        "containers": containers.stdout.split(),
        "networks": [n for n in networks.stdout.split() if n.startswith(name)],
        "workdir": (home / ".kubeflow/trainer/containers" / name).exists(),
    }


NOTHING = {"containers": [], "networks": [], "workdir": False}


def test_two_node_torch_allreduce(container_client, podman_engine, container_home, figures):
    figures.append(
        f"container: training image load into podman: {podman_engine.load_seconds:.1f} s"
    )
    client = container_client
    start = time.monotonic()
    name = client.train(
        trainer=CustomTrainer(
            func=allreduce, func_args={"greeting": "hello"}, num_nodes=2, env={"GREETING": "hi"}
        )
    )
    # Followed while it runs: the lines come as node 1 writes them, and the stream ends when
    # its container stops.
    followed = list(client.get_job_logs(name, step="node-1", follow=True))
    job = client.wait_for_job_status(name, timeout=600, polling_interval=1)
    figures.append(
        f"container: 2-node torch all-reduce, train() to Complete: {time.monotonic() - start:.1f} s"
    )
    assert job.status == "Complete"
    assert job.num_nodes == 2
    assert job.runtime.name == "torch-distributed"
    assert [(s.name, s.status, s.pod_name) for s in job.steps] == [
        ("node-0", "Complete", f"{name}-node-0"),
        ("node-1", "Complete", f"{name}-node-1"),
    ]
    for rank in (0, 1):
        lines = list(client.get_job_logs(name, step=f"node-{rank}"))
        assert f"host={name}-node-{rank} rank={rank} world=2 sum=3.0" in lines, lines
        assert f"greeting=hello env=hi master={name}-node-0" in lines, lines
    assert f"host={name}-node-1 rank=1 world=2 sum=3.0" in followed
    # Every node at once, prefixed; the same lines followed (the containers have stopped).
    merged = list(client.get_job_logs(name, all_nodes=True))
    for rank in (0, 1):
        assert f"[node-{rank}] host={name}-node-{rank} rank={rank} world=2 sum=3.0" in merged
    assert sorted(client.get_job_logs(name, follow=True, all_nodes=True)) == sorted(merged)
    node0 = list(client.get_job_logs(name))
    assert list(client.get_job_logs(name, tail_lines=1)) == node0[-1:]
    assert list(client.get_job_logs(name, since_seconds=3600)) == node0
    with pytest.raises(ValidationError) as refused:
        client.get_job_logs(name, previous=True)
    assert refused.value.field == "previous"
    assert (container_home / ".kubeflow/trainer/containers" / name / "node-0").is_dir()

    start = time.monotonic()
    client.delete_job(name)
    figures.append(
        f"container: delete_job of a finished 2-node job: {time.monotonic() - start:.1f} s"
    )
    assert leftovers(podman_engine, container_home, name) == NOTHING
    with pytest.raises(ContainerJobNotFoundError):
        client.get_job(name)


def test_failing_job_is_failed(container_client):
    client = container_client
    name = client.train(runtime="xgboost-distributed", trainer=CustomTrainer(func=fail))
    with pytest.raises(JobFailedError) as failed:
        client.wait_for_job_status(name, timeout=300, polling_interval=1)
    assert failed.value.exit_code == 7
    assert failed.value.step == "node-0"
    assert "about to fail" in failed.value.log_tail
    assert f"TrainJob {name} is Failed" in str(failed.value)
    job = client.wait_for_job_status(name, status={"Failed"}, timeout=30, polling_interval=1)
    assert job.status == "Failed"
    assert [s.status for s in job.steps] == ["Failed"]
    events = events_with(client, name, "died", count=1)
    assert {e.involved_object_name for e in events} == {f"{name}-node-0"}
    reasons = [e.reason for e in events]
    assert reasons.index("create") < reasons.index("start") < reasons.index("died")
    assert f"Container {name}-node-0: died (exit code 7)" in [e.message for e in events]


def test_jobs_seen_and_deleted_from_another_client(
    podman_engine, container_home, client_for, figures
):
    first = client_for(pull_policy="Never")
    sleeper = first.train(
        runtime="xgboost-distributed",
        trainer=CustomTrainer(func=sleep_long, num_nodes=2),
        options=[Name("sleeper")],
    )
    done = first.train(runtime="torch-distributed", trainer=CustomTrainer(func=quick))
    with pytest.raises(AlreadyExistsError):
        first.train(
            runtime="xgboost-distributed",
            trainer=CustomTrainer(func=quick),
            options=[Name("sleeper")],
        )

    second = client_for(pull_policy="Never")
    assert {j.name for j in second.list_jobs()} == {sleeper, done}
    xgb = second.get_runtime("xgboost-distributed")
    assert [j.name for j in second.list_jobs(runtime=xgb)] == [sleeper]
    running = second.wait_for_job_status(
        sleeper, status={"Running"}, timeout=120, polling_interval=1
    )
    assert [s.status for s in running.steps] == ["Running", "Running"]
    assert second.get_job(sleeper).runtime.name == "xgboost-distributed"
    with pytest.raises(JobTimeoutError):
        second.wait_for_job_status(sleeper, timeout=3, polling_interval=1)
    assert list(second.get_job_logs(sleeper, step="node-1")) == ["sleeping"]

    start = time.monotonic()
    second.delete_job(sleeper)
    figures.append(
        f"container: delete_job of a running 2-node job: {time.monotonic() - start:.1f} s"
    )
    assert leftovers(podman_engine, container_home, sleeper) == NOTHING
    with pytest.raises(ContainerJobNotFoundError):
        first.get_job(sleeper)
    with pytest.raises(ValueError):
        first.delete_job(sleeper)
    assert [j.name for j in first.list_jobs()] == [done]
    first.wait_for_job_status(done, timeout=300, polling_interval=1)
    first.delete_job(done)
    assert leftovers(podman_engine, container_home, done) == NOTHING


@pytest.mark.parametrize("policy", ["Never", "IfNotPresent"])
def test_missing_image_is_a_typed_error(podman_engine, container_home, client_for, policy):
    client = client_for(pull_policy=policy)
    with pytest.raises(ImageNotFoundError) as missing:
        client.train(trainer=CustomTrainer(func=quick, image="localhost/kubeflow-test/absent:1"))
    assert missing.value.image == "localhost/kubeflow-test/absent:1"
    assert missing.value.field == "trainer.image"
    assert "podman load" in missing.value.hint
    assert ("pull_policy is Never" if policy == "Never" else "pulling it failed") in str(
        missing.value
    )
    assert client.list_jobs() == []
    assert not (container_home / ".kubeflow").exists()


def test_injected_env_cannot_be_overridden(container_client):
    with pytest.raises(ValidationError) as refused:
        container_client.train(trainer=CustomTrainer(func=quick, env={"PET_NNODES": "9"}))
    assert refused.value.field == "trainer.env"
    assert container_client.list_jobs() == []


def hello() -> None:
    import os
    import socket

    print(f"hello from {socket.gethostname()} task {os.environ['DMLC_TASK_ID']}")


def test_docker_cli_through_the_engines_docker_api(podman_engine, container_home):
    """The same job through the docker CLI: podman serves Docker's API on the same socket."""
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI on PATH")
    client = TrainerClient(
        ContainerBackendConfig(
            container_runtime="docker", container_host=podman_engine.url, pull_policy="Never"
        )
    )
    assert client.backend.engine.kind == "docker"
    name = client.train(
        runtime="xgboost-distributed", trainer=CustomTrainer(func=hello, num_nodes=2)
    )
    job = client.wait_for_job_status(name, timeout=300, polling_interval=1)
    assert [s.status for s in job.steps] == ["Complete", "Complete"]
    for rank in (0, 1):
        assert list(client.get_job_logs(name, step=f"node-{rank}", follow=True)) == [
            f"hello from {name}-node-{rank} task {rank}"
        ]
    assert [j.name for j in client.list_jobs()] == [name]
    events = events_with(client, name, "die", count=2)
    died = sorted(e.involved_object_name for e in events if e.reason == "die")
    assert died == [f"{name}-node-0", f"{name}-node-1"]
    client.delete_job(name)
    assert leftovers(podman_engine, container_home, name) == NOTHING


def test_a_failed_train_removes_only_what_it_made(container_client, podman_engine, container_home):
    # A network of the job's network name that is not the job's: train fails on it and leaves it.
    assert podman_engine.podman("network", "create", "taken-net").returncode == 0
    try:
        with pytest.raises(ContainerEngineError, match="network create"):
            container_client.train(trainer=CustomTrainer(func=quick), options=[Name("taken")])
        names = podman_engine.podman("network", "ls", "--format", "{{.Name}}").stdout.split()
        assert "taken-net" in names
        assert container_client.list_jobs() == []
        assert not (container_home / ".kubeflow/trainer/containers/taken").exists()
    finally:
        podman_engine.podman("network", "rm", "taken-net")
