"""examples/cluster_quickstart.ipynb on the full cluster: the job really runs (WAIT=True)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support import notebooks


def test_cluster_quickstart_notebook_runs_the_job_to_completion(
    full_cluster, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures
) -> None:
    kubeconfig = notebooks.kubeconfig_in_namespace(
        full_cluster.admin_kubeconfig, namespace, tmp_path / "kubeconfig"
    )
    env = {"KUBECONFIG": str(kubeconfig), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    monkeypatch.setenv("JUPYTER_PATH", str(notebooks.kernelspec(tmp_path / "jupyter", env)))
    start = time.monotonic()
    nb = notebooks.execute("cluster_quickstart.ipynb", tmp_path, {"WAIT": True, "TIMEOUT": 900})
    elapsed = time.monotonic() - start
    figures.append(f"cluster_quickstart.ipynb on the full cluster: {elapsed:.1f} s")
    out = notebooks.text_of(nb)
    # node-0's log: the function ran in a pod of the TrainJob, every epoch, as rank 0 of 2.
    for epoch in (1, 2, 3):
        assert f"rank 0 of 2: epoch {epoch}/3" in out
    assert "Complete" in out
