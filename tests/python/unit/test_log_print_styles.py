"""How the two ways notebooks print log lines read (docs/logs.md): lines come without their
line ending, as on upstream's Kubernetes backend, so ``print(line)`` and ``"\\n".join`` give
the log back as the program wrote it, and ``print(line, end="")`` runs the lines together."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")


def epochs() -> None:
    for epoch in range(1, 4):
        print(f"Train Epoch: {epoch}\tLoss: 0.{epoch}")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TrainerClient]:
    c = TrainerClient(LocalProcessBackendConfig(state_dir=str(tmp_path / "state")))
    yield c
    for job in c.list_jobs():
        c.delete_job(job.name)


def printed(lines: Iterator[str], **print_options: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for line in lines:
            print(line, **print_options)
    return out.getvalue()


def test_both_print_styles_on_a_followed_log(client: TrainerClient) -> None:
    name = client.train(trainer=CustomTrainer(func=epochs))
    written = "".join(f"Train Epoch: {e}\tLoss: 0.{e}\n" for e in range(1, 4))
    assert printed(client.get_job_logs(name, follow=True)) == written
    assert "\n".join(client.get_job_logs(name)) + "\n" == written
    # The upstream-notebook style: one run-on line (as on upstream's Kubernetes backend).
    assert printed(client.get_job_logs(name), end="") == written.replace("\n", "")
