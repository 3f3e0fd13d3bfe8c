"""examples/local_quickstart.ipynb runs from top to bottom on the local backend (nbclient)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support import notebooks


@pytest.mark.slow
def test_local_quickstart_notebook_trains_on_two_nodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures: list[str]
) -> None:
    state = tmp_path / "state"
    env = {"KUBEFLOW_LOCAL_STATE_DIR": str(state), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    monkeypatch.setenv("JUPYTER_PATH", str(notebooks.kernelspec(tmp_path / "jupyter", env)))
    start = time.monotonic()
    nb = notebooks.execute("local_quickstart.ipynb", tmp_path, {"NUM_NODES": 2, "EPOCHS": 3})
    figures.append(f"local_quickstart.ipynb executed: {time.monotonic() - start:.1f} s")
    out = notebooks.text_of(nb)
    # Both ranks trained every epoch, the job rendered as HTML, and it was deleted at the end.
    for rank in (0, 1):
        assert f"rank {rank}/2 epoch 3/3: loss" in out
    assert "--- node-1 (Complete)" in out
    assert "<table" in out
    assert not list((state / "jobs").iterdir())
