"""The live line of wait_for_job_status: its text, and when it is drawn at all."""

from __future__ import annotations

import io
import sys
from datetime import datetime, timezone

import pytest

from kubeflow.trainer import display, display_wait
from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.types import types


class _Terminal(io.StringIO):
    """Output that says it is a terminal, as sys.stderr in a shell does."""

    def isatty(self) -> bool:
        return True


def _job(status: str = "Running", steps=None, **fields) -> types.TrainJob:
    runtime = types.Runtime(
        name="torch-distributed",
        trainer=types.RuntimeTrainer(types.TrainerType.CUSTOM_TRAINER, "torch", "img"),
        kind=types.RuntimeKind.CLUSTER_TRAINING_RUNTIME,
    )
    if steps is None:
        steps = [types.Step("node-0", "Running", "p0"), types.Step("node-1", "Running", "p1")]
    return types.TrainJob(
        name="mnist",
        runtime=runtime,
        steps=steps,
        num_nodes=2,
        creation_timestamp=datetime(2026, 11, 30, tzinfo=timezone.utc),
        status=status,
        **fields,
    )


def test_running_job_shows_nodes_progress_eta_and_metrics():
    job = _job(
        trainer_status=types.TrainerStatus(
            progress_percentage=42,
            estimated_remaining_seconds=185,
            metrics={"loss": "0.12", "acc": "0.9", "lr": "1e-4", "epoch": "3"},
        )
    )
    assert display_wait.status_line(job) == (
        "Running · nodes 2/2 · 42% ETA 3m 05s · loss=0.12 acc=0.9 lr=1e-4"
    )


def test_pending_job_tells_why():
    unschedulable = types.Step(
        "node-0",
        "Pending",
        "p0",
        waiting_reason="Unschedulable",
        waiting_message="0/3 nodes are available:\n 3 Insufficient nvidia.com/gpu.",
    )
    pulling = types.Step(
        "node-1", "Pending", "p1", waiting_reason="ImagePullBackOff", waiting_message="Back-off"
    )
    line = display_wait.status_line(_job("Created", [unschedulable, pulling]))
    assert line == (
        "Created · nodes 0/2 · node-0 unschedulable: 0/3 nodes are available: "
        "3 Insufficient nvidia.com/gpu. (+1 more)"
    )
    line = display_wait.status_line(
        _job("Created", [types.Step("node-0", "Running", "p0"), pulling])
    )
    assert line == "Created · nodes 1/2 · node-1 cannot pull the image: Back-off"


def test_suspended_job_in_a_kueue_queue_waits_for_quota():
    job = _job("Suspended", [], queue_name="team-a")
    assert display_wait.status_line(job) == (
        "Suspended · nodes 0/2 · waiting for quota in Kueue queue 'team-a'"
    )
    alone = _job(
        "Suspended",
        [],
        conditions=[types.Condition("Suspended", "True", "Suspended", "TrainJob is suspended")],
    )
    assert display_wait.status_line(alone).endswith("suspended: TrainJob is suspended")


def test_a_finished_job_has_no_waiting_reason():
    held = types.Step("node-0", "Failed", "p0", waiting_reason="CrashLoopBackOff")
    assert display.waiting_reason(_job("Failed", [held])) == ""


def test_terminal_gets_one_updating_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = _Terminal()
    with display_wait.WaitDisplay("mnist", None, out) as live:
        assert live.enabled
        live.update(_job("Created", [types.Step("node-0", "Pending", "p0")]))
        live.update(_job(trainer_status=types.TrainerStatus(progress_percentage=50)))
        live.update(_job("Complete"))
    text = out.getvalue()
    assert live.updates == 3
    assert text[-1] == "\n" and text.count("\n") == 1  # one line, redrawn with \r
    frames = [f for f in text.strip().split("\r") if f]
    assert "Created · nodes 0/2" in frames[0]
    assert any("50%" in f and "Running · nodes 2/2" in f for f in frames)
    assert "Complete · nodes 2/2" in frames[-1]


def test_a_long_line_is_cut_to_the_terminal_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    out = _Terminal()
    held = types.Step(
        "node-0", "Pending", "p0", waiting_reason="Unschedulable", waiting_message="x" * 500
    )
    with display_wait.WaitDisplay("mnist", True, out) as live:
        live.update(_job("Created", [held]))
    for frame in out.getvalue().strip().split("\r"):
        assert len(frame) <= 60


def test_nothing_is_drawn_when_output_is_not_interactive_or_progress_is_false():
    piped = io.StringIO()
    live = display_wait.WaitDisplay("mnist", None, piped)
    live.update(_job())
    live.close()
    assert not live.enabled and piped.getvalue() == ""
    terminal = _Terminal()
    live = display_wait.WaitDisplay("mnist", False, terminal)
    live.update(_job())
    live.close()
    assert not live.enabled and terminal.getvalue() == ""


def test_progress_true_draws_even_into_a_pipe():
    piped = io.StringIO()
    with display_wait.WaitDisplay("mnist", True, piped) as live:
        live.update(_job())
    assert "Running · nodes 2/2" in piped.getvalue()


def test_progress_must_be_a_bool_or_none():
    with pytest.raises(ValidationError, match="progress"):
        display_wait.WaitDisplay("mnist", "yes")  # type: ignore[arg-type]


def test_a_jupyter_kernel_counts_as_interactive(monkeypatch):
    import types as pytypes

    shell = pytypes.SimpleNamespace(config={"IPKernelApp": {}})
    fake = pytypes.ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert not display_wait.in_notebook()  # IPython without a kernel: a terminal shell
    monkeypatch.setitem(sys.modules, "ipykernel", pytypes.ModuleType("ipykernel"))
    assert display_wait.in_notebook()
    assert display_wait.WaitDisplay("mnist", None, io.StringIO()).enabled
    shell.config = {"TerminalIPythonApp": {}}
    assert not display_wait.in_notebook()
