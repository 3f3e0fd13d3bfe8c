"""The live display of wait_for_job_status against the real API server.

The tests play the controllers (k8s_sim): each callback of the wait patches the TrainJob or its
pods, and the next line of the display can only come from the watch event that patch causes:
polling_interval is far longer than any of these tests, and the watch is the only reader.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from datetime import datetime, timezone

import pytest

from kubeflow.trainer import CustomTrainerContainer
from kubeflow.trainer.options import Labels, Name
from tests.python.integration.k8s_sim import (
    client,
    condition,
    create_pod,
    set_conditions,
    trainjobs_path,
)

# Longer than the pytest timeout: a display updated by polling would never see a change.
NO_POLLING = 3000
TIMEOUT = 3600


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal, as it does in a shell."""

    def isatty(self) -> bool:
        return True


def _use_terminal(monkeypatch) -> _Terminal:
    """Called in the test body: pytest's capture sets sys.stderr again after fixtures."""
    out = _Terminal()
    monkeypatch.setattr(sys, "stderr", out)
    monkeypatch.setenv("COLUMNS", "400")
    return out


def _frames(out: io.StringIO) -> list[str]:
    """The successive states of the one live line (tqdm redraws it after a carriage return)."""
    # tqdm pads a shorter line with spaces over the longer one before it, and draws the last
    # state again when the line is closed.
    frames = [f.rstrip() for f in out.getvalue().split("\r") if f.strip()]
    return [f for i, f in enumerate(frames) if i == 0 or f != frames[i - 1]]


def _job(c, name: str, num_nodes: int = 1, labels: dict[str, str] | None = None) -> str:
    options: list = [Name(name)]
    if labels:
        options.append(Labels(labels))
    return c.train(
        trainer=CustomTrainerContainer(image="example.com/img", num_nodes=num_nodes),
        options=options,
    )


def _script(*steps: Callable[[], object]) -> Callable[[object], None]:
    """A callback that plays the next step each time the watch delivers a change."""
    pending = list(steps)

    def callback(_job: object) -> None:
        if pending:
            pending.pop(0)()

    return callback


def _trainer_status(cluster, namespace, name, progress: int, eta: int, loss: str) -> None:
    cluster.kube.patch_status(
        trainjobs_path(namespace, name),
        {
            "trainerStatus": {
                "progressPercentage": progress,
                "estimatedRemainingSeconds": eta,
                "metrics": [{"name": "loss", "value": loss}],
                "lastUpdatedTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        },
    )


def _pod_status(cluster, namespace, pod: str, status: dict) -> None:
    cluster.kube.patch_status(f"/api/v1/namespaces/{namespace}/pods/{pod}", status)


def test_progress_and_eta_follow_the_watch(cluster, namespace, monkeypatch):
    terminal = _use_terminal(monkeypatch)
    c = client(cluster, namespace)
    name = _job(c, "live-progress", num_nodes=2)
    create_pod(cluster, namespace, name, "node", 0, name="lp0", phase="Running")
    create_pod(cluster, namespace, name, "node", 1, name="lp1", phase="Running")
    seen: list[str] = []
    job = c.wait_for_job_status(
        name,
        timeout=TIMEOUT,
        polling_interval=NO_POLLING,
        callbacks=[
            lambda j: seen.append(j.status),
            _script(
                lambda: _trainer_status(cluster, namespace, name, 40, 125, "0.50"),
                lambda: _trainer_status(cluster, namespace, name, 90, 10, "0.12"),
                lambda: set_conditions(cluster, namespace, name, condition("Complete")),
            ),
        ],
    )
    assert job.status == "Complete"
    frames = _frames(terminal)
    # One frame per watch event, in order, each as the event left the job.
    assert len(frames) == len(seen) == 4
    assert frames[0].startswith(f"{name} |") and "Running · nodes 2/2" in frames[0]
    assert "%" not in frames[0]
    assert "40% ETA 2m 05s · loss=0.50" in frames[1] and "########" in frames[1]
    assert "90% ETA 10s · loss=0.12" in frames[2]
    assert "Complete · nodes 2/2 · 90%" in frames[3]
    assert terminal.getvalue().count("\n") == 1  # one updating line


def test_a_pending_job_shows_the_scheduler_and_the_image_pull(cluster, namespace, monkeypatch):
    terminal = _use_terminal(monkeypatch)
    c = client(cluster, namespace)
    name = _job(c, "live-pending", num_nodes=2)
    create_pod(cluster, namespace, name, "node", 0, name="pp0", phase="Pending")
    create_pod(cluster, namespace, name, "node", 1, name="pp1", phase="Pending")
    unschedulable = "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."
    _pod_status(
        cluster,
        namespace,
        "pp0",
        {
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": unschedulable,
                }
            ]
        },
    )
    pulling = 'Back-off pulling image "example.com/img"'
    _pod_status(
        cluster,
        namespace,
        "pp1",
        {
            "containerStatuses": [
                {
                    "name": "node",
                    "image": "example.com/img",
                    "imageID": "",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"waiting": {"reason": "ImagePullBackOff", "message": pulling}},
                }
            ]
        },
    )
    running = {"phase": "Running", "conditions": [], "containerStatuses": []}
    job = c.wait_for_job_status(
        name,
        status={"Running"},
        timeout=TIMEOUT,
        polling_interval=NO_POLLING,
        callbacks=[
            _script(
                lambda: _pod_status(cluster, namespace, "pp0", running),
                lambda: _pod_status(cluster, namespace, "pp1", running),
            )
        ],
    )
    assert job.status == "Running"
    frames = _frames(terminal)
    assert len(frames) == 3
    assert f"Created · nodes 0/2 · node-0 unschedulable: {unschedulable} (+1 more)" in frames[0]
    assert f"Created · nodes 1/2 · node-1 cannot pull the image: {pulling}" in frames[1]
    assert "Running · nodes 2/2" in frames[2] and "unschedulable" not in frames[2]


