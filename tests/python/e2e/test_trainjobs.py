"""TrainJobs that really run: the SDK against a full cluster on the shipped runtimes.

Nothing is faked: the Trainer turns each TrainJob into a JobSet, JobSet and the Job controller
create pods, the scheduler binds them, the kubelet runs them in containerd from images built
from Debian packages, and CoreDNS resolves the names torchrun rendezvouses on.
"""

from __future__ import annotations

import time

import pytest

from kubeflow.trainer import CustomTrainer, KubernetesBackendConfig, TrainerClient, errors

WAIT_TIMEOUT = 600  # a cold node imports torch for the first time in each pod


def _client(full_cluster, namespace: str) -> TrainerClient:
    return TrainerClient(
        KubernetesBackendConfig(config_file=full_cluster.admin_kubeconfig, namespace=namespace)
    )


def allreduce():
    """Each rank contributes rank + 1; the sum proves every rank took part."""
    import time

    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    print(f"e2e: rank {rank} of {world} joined", flush=True)
    time.sleep(3)  # so that a follower sees lines while the job still runs
    value = torch.tensor([float(rank + 1)])
    dist.all_reduce(value)
    print(f"e2e: rank {rank} all_reduce={value.item():g}", flush=True)
    dist.destroy_process_group()


def fails():
    raise ValueError("e2e: this training function fails on purpose")


def test_torch_two_nodes_all_reduce_completes_with_logs_of_both_nodes(
    full_cluster, namespace, figures
):
    client = _client(full_cluster, namespace)
    t0 = time.monotonic()
    # One CPU per node: the node (2 CPUs) fits both, and the steps show the devices.
    name = client.train(
        runtime="torch-distributed",
        trainer=CustomTrainer(func=allreduce, num_nodes=2, resources_per_node={"cpu": 1}),
    )

    # follow=True waits for node-0 to start and streams until its container ends.
    followed, status_at_first_line = [], None
    for line in client.get_job_logs(name, step="node-0", follow=True):
        if status_at_first_line is None:
            status_at_first_line = client.get_job(name).status
        followed.append(line)
    assert status_at_first_line not in (None, "Complete", "Failed")
    assert any("e2e: rank 0 all_reduce=" in line for line in followed)

    job = client.wait_for_job_status(name, {"Complete"}, timeout=WAIT_TIMEOUT, polling_interval=1)
    figures.append(f"train() to Complete, 2-node torch all-reduce: {time.monotonic() - t0:.1f} s")
    assert job.status == "Complete"
    assert job.num_nodes == 2
    assert sorted(s.name for s in job.steps) == ["node-0", "node-1"]
    for step in job.steps:
        assert step.status == "Succeeded"
        assert (step.device, step.device_count) == ("cpu", "1")
        assert step.pod_name.startswith(f"{name}-node-")

    logs = {step: list(client.get_job_logs(name, step=step)) for step in ("node-0", "node-1")}
    world = None
    ranks = set()
    for step, lines in logs.items():
        joined = [line for line in lines if "joined" in line]
        assert joined, f"{step} logged {lines}"
        for line in joined:  # "e2e: rank R of W joined"
            words = line.split()
            ranks.add(int(words[words.index("rank") + 1]))
            world = int(words[words.index("of") + 1])
    assert world is not None and world >= 2
    assert ranks == set(range(world))
    expected = f"all_reduce={world * (world + 1) // 2}"
    for step, lines in logs.items():
        assert any(expected in line for line in lines), f"{step} logged {lines}"


def test_a_failing_function_fails_the_job_with_the_traceback_in_the_logs(full_cluster, namespace):
    client = _client(full_cluster, namespace)
    name = client.train(runtime="torch-distributed", trainer=CustomTrainer(func=fails, num_nodes=1))
    # Followed while it runs: once the Job gives up (backoffLimit) it deletes the pod and its logs.
    logs = "\n".join(client.get_job_logs(name, step="node-0", follow=True))
    assert "Traceback (most recent call last)" in logs
    assert "ValueError: e2e: this training function fails on purpose" in logs
    with pytest.raises(RuntimeError) as raised:
        client.wait_for_job_status(name, {"Complete"}, timeout=WAIT_TIMEOUT, polling_interval=1)
    assert isinstance(raised.value, errors.JobFailedError)
    assert name in str(raised.value)
    assert client.get_job(name).status == "Failed"


