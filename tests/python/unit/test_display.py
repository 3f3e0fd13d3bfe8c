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


# Runtimes, steps, events and the lists the client returns ---------------------------------------

HOSTILE = '<img src=x onerror="alert(1)">&'


def _runtime(name: str = "torch-distributed") -> types.Runtime:
    return types.Runtime(
        name=name,
        trainer=types.RuntimeTrainer(
            types.TrainerType.CUSTOM_TRAINER, "torch", "pytorch/pytorch:2", 2, "gpu", "4"
        ),
        kind=types.RuntimeKind.CLUSTER_TRAINING_RUNTIME,
    )


def _event(reason: str = "Scheduled", message: str = "assigned to node-a") -> types.Event:
    return types.Event("Pod", "vision-1-node-0", message, reason, NOW - timedelta(seconds=42))


def test_lists_from_the_client_are_plain_lists():
    import copy
    import pickle

    job = _job()
    for cls, item in (
        (types.TrainJobList, job),
        (types.RuntimeList, _runtime()),
        (types.EventList, _event()),
        (types.StepList, job.steps[0]),
    ):
        shown = cls([item])
        assert isinstance(shown, list) and shown == [item] and [item] == shown
        assert pickle.loads(pickle.dumps(shown)) == shown
        assert type(pickle.loads(pickle.dumps(shown))) is cls
        assert copy.deepcopy(shown) == shown
        assert repr(shown) == repr([item])  # repr stays a list's
        assert shown[:1] == [item]


def test_job_list_renders_one_row_per_job_with_badges_nodes_and_progress():
    done = _job(name="done-1", status="Complete")
    running = _job(trainer_status=types.TrainerStatus(progress_percentage=30))
    page = display.list_html(types.TrainJobList([done, running]), now=NOW)
    assert page.count("<tr>") == 3  # header and two rows
    assert "#1e8e3e" in page and "#1a73e8" in page  # Complete green, Running blue
    assert "1/2" in page and "30%" in page and "5m 03s" in page
    text = display.list_text([done, running], now=NOW)
    lines = text.splitlines()
    assert lines[0].split() == ["TrainJob", "Status", "Runtime", "Nodes", "Progress", "Age"]
    assert lines[2].split()[:5] == ["vision-1", "Running", "torch-distributed", "1/2", "30%"]
    # Columns line up: every row starts its Status column where the header does.
    column = lines[0].index("Status")
    assert all(line[column - 2 : column] == "  " for line in lines)


def test_runtime_event_and_step_tables():
    runtimes = display.list_text(types.RuntimeList([_runtime()]))
    assert "gpu x4" in runtimes and "ClusterTrainingRuntime" in runtimes and "2" in runtimes
    events = display.list_html(types.EventList([_event()]), now=NOW)
    assert "42s" in events and "Pod/vision-1-node-0" in events and "Scheduled" in events
    step = types.Step(
        "node-1",
        "Pending",
        "p1",
        waiting_reason="ImagePullBackOff",
        waiting_message="Back-off pulling image",
    )
    steps = display.list_html(types.StepList([step]))
    assert "ImagePullBackOff: Back-off pulling image" in steps and "#5f6368" in steps
    assert display.list_text([]) == "(none)" and "(none)" in display.list_html([])
    assert str(types.EventList([_event()])).startswith("Age")


def test_hostile_names_are_escaped_everywhere():
    job = _job(
        name=HOSTILE,
        status=HOSTILE,
        steps=[types.Step(HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE)],
        conditions=[types.Condition(HOSTILE, HOSTILE, HOSTILE, HOSTILE)],
        trainer_status=types.TrainerStatus(metrics={HOSTILE: HOSTILE}),
    )
    pages = [
        display.trainjob_html(job, now=NOW),
        display.list_html([job], now=NOW),
        display.list_html([_runtime(HOSTILE)]),
        display.list_html([_event(HOSTILE, HOSTILE)], now=NOW),
        display.list_html([job.steps[0]]),
        display.list_html([{"a": HOSTILE}]),  # what dataclasses.asdict leaves in a list
        _runtime(HOSTILE)._repr_html_(),
        _event(HOSTILE, HOSTILE)._repr_html_(),
        job.steps[0]._repr_html_(),
    ]
    for page in pages:
        assert "<img" not in page and 'onerror="' not in page
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in page


def test_reprs_are_one_short_line():
    runtime = repr(_runtime())
    assert runtime == (
        "Runtime(name='torch-distributed', kind='ClusterTrainingRuntime', "
        "trainer_type='CustomTrainer', framework='torch', image='pytorch/pytorch:2', "
        "num_nodes=2, device='gpu', device_count='4')"
    )
    job = _job(trainer_status=types.TrainerStatus(42, 65), queue_name="team-a")
    assert repr(job) == (
        "TrainJob(name='vision-1', status='Running', runtime='torch-distributed', num_nodes=2, "
        "nodes_ready=1, steps=1, creation_timestamp='2026-11-30T11:54:57+00:00', "
        "progress='42% ETA 1m 05s', queue_name='team-a')"
    )
    assert repr(_event()) == (
        "Event(involved_object_kind='Pod', involved_object_name='vision-1-node-0', "
        "reason='Scheduled', message='assigned to node-a', "
        "event_time='2026-11-30T11:59:18+00:00')"
    )
    plain = types.Step("node-0", "Running", "p0")
    assert repr(plain) == (
        "Step(name='node-0', status='Running', pod_name='p0', device='Unknown', "
        "device_count='Unknown')"
    )
    held = types.Step("node-0", "Pending", "p0", waiting_reason="Unschedulable")
    assert "waiting_reason='Unschedulable'" in repr(held)
    assert held == plain.__class__("node-0", "Pending", "p0")  # == ignores the waiting fields
    for text in (runtime, repr(job), repr(_event()), repr(held)):
        assert "\n" not in text


def test_a_waiting_job_says_why_in_its_table():
    held = types.Step(
        "node-0", "Pending", "p0", waiting_reason="Unschedulable", waiting_message="0/1 nodes"
    )
    page = display.trainjob_html(_job(status="Created", steps=[held]), now=NOW)
    assert "Waiting: node-0 unschedulable: 0/1 nodes" in page
    queued = display.trainjob_html(_job(status="Suspended", steps=[], queue_name="<q>"), now=NOW)
    assert "Waiting: waiting for quota in Kueue queue &#x27;&lt;q&gt;&#x27;" in queued
    assert "Waiting:" not in display.trainjob_html(_job(), now=NOW)