def test_a_job_held_by_kueue_waits_for_quota(cluster, namespace, monkeypatch):
    terminal = _use_terminal(monkeypatch)
    c = client(cluster, namespace)
    name = _job(c, "live-kueue", labels={"kueue.x-k8s.io/queue-name": "team-a"})
    # What Kueue and the Trainer controller leave on a TrainJob without quota.
    cluster.kube.patch(trainjobs_path(namespace, name), {"spec": {"suspend": True}})
    set_conditions(
        cluster,
        namespace,
        name,
        condition("Suspended", reason="Suspended", message="TrainJob is suspended"),
    )
    job = c.wait_for_job_status(
        name,
        status={"Running"},
        timeout=TIMEOUT,
        polling_interval=NO_POLLING,
        callbacks=[
            _script(
                lambda: set_conditions(
                    cluster, namespace, name, condition("Suspended", "False", "Resumed")
                ),
                lambda: create_pod(
                    cluster, namespace, name, "node", 0, name="kq0", phase="Running"
                ),
            )
        ],
    )
    assert job.status == "Running" and job.queue_name == "team-a"
    frames = _frames(terminal)
    assert "Suspended · nodes 0/1 · waiting for quota in Kueue queue 'team-a'" in frames[0]
    assert "Created · nodes 0/1" in frames[1]
    assert "Running · nodes 1/1" in frames[-1]


def test_nothing_is_shown_when_output_is_not_interactive(cluster, namespace, capsys):
    c = client(cluster, namespace)
    name = _job(c, "live-piped")
    create_pod(cluster, namespace, name, "node", 0, name="lq0", phase="Running")
    job = c.wait_for_job_status(
        name,
        timeout=TIMEOUT,
        polling_interval=NO_POLLING,
        callbacks=[
            _script(
                lambda: _trainer_status(cluster, namespace, name, 50, 5, "1"),
                lambda: set_conditions(cluster, namespace, name, condition("Complete")),
            )
        ],
    )
    assert job.status == "Complete"
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_progress_false_turns_it_off_on_a_terminal(cluster, namespace, monkeypatch):
    terminal = _use_terminal(monkeypatch)
    c = client(cluster, namespace)
    name = _job(c, "live-off")
    set_conditions(cluster, namespace, name, condition("Complete"))
    assert c.wait_for_job_status(name, timeout=TIMEOUT, progress=False).status == "Complete"
    assert terminal.getvalue() == ""
    # The same wait with the default draws the line: the terminal is seen as one.
    assert c.wait_for_job_status(name, timeout=TIMEOUT).status == "Complete"
    assert "Complete · nodes 0/1" in terminal.getvalue()


def test_an_error_in_a_callback_propagates_and_closes_the_line(cluster, namespace, monkeypatch):
    terminal = _use_terminal(monkeypatch)
    c = client(cluster, namespace)
    name = _job(c, "live-raise")

    def boom(_job: object) -> None:
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        c.wait_for_job_status(name, timeout=TIMEOUT, callbacks=[boom])
    assert terminal.getvalue().endswith("\n")  # the line was ended, not left half drawn
