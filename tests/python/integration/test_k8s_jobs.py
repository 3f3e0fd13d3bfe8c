"""list_jobs / get_job / delete_job on the Kubernetes backend: steps and status derived from the
TrainJob and its pods as the controllers would leave them, request counts, deleted runtimes
(kubeflow-sdk.md §3.3, conformance cases 19-22 and 25; §9 weak spots)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from kubeflow.trainer import CustomTrainerContainer, RuntimeKind, TrainerType
from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import NotFoundError
from kubeflow.trainer.options import Name
from kubeflow.trainer.types.types import Step, TrainJob
from tests.python.integration.k8s_sim import (
    client,
    condition,
    create_pod,
    create_runtime_snapshot,
    create_training_runtime,
    create_trainjob,
    get_trainjob,
    parse_time,
    set_conditions,
    set_pod_phase,
    trainjob_names,
    trainjobs_path,
    wait_for_next_second,
)

GPU = {"nvidia.com/gpu": 1}


def _two_node_job(c, name: str) -> str:
    return c.train(
        trainer=CustomTrainerContainer(image="example.com/img", num_nodes=2), options=[Name(name)]
    )


def test_list_jobs_returns_every_job_and_filters_by_runtime_name(cluster, namespace):
    c = client(cluster, namespace)
    assert c.list_jobs() == []
    torch_job = _two_node_job(c, "torch-job")
    jax_job = c.train(runtime="jax-distributed", options=[Name("jax-job")])

    jobs = c.list_jobs()
    assert all(isinstance(j, TrainJob) for j in jobs)
    assert sorted(j.name for j in jobs) == [jax_job, torch_job]
    by_name = {j.name: j for j in jobs}
    assert by_name[torch_job].runtime.name == "torch-distributed"
    assert by_name[torch_job].num_nodes == 2
    assert by_name[jax_job].runtime.name == "jax-distributed"
    assert by_name[jax_job].num_nodes == 1  # the runtime's mlPolicy.numNodes
    for job in jobs:
        server = get_trainjob(cluster, namespace, job.name)
        assert job.creation_timestamp == parse_time(server["metadata"]["creationTimestamp"])
        assert job.status == "Created"
        assert job.steps == []

    only_jax = c.list_jobs(runtime=c.get_runtime("jax-distributed"))
    assert [j.name for j in only_jax] == [jax_job]


def test_get_job_case_19_steps_devices_and_status(cluster, namespace):
    c = client(cluster, namespace)
    name = _two_node_job(c, "basic-job")
    create_pod(
        cluster,
        namespace,
        name,
        "dataset-initializer",
        name="dataset-initializer-pod",
        phase="Running",
    )
    create_pod(
        cluster, namespace, name, "model-initializer", name="model-initializer-pod", phase="Running"
    )
    create_pod(cluster, namespace, name, "node", 0, name="node-0-pod", phase="Running", limits=GPU)
    create_pod(
        cluster,
        namespace,
        name,
        "node",
        1,
        name="node-1-pod",
        phase="Running",
        limits=GPU,
        env=[{"name": "PET_NPROC_PER_NODE", "value": "4"}],
    )
    # A pod of another job and an unlabelled pod are not steps.
    create_pod(cluster, namespace, "other-job", "node", 0, name="other-pod", phase="Running")
    set_conditions(
        cluster,
        namespace,
        name,
        condition("Complete", reason="AllJobsCompleted", message="jobset completed successfully"),
    )

    job = c.get_job(name)
    assert job.name == "basic-job"
    assert job.status == "Complete"
    assert job.num_nodes == 2
    assert job.runtime.name == "torch-distributed"
    assert job.runtime.kind is RuntimeKind.CLUSTER_TRAINING_RUNTIME
    assert job.runtime.trainer.command == constants.TORCH_COMMAND
    server = get_trainjob(cluster, namespace, name)
    assert job.creation_timestamp == parse_time(server["metadata"]["creationTimestamp"])
    assert job.steps == [
        Step("dataset-initializer", "Running", "dataset-initializer-pod", "Unknown", "Unknown"),
        Step("model-initializer", "Running", "model-initializer-pod", "Unknown", "Unknown"),
        Step("node-0", "Running", "node-0-pod", "gpu", "1"),
        # PET_NPROC_PER_NODE overrides the count.
        Step("node-1", "Running", "node-1-pod", "gpu", "4"),
    ]


def test_get_job_case_20_restarted_pods_replace_their_predecessors(cluster, namespace):
    c = client(cluster, namespace)
    name = _two_node_job(c, "restarted-job")
    for role, index, pod in [
        ("dataset-initializer", 0, "dataset-initializer-pod"),
        ("model-initializer", 0, "model-initializer-pod"),
        ("node", 0, "node-0-pod"),
        ("node", 1, "node-1-pod"),
    ]:
        create_pod(cluster, namespace, name, role, index, name=pod, phase="Running")
    wait_for_next_second()  # creationTimestamp has 1 s resolution
    for role, index, pod in [
        ("dataset-initializer", 0, "dataset-initializer-pod"),
        ("model-initializer", 0, "model-initializer-pod"),
        ("node", 0, "node-0-pod"),
        ("node", 1, "node-1-pod"),
    ]:
        create_pod(cluster, namespace, name, role, index, name=f"{pod}-restarted", phase="Pending")

    job = c.get_job(name)
    assert [(s.name, s.status, s.pod_name) for s in job.steps] == [
        ("dataset-initializer", "Pending", "dataset-initializer-pod-restarted"),
        ("model-initializer", "Pending", "model-initializer-pod-restarted"),
        ("node-0", "Pending", "node-0-pod-restarted"),
        ("node-1", "Pending", "node-1-pod-restarted"),
    ]
    assert job.status == "Created"


def test_mpi_runtime_launcher_is_node_0_and_workers_shift_up(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(
        runtime="deepspeed-distributed",
        trainer=CustomTrainerContainer(image="example.com/ds", num_nodes=3),
        options=[Name("mpi-job")],
    )
    create_pod(cluster, namespace, name, "launcher", 0, name="launcher-pod", phase="Running")
    create_pod(cluster, namespace, name, "node", 0, name="worker-0-pod", phase="Running")
    create_pod(cluster, namespace, name, "node", 1, name="worker-1-pod", phase="Running")

    job = c.get_job(name)
    assert job.runtime.trainer.command == constants.MPI_COMMAND
    assert [(s.name, s.pod_name) for s in job.steps] == [
        ("node-0", "launcher-pod"),
        ("node-1", "worker-0-pod"),
        ("node-2", "worker-1-pod"),
    ]
    assert job.num_nodes == 3
    assert job.status == "Running"


def test_mpi_runtime_with_a_separate_launcher_runs_with_all_its_pods(cluster, namespace):
    """Without runLauncherAsNode the launcher comes on top of numNodes workers; upstream's
    equality test (running node steps == numNodes) never reports such a job Running."""
    runtime = create_training_runtime(
        cluster, namespace, "mpi-launcher", like="deepspeed-distributed"
    )
    runtime["spec"]["mlPolicy"]["mpi"]["runLauncherAsNode"] = False
    cluster.kube.replace(
        f"/apis/trainer.kubeflow.org/v1alpha1/namespaces/{namespace}/trainingruntimes/mpi-launcher",
        runtime,
    )
    c = client(cluster, namespace)
    name = c.train(
        runtime="mpi-launcher",
        trainer=CustomTrainerContainer(image="example.com/ds", num_nodes=2),
        options=[Name("separate-launcher")],
    )
    create_pod(cluster, namespace, name, "launcher", 0, name="l0", phase="Running")
    create_pod(cluster, namespace, name, "node", 0, name="w0", phase="Running")
    create_pod(cluster, namespace, name, "node", 1, name="w1", phase="Pending")
    job = c.get_job(name)
    assert [s.name for s in job.steps] == ["node-0", "node-1", "node-2"]
    assert job.status == "Created"  # a worker is still Pending
    set_pod_phase(cluster, namespace, "w1", "Running")
    assert c.get_job(name).status == "Running"


def test_status_derivation_from_pods_and_conditions(cluster, namespace):
    c = client(cluster, namespace)
    name = _two_node_job(c, "status-job")
    assert c.get_job(name).status == "Created"  # no pods

    create_pod(cluster, namespace, name, "node", 0, name="n0", phase="Running")
    create_pod(cluster, namespace, name, "node", 1, name="n1", phase="Pending")
    assert c.get_job(name).status == "Created"  # one of two nodes

    set_pod_phase(cluster, namespace, "n1", "Running")
    assert c.get_job(name).status == "Running"  # every node Running

    set_pod_phase(cluster, namespace, "n0", "Succeeded")
    assert c.get_job(name).status == "Running"  # Succeeded counts as running

    set_conditions(cluster, namespace, name, condition("Failed", reason="FailedJobs"))
    assert c.get_job(name).status == "Failed"

    set_conditions(cluster, namespace, name, condition("Complete"))
    assert c.get_job(name).status == "Complete"

    # A False terminal condition decides nothing.
    set_conditions(cluster, namespace, name, condition("Complete", "False"))
    assert c.get_job(name).status == "Running"

    # Upstream: the last True Complete/Failed condition wins.
    set_conditions(
        cluster,
        namespace,
        name,
        condition("Complete"),
        condition("Failed", reason="DeadlineExceeded"),
    )
    assert c.get_job(name).status == "Failed"


def test_suspended_and_kueue_resumed_jobs(cluster, namespace):
    c = client(cluster, namespace)
    name = _two_node_job(c, "kueue-job")
    set_conditions(
        cluster,
        namespace,
        name,
        condition("Suspended", "True", "Suspended", "TrainJob is suspended"),
    )
    # Ours: upstream never surfaces Suspended (it shows Created).
    assert c.get_job(name).status == "Suspended"

    set_conditions(
        cluster, namespace, name, condition("Suspended", "False", "Resumed", "TrainJob is resumed")
    )
    create_pod(cluster, namespace, name, "node", 0, name="k0", phase="Running")
    assert c.get_job(name).status == "Created"
    create_pod(cluster, namespace, name, "node", 1, name="k1", phase="Running")
    # Upstream stays at Created whenever any condition exists (issue #803).
    assert c.get_job(name).status == "Running"


def test_get_job_and_delete_job_of_a_missing_job_raise_not_found(cluster, namespace):
    c = client(cluster, namespace)
    for call in (c.get_job, c.delete_job):
        with pytest.raises(NotFoundError) as raised:
            call("missing-job")
        assert isinstance(raised.value, RuntimeError)
        assert raised.value.status == 404
        assert raised.value.name == "missing-job"
        assert "missing-job" in str(raised.value)


def test_delete_job_removes_the_trainjob(cluster, namespace):
    c = client(cluster, namespace)
    keep = c.train(options=[Name("keep")])
    gone = c.train(options=[Name("gone")])
    assert c.delete_job(gone) is None
    assert cluster.kube.get_or_none(trainjobs_path(namespace, gone)) is None
    assert [j.name for j in c.list_jobs()] == [keep]
    with pytest.raises(NotFoundError):
        c.get_job(gone)
    with pytest.raises(NotFoundError):
        c.delete_job(gone)


def test_jobs_of_a_deleted_runtime_still_list(cluster, namespace):
    """Upstream fails the whole listing (issue #797); we use the Trainer 2.3 runtime snapshot,
    or a placeholder runtime when there is none."""
    runtime = create_training_runtime(
        cluster,
        namespace,
        "short-lived",
        like="torch-distributed",
        image="example.com/snapshot-image",
    )
    c = client(cluster, namespace)
    with_snapshot = c.train(runtime="short-lived", options=[Name("with-snapshot")])
    without_snapshot = c.train(runtime="short-lived", options=[Name("without-snapshot")])
    plain = c.train(options=[Name("plain")])
    create_runtime_snapshot(cluster, namespace, with_snapshot, runtime)
    cluster.kube.delete(
        f"/apis/trainer.kubeflow.org/v1alpha1/namespaces/{namespace}/trainingruntimes/short-lived"
    )

    fresh = client(cluster, namespace)  # no cached runtimes
    jobs = {j.name: j for j in fresh.list_jobs()}
    assert sorted(jobs) == [plain, with_snapshot, without_snapshot]
    # TrainJobs, pods, torch-distributed, short-lived (404, asked once), the two snapshots.
    assert fresh.backend.request_count == 6

    snap = jobs[with_snapshot].runtime
    assert (snap.name, snap.kind) == ("short-lived", RuntimeKind.TRAINING_RUNTIME)
    assert snap.trainer.image == "example.com/snapshot-image"
    assert snap.trainer.framework == "torch"
    assert snap.trainer.command == constants.TORCH_COMMAND

    placeholder = jobs[without_snapshot].runtime
    assert (placeholder.name, placeholder.kind) == ("short-lived", RuntimeKind.TRAINING_RUNTIME)
    assert placeholder.trainer.trainer_type is TrainerType.CUSTOM_TRAINER
    assert placeholder.trainer.framework == "Unknown"

    assert jobs[plain].runtime.trainer.framework == "torch"
    assert fresh.get_job(with_snapshot).runtime.trainer.image == "example.com/snapshot-image"
    assert fresh.get_job(without_snapshot).runtime.trainer.framework == "Unknown"


@pytest.fixture
def fifty_jobs(cluster, namespace):
    """50 TrainJobs on torch-distributed, each with 2 Running node pods."""
    names = [f"job-{i:02d}" for i in range(50)]

    def make(name: str) -> None:
        create_trainjob(cluster, namespace, name, num_nodes=2)
        for index in range(2):
            create_pod(
                cluster,
                namespace,
                name,
                "node",
                index,
                name=f"{name}-node-{index}",
                phase="Running",
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(make, names))
    return names


def test_request_counts_with_fifty_jobs(cluster, namespace, fifty_jobs):
    cold = client(cluster, namespace)
    jobs = cold.list_jobs()
    cold_list = cold.backend.request_count
    # TrainJob list, pod list, and one runtime GET shared by all 50 jobs.
    assert cold_list <= 3
    assert sorted(j.name for j in jobs) == fifty_jobs
    assert all(j.status == "Running" and len(j.steps) == 2 for j in jobs)
    assert all(j.runtime.name == "torch-distributed" for j in jobs)

    # Warm: the runtime is cached.
    cold.list_jobs()
    assert cold.backend.request_count - cold_list <= 2

    before = cold.backend.request_count
    job = cold.get_job("job-07")
    assert cold.backend.request_count - before <= 2  # TrainJob and pods; runtime cached
    assert [s.pod_name for s in job.steps] == ["job-07-node-0", "job-07-node-1"]

    # A cold get_job also fetches the runtime: TrainJob, pods, runtime.
    other = client(cluster, namespace)
    other.get_job("job-07")
    assert other.backend.request_count == 3

    assert trainjob_names(cluster, namespace) == fifty_jobs


def test_get_job_carries_conditions_and_what_the_trainer_reported(cluster, namespace):
    create_trainjob(cluster, namespace, "reporting", num_nodes=2)
    cluster.kube.patch_status(
        trainjobs_path(namespace, "reporting"),
        {
            "conditions": [condition("Created", reason="JobSetCreated")],
            "trainerStatus": {
                "progressPercentage": 42,
                "estimatedRemainingSeconds": 3725,
                "metrics": [{"name": "loss", "value": "0.125"}, {"name": "acc", "value": "0.9"}],
                "lastUpdatedTime": "2026-11-30T12:00:00Z",
            },
        },
    )
    job = client(cluster, namespace).get_job("reporting")
    assert [(c.type, c.status, c.reason) for c in job.conditions] == [
        ("Created", "True", "JobSetCreated")
    ]
    reported = job.trainer_status
    assert reported is not None
    assert (reported.progress_percentage, reported.estimated_remaining_seconds) == (42, 3725)
    assert reported.metrics == {"loss": "0.125", "acc": "0.9"}
    assert reported.last_updated_time == datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    page = job._repr_html_()
    assert "42%" in page and "ETA 1h 02m" in page and "0.125" in page

    create_trainjob(cluster, namespace, "silent")
    assert client(cluster, namespace).get_job("silent").trainer_status is None
