"""The live display of wait_for_job_status on the local process backend."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient, TrainJob

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")


def sleep_for(seconds: float) -> None:
    import time

    time.sleep(seconds)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TrainerClient]:
    c = TrainerClient(LocalProcessBackendConfig(state_dir=str(tmp_path / "state")))
    yield c
    for job in c.list_jobs():
        c.delete_job(job.name)


def _frames(text: str) -> list[str]:
    return [f.rstrip() for f in text.split("\r") if f.strip()]


def test_the_line_changes_when_the_job_does_not_at_each_poll(client, monkeypatch):
    out = _Terminal()
    monkeypatch.setattr(sys, "stderr", out)
    name = client.train(trainer=CustomTrainer(func=sleep_for, func_args={"seconds": 2.5}))
    seen: list[TrainJob] = []
    job = client.wait_for_job_status(name, timeout=60, polling_interval=1, callbacks=[seen.append])
    assert job.status == "Complete"
    frames = _frames(out.getvalue())[:-1]  # tqdm draws the last state again on close
    changes = [j for i, j in enumerate(seen) if i == 0 or j != seen[i - 1]]
    assert len(frames) == len(changes)
    assert len(changes) < len(seen)  # the Running job was polled more than once, drawn once
    assert any("Running · nodes 1/1" in f for f in frames)
    assert "Complete · nodes 1/1" in frames[-1] and frames[-1].startswith(f"{name} |")


def test_no_line_when_piped_or_turned_off(client, monkeypatch):
    name = client.train(trainer=CustomTrainer(func=sleep_for, func_args={"seconds": 0}))
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    client.wait_for_job_status(name, timeout=60)
    assert piped.getvalue() == ""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert client.wait_for_job_status(name, timeout=60, progress=False).status == "Complete"
    assert terminal.getvalue() == ""
