"""examples/cluster_quickstart.ipynb runs against the test API server (nbclient).

The control plane has no node, so the notebook runs with WAIT=False: it lists the runtimes,
has the server validate the dry-run manifest, creates the TrainJob, shows it and its events and
deletes it. On a cluster with nodes (the e2e tier, or yours) WAIT=True also waits for it and
prints its logs.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support import notebooks


@pytest.mark.slow
def test_cluster_quickstart_notebook_creates_and_deletes_a_job(
    cluster, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures: list[str]
) -> None:
    kubeconfig = notebooks.kubeconfig_in_namespace(
        cluster.admin_kubeconfig, namespace, tmp_path / "kubeconfig"
    )
    env = {"KUBECONFIG": str(kubeconfig), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    monkeypatch.setenv("JUPYTER_PATH", str(notebooks.kernelspec(tmp_path / "jupyter", env)))
    start = time.monotonic()
    nb = notebooks.execute("cluster_quickstart.ipynb", tmp_path, {"WAIT": False})
    figures.append(f"cluster_quickstart.ipynb executed: {time.monotonic() - start:.1f} s")
    out = notebooks.text_of(nb)
    assert "'torch-distributed'" in out  # the runtimes shipped with Trainer
    assert "kind: TrainJob" in out and "numNodes: 2" in out  # the dry run's YAML
    assert f"namespace: {namespace}" in out
    jobs = cluster.kube.get(f"/apis/trainer.kubeflow.org/v1alpha1/namespaces/{namespace}/trainjobs")
    assert jobs["items"] == []  # created, then deleted by the last cell
