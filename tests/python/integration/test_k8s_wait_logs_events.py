"""wait_for_job_status, get_job_logs and get_job_events on the Kubernetes backend (kubeflow-sdk.md
§3.3, conformance cases 23, 24 and 26).

Pod logs need a kubelet, which this control plane does not have: the API server answers a log
request for a pod without a node with an empty body. So log *content* is not tested here; what
is tested is which pod and container are asked for (the server rejects a wrong container), the
errors, and that follow=True waits while a pod is Pending.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest

from kubeflow.trainer import CustomTrainerContainer, Event
from kubeflow.trainer.errors import JobFailedError, JobTimeoutError, NotFoundError
from kubeflow.trainer.options import Name
from tests.python.integration.k8s_sim import (
    client,
    condition,
    create_event,
    create_pod,
    set_conditions,
    set_pod_phase,
    trainjobs_path,
    wait_for_next_second,
)


def _job(c, name: str, num_nodes: int = 1) -> str:
    return c.train(
        trainer=CustomTrainerContainer(image="example.com/img", num_nodes=num_nodes),
        options=[Name(name)],
    )


def _later(delay: float, action) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        action()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


# ---- wait_for_job_status -------------------------------------------------------------------


def test_wait_returns_when_the_job_completes_later(cluster, namespace):
    c = client(cluster, namespace)
    name = _job(c, "wait-complete")
    seen: list[str] = []
    patcher = _later(1.0, lambda: set_conditions(cluster, namespace, name, condition("Complete")))
    job = c.wait_for_job_status(name, timeout=60, callbacks=[lambda j: seen.append(j.status)])
    patcher.join()
    assert job.name == name and job.status == "Complete"
    # The callbacks saw the job before and after the change.
    assert seen[0] == "Created" and seen[-1] == "Complete"


def test_wait_for_running_follows_the_pods(cluster, namespace):
    c = client(cluster, namespace)
    name = _job(c, "wait-running", num_nodes=2)
    create_pod(cluster, namespace, name, "node", 0, name="r0", phase="Running")
    create_pod(cluster, namespace, name, "node", 1, name="r1", phase="Pending")
    patcher = _later(1.0, lambda: set_pod_phase(cluster, namespace, "r1", "Running"))
    job = c.wait_for_job_status(name, status={"Running", "Complete"}, timeout=60)
    patcher.join()
    assert job.status == "Running"
    assert [s.status for s in job.steps] == ["Running", "Running"]


def test_wait_raises_job_failed_promptly(cluster, namespace):
    c = client(cluster, namespace)
    name = _job(c, "wait-failed")
    patcher = _later(
        0.5,
        lambda: set_conditions(
            cluster,
            namespace,
            name,
            condition("Failed", reason="FailedJobs", message="pod crashed"),
        ),
    )
    # An hour-long timeout: only noticing the failure can end the wait.
    with pytest.raises(JobFailedError) as raised:
        c.wait_for_job_status(name, status={"Running"}, timeout=3600)
    patcher.join()
    assert isinstance(raised.value, RuntimeError)
    assert f"TrainJob {name} is Failed" in str(raised.value)
    assert "pod crashed" in str(raised.value)  # ours: the condition's message


def test_wait_for_failed_returns_a_failed_job(cluster, namespace):
    c = client(cluster, namespace)
    name = _job(c, "wait-for-failed")
    set_conditions(cluster, namespace, name, condition("Failed"))
    assert c.wait_for_job_status(name, status={"Failed"}, timeout=10).status == "Failed"


def test_wait_times_out_near_the_timeout(cluster, namespace):
    c = client(cluster, namespace)
    name = _job(c, "wait-timeout")
    set_conditions(cluster, namespace, name, condition("Complete"))
    start = time.monotonic()
    # Case 24: waiting for Failed on a Complete job.
    with pytest.raises(TimeoutError) as raised:
        c.wait_for_job_status(name, status={"Failed"}, timeout=2, polling_interval=1)
    elapsed = time.monotonic() - start
    assert isinstance(raised.value, JobTimeoutError)
    assert elapsed >= 2.0  # the timeout is a deadline, never cut short
    assert name in str(raised.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": {"InvalidStatus"}},
        {"timeout": 1, "polling_interval": 2},
        {"timeout": 10, "polling_interval": 10},
        {"polling_interval": 0},
        {"polling_interval": -1},
        {"timeout": 0},
    ],
)
def test_wait_argument_errors_are_value_errors_before_any_request(cluster, namespace, kwargs):
    c = client(cluster, namespace)
    with pytest.raises(ValueError):
        c.wait_for_job_status("any-job", **kwargs)
    assert c.backend.request_count == 0


def test_wait_on_a_missing_or_deleted_job_raises_not_found(cluster, namespace):
    c = client(cluster, namespace)
    with pytest.raises(NotFoundError):
        c.wait_for_job_status("never-created", timeout=10)
    name = _job(c, "deleted-while-waited")
    deleter = _later(0.5, lambda: cluster.kube.delete(trainjobs_path(namespace, name)))
    with pytest.raises(NotFoundError, match="deleted"):
        c.wait_for_job_status(name, timeout=3600)  # only the delete can end it
    deleter.join()


# ---- get_job_logs --------------------------------------------------------------------------


def test_logs_of_a_job_without_pods_is_an_error_naming_the_steps(cluster, namespace):
    """Upstream returns an empty iterator here (issue #317)."""
    c = client(cluster, namespace)
    name = _job(c, "no-pods")
    with pytest.raises(NotFoundError) as raised:
        list(c.get_job_logs(name))
    assert isinstance(raised.value, RuntimeError)
    assert name in str(raised.value) and "node-0" in str(raised.value)
    assert "steps are []" in str(raised.value)

    create_pod(cluster, namespace, name, "dataset-initializer", name="init-pod", phase="Running")
    with pytest.raises(NotFoundError, match=r"its steps are \[dataset-initializer\]"):
        list(c.get_job_logs(name, step="node-0"))


def test_logs_of_a_pending_step_is_an_error(cluster, namespace):
    c = client(cluster, namespace)
    name = _job(c, "pending-logs")
    create_pod(cluster, namespace, name, "node", 0, name="pending-pod", phase="Pending")
    with pytest.raises(NotFoundError, match="has not started yet: its pod pending-pod is Pending"):
        list(c.get_job_logs(name))


def test_logs_ask_the_server_for_the_step_container(cluster, namespace):
    """The server rejects a container the pod does not have, so these calls prove that
    node-N reads container "node" and an initializer step its own container."""
    c = client(cluster, namespace)
    name = _job(c, "container-logs", num_nodes=2)
    create_pod(cluster, namespace, name, "node", 1, name="node-1-pod", phase="Running")
    create_pod(cluster, namespace, name, "dataset-initializer", name="ds-pod", phase="Succeeded")
    # No kubelet: the content is empty here; on a real cluster these are the container's lines.
    assert isinstance(list(c.get_job_logs(name, step="node-1")), list)
    assert isinstance(list(c.get_job_logs(name, step="dataset-initializer")), list)

    # A pod whose trainer container is not named "node" makes the server refuse.
    create_pod(
        cluster, namespace, name, "node", 0, name="odd-pod", phase="Running", container="trainer"
    )
    with pytest.raises(RuntimeError, match="container node is not valid"):
        list(c.get_job_logs(name, step="node-0"))


def test_follow_waits_while_the_pod_is_pending_then_fails_when_the_job_is_deleted(
    cluster, namespace
):
    c = client(cluster, namespace)
    name = _job(c, "follow-pending")
    create_pod(cluster, namespace, name, "node", 0, name="follow-pod", phase="Pending")
    lines = c.get_job_logs(name, follow=True)
    outcome: dict = {}

    def consume() -> None:
        try:
            outcome["lines"] = list(lines)
        except Exception as error:  # noqa: BLE001 - the test inspects it
            outcome["error"] = error

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    consumer.join(2.5)
    # Upstream's iterator ends at once here (issue #182); ours is still waiting.
    assert consumer.is_alive(), outcome
    assert outcome == {}

    cluster.kube.delete(trainjobs_path(namespace, name))
    consumer.join()  # only the delete can end the follow (pytest-timeout guards a hang)
    assert isinstance(outcome.get("error"), NotFoundError), outcome


def test_follow_ends_with_an_error_when_the_job_finished_without_the_step(cluster, namespace):
    c = client(cluster, namespace)
    name = _job(c, "follow-finished")
    create_pod(cluster, namespace, name, "node", 0, name="never-started", phase="Pending")
    set_conditions(cluster, namespace, name, condition("Failed", reason="DeadlineExceeded"))
    with pytest.raises(NotFoundError, match="has not started"):
        list(c.get_job_logs(name, follow=True))


def test_logs_of_a_missing_job_raise_not_found(cluster, namespace):
    c = client(cluster, namespace)
    with pytest.raises(NotFoundError, match="missing"):
        list(c.get_job_logs("missing"))


# ---- get_job_events ------------------------------------------------------------------------


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def test_events_of_the_job_its_jobset_jobs_and_pods_sorted_by_time(cluster, namespace):
    c = client(cluster, namespace)
    name = _job(c, "basic-job", num_nodes=2)
    other = _job(c, "basic-job-node")  # its Jobs are named basic-job-node-node-<i>
    create_pod(cluster, namespace, name, "node", 0, name="node-0-pod-old", phase="Failed")
    wait_for_next_second()
    create_pod(cluster, namespace, name, "node", 0, name="node-0-pod", phase="Running")
    create_pod(cluster, namespace, other, "node", 0, name="other-pod", phase="Running")

    create_event(
        cluster,
        namespace,
        "Pod",
        "node-0-pod",
        "Scheduled",
        "Pod scheduled successfully",
        first_timestamp="2025-06-01T10:31:00Z",
    )
    create_event(
        cluster,
        namespace,
        "TrainJob",
        name,
        "Created",
        "TrainJob created successfully",
        first_timestamp="2025-06-01T10:30:00Z",
    )
    create_event(
        cluster,
        namespace,
        "Job",
        f"{name}-node-0",
        "SuccessfulCreate",
        "Created pod: node-0-pod",
        first_timestamp="2025-06-01T10:30:40Z",
    )
    # events.k8s.io style: only eventTime, with microseconds.
    create_event(
        cluster,
        namespace,
        "JobSet",
        name,
        "Restarting",
        "restart 1",
        event_time="2025-06-01T10:30:40.500000Z",
    )
    # The restarted pod's predecessor explains the restart.
    create_event(
        cluster,
        namespace,
        "Pod",
        "node-0-pod-old",
        "BackOff",
        "crashed",
        first_timestamp="2025-06-01T10:30:20Z",
    )
    # Not ours: another job's pod and Job, another kind, and a pod of no job.
    create_event(
        cluster,
        namespace,
        "Pod",
        "other-pod",
        "Scheduled",
        "other",
        first_timestamp="2025-06-01T10:30:10Z",
    )
    create_event(
        cluster,
        namespace,
        "Job",
        f"{other}-node-0",
        "SuccessfulCreate",
        "other",
        first_timestamp="2025-06-01T10:30:11Z",
    )
    create_event(
        cluster,
        namespace,
        "Service",
        name,
        "Created",
        "svc",
        first_timestamp="2025-06-01T10:30:10Z",
    )
    create_event(
        cluster,
        namespace,
        "Pod",
        "stray",
        "Scheduled",
        "stray",
        first_timestamp="2025-06-01T10:30:10Z",
    )

    events = c.get_job_events(name)
    assert events == [
        Event(
            "TrainJob",
            name,
            "TrainJob created successfully",
            "Created",
            _utc("2025-06-01T10:30:00Z"),
        ),
        Event("Pod", "node-0-pod-old", "crashed", "BackOff", _utc("2025-06-01T10:30:20Z")),
        Event(
            "Job",
            f"{name}-node-0",
            "Created pod: node-0-pod",
            "SuccessfulCreate",
            _utc("2025-06-01T10:30:40Z"),
        ),
        Event("JobSet", name, "restart 1", "Restarting", _utc("2025-06-01T10:30:40.5Z")),
        Event(
            "Pod",
            "node-0-pod",
            "Pod scheduled successfully",
            "Scheduled",
            _utc("2025-06-01T10:31:00Z"),
        ),
    ]
    assert [e.involved_object_name for e in c.get_job_events(other)] == [
        "other-pod",
        f"{other}-node-0",
    ]


def test_events_of_a_missing_job_raise_not_found(cluster, namespace):
    c = client(cluster, namespace)
    with pytest.raises(NotFoundError):
        c.get_job_events("missing")