def test_get_runtime_packages_prints_the_images_real_packages(full_cluster, namespace, capsys):
    client = _client(full_cluster, namespace)
    for runtime_name in ("torch-distributed", "xgboost-distributed"):
        client.get_runtime_packages(client.get_runtime(runtime_name))
        out = capsys.readouterr().out
        assert "Python: 3." in out
        packages = {line.split()[0].lower() for line in out.splitlines() if len(line.split()) == 2}
        assert {"torch", "numpy", "xgboost"} <= packages, out


def test_events_are_real_and_delete_cascades_to_jobset_jobs_and_pods(full_cluster, namespace):
    client = _client(full_cluster, namespace)
    name = client.train(
        runtime="torch-distributed", trainer=CustomTrainer(func=allreduce, num_nodes=2)
    )
    client.wait_for_job_status(name, {"Complete"}, timeout=WAIT_TIMEOUT, polling_interval=1)
    events = client.get_job_events(name)
    reasons = {(e.involved_object_kind, e.reason) for e in events}
    assert ("Pod", "Scheduled") in reasons, reasons  # kube-scheduler
    assert ("Pod", "Started") in reasons, reasons  # kubelet
    assert ("Job", "SuccessfulCreate") in reasons, reasons  # the Job controller

    kube = full_cluster.kube
    selector = f"jobset.sigs.k8s.io/jobset-name={name}"
    assert kube.list(f"/api/v1/namespaces/{namespace}/pods", label_selector=selector)
    client.delete_job(name)
    paths = [
        f"/apis/jobset.x-k8s.io/v1alpha2/namespaces/{namespace}/jobsets",
        f"/apis/batch/v1/namespaces/{namespace}/jobs",
        f"/api/v1/namespaces/{namespace}/pods",
    ]
    deadline = time.monotonic() + 120
    left = None
    while time.monotonic() < deadline:
        left = {p: [i["metadata"]["name"] for i in kube.list(p)] for p in paths}
        if not any(left.values()):
            break
        time.sleep(0.5)
    assert not any(left.values()), f"left after delete_job: {left}"
    with pytest.raises(errors.NotFoundError):
        client.get_job(name)


def test_the_trainer_webhook_rejection_is_our_typed_error(full_cluster, namespace):
    client = _client(full_cluster, namespace)
    with pytest.raises(errors.ApiError) as raised:
        client.train(
            runtime="torch-distributed",
            trainer=CustomTrainer(func=allreduce, env={"PET_NNODES": "5"}),
        )
    message = str(raised.value)
    assert "admission webhook" in message and "trainjob.trainer.kubeflow.org" in message
    assert "must not have reserved envs" in message
    # The Trainer's validator denies with HTTP 403, but the object is at fault, not RBAC.
    assert isinstance(raised.value, errors.InvalidError)
    assert isinstance(raised.value, ValueError)
    assert raised.value.status == 403
    assert "RBAC" not in message
    assert not client.list_jobs()


def test_a_job_the_node_cannot_fit_stays_pending_and_the_sdk_says_so(full_cluster, namespace):
    client = _client(full_cluster, namespace)
    name = client.train(
        runtime="torch-distributed",
        trainer=CustomTrainer(func=allreduce, num_nodes=1, resources_per_node={"cpu": 64}),
    )
    kube = full_cluster.kube
    selector = f"jobset.sigs.k8s.io/jobset-name={name}"
    deadline = time.monotonic() + 120
    events = []
    while time.monotonic() < deadline:  # until the scheduler has tried and given up
        events = [e for e in client.get_job_events(name) if e.reason == "FailedScheduling"]
        if events:
            break
        time.sleep(0.5)
    assert events and "Insufficient cpu" in events[0].message, events
    pods = kube.list(f"/api/v1/namespaces/{namespace}/pods", label_selector=selector)
    assert [p["status"]["phase"] for p in pods] == ["Pending"]
    job = client.get_job(name)
    assert [s.status for s in job.steps] == ["Pending"]
    with pytest.raises(TimeoutError):
        client.wait_for_job_status(name, {"Running"}, timeout=5, polling_interval=1)
    with pytest.raises(errors.NotFoundError) as raised:
        list(client.get_job_logs(name, step="node-0"))
    assert "has not started yet" in str(raised.value) and "Pending" in str(raised.value)
