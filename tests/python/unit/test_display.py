"""The notebook display of a TrainJob (``_repr_html_``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kubeflow.trainer import display
from kubeflow.trainer.types import types

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def _job(**fields) -> types.TrainJob:
    runtime = types.Runtime(
        name="torch-distributed",
        trainer=types.RuntimeTrainer(types.TrainerType.CUSTOM_TRAINER, "torch", "img"),
        kind=types.RuntimeKind.CLUSTER_TRAINING_RUNTIME,
    )
    defaults = {
        "name": "vision-1",
        "runtime": runtime,
        "steps": [types.Step("node-0", "Running", "vision-1-node-0-0-abc", "cpu", "2")],
        "num_nodes": 2,
        "creation_timestamp": NOW - timedelta(minutes=5, seconds=3),
        "status": "Running",
    }
    return types.TrainJob(**{**defaults, **fields})


def test_progress_eta_and_metrics_are_shown_when_reported():
    job = _job(
        trainer_status=types.TrainerStatus(
            progress_percentage=42,
            estimated_remaining_seconds=3725,
            metrics={"loss": "0.125", "accuracy": "0.91"},
        ),
        conditions=[types.Condition("Created", "True", "JobSetCreated", "created")],
    )
    page = display.trainjob_html(job, now=NOW)
    assert '<progress value="42" max="100"' in page and "42%" in page
    assert "ETA 1h 02m" in page
    for text in ("loss", "0.125", "accuracy", "0.91", "JobSetCreated", "vision-1-node-0-0-abc"):
        assert text in page
    assert "5m 03s" in page  # age
    assert job._repr_html_().startswith("<div>")


def test_a_job_without_reports_shows_no_progress():
    page = display.trainjob_html(_job(), now=NOW)
    assert "<progress" not in page and "ETA" not in page and "Metric" not in page
    assert "Running" in page


def test_every_value_is_escaped():
    job = _job(
        name="<script>alert(1)</script>",
        trainer_status=types.TrainerStatus(metrics={"<b>": "&"}),
    )
    page = display.trainjob_html(job, now=NOW)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;" in page and "&amp;" in page


def test_durations_read_naturally():
    assert [display.duration(s) for s in (9, 65, 3725, 90000, -3)] == [
        "9s",
        "1m 05s",
        "1h 02m",
        "1d 01h",
        "0s",
    ]
