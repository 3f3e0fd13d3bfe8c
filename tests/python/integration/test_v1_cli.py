"""``kubeflow-trainer migrate``, run as a separate process: converted manifests as YAML on
stdout, the report on stderr, exit 0; a job it cannot convert (MXJob) exits 2 with the reason;
``--dry-run=server`` validates against the real API server."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.python.integration.k8s_sim import trainjobs_path
from tests.python.integration.test_cli import cli

FIXTURES = Path(__file__).resolve().parents[2] / "cpp" / "fixtures" / "v1"


def test_migrate_prints_yaml_on_stdout_and_the_report_on_stderr():
    result = cli("migrate", "-f", str(FIXTURES / "pytorchjob.yaml"))
    assert result.returncode == 0, result.stderr
    (trainjob,) = list(yaml.safe_load_all(result.stdout))
    assert trainjob["kind"] == "TrainJob"
    assert trainjob["spec"]["runtimeRef"]["name"] == "torch-distributed"
    assert trainjob["spec"]["trainer"]["numNodes"] == 3
    notes = result.stderr.splitlines()
    assert "note: PyTorchJob/mnist-ddp: spec.runPolicy.cleanPodPolicy: not carried" in "\n".join(
        notes
    )
    assert len(notes) == 6
    assert "cleanPodPolicy" not in result.stdout


def test_migrate_reads_many_documents_from_stdin():
    text = "---\n".join((FIXTURES / f).read_text() for f in ("tfjob.yaml", "jaxjob.yaml"))
    result = cli("migrate", "-f", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    kinds = [(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(result.stdout)]
    assert kinds == [
        ("TrainingRuntime", "census-ps-tfjob"),
        ("TrainJob", "census-ps"),
        ("TrainJob", "jax-mnist"),
    ]


def test_migrate_refuses_an_mxjob_with_the_reason_and_converts_it_when_asked():
    refused = cli("migrate", "-f", str(FIXTURES / "mxjob.yaml"))
    assert refused.returncode == 2
    assert refused.stdout == ""
    for word in ("deprecated", "v1.8", "removed in v1.9", "Apache MXNet was retired", "PyTorch"):
        assert word in refused.stderr
    allowed = cli("migrate", "--allow-mxjob", "-f", str(FIXTURES / "mxjob.yaml"))
    assert allowed.returncode == 0, allowed.stderr
    assert "cannot guarantee" in allowed.stderr
    assert [d["kind"] for d in yaml.safe_load_all(allowed.stdout)] == [
        "TrainingRuntime",
        "TrainJob",
    ]


def test_migrate_of_something_else_exits_2(tmp_path: Path):
    bad = tmp_path / "job.yaml"
    bad.write_text(
        "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata: {name: a}\n"
    )
    result = cli("migrate", "-f", str(bad))
    assert result.returncode == 2
    assert "not a Training Operator v1 job" in result.stderr


def test_migrate_dry_run_server_validates_on_the_api_server(cluster, namespace):
    args = ("--kubeconfig", cluster.token_kubeconfig, "-n", namespace, "migrate")
    ok = cli(*args, "--dry-run=server", "-f", str(FIXTURES / "mpijob.yaml"))
    assert ok.returncode == 0, ok.stderr
    assert cluster.kube.list(trainjobs_path(namespace)) == []  # nothing stored
    # An env entry the TrainJob schema does not know: converted as it stands, the server
    # refuses it (strict field validation), and the CLI says so.
    broken = (
        (FIXTURES / "jaxjob.yaml")
        .read_text()
        .replace(
            '              command: ["python3", "train.py"]\n',
            '              command: ["python3", "train.py"]\n'
            "              env: [{name: A, valueFrom: {bogus: 1}}]\n",
        )
    )
    assert "bogus" in broken
    assert cli("migrate", "-f", "-", stdin=broken).returncode == 0  # locally it converts
    refused = cli(*args, "--dry-run=server", "-f", "-", stdin=broken)
    assert refused.returncode == 2
    assert "bogus" in refused.stderr
    assert refused.stdout == ""
