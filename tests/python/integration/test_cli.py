"""``kubeflow-trainer``, run as a separate process against the real API server and on the
local backend: the dry-run / submit / get round trip, every exit code, and a start-up that
never imports the SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubeflow.trainer.errors import ValidationError
from tests.python.integration.k8s_sim import condition, create_trainjob, set_conditions

REPO = Path(__file__).resolve().parents[3]

TRAIN_FILE = """\
def train(epochs: int = 1, note: str = ""):
    print(f"epochs={epochs} note={note}")
"""


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    return subprocess.run(
        [sys.executable, "-m", "kubeflow.trainer_cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def on_cluster(cluster, namespace):
    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return cli("--kubeconfig", cluster.token_kubeconfig, "-n", namespace, *args, stdin=stdin)

    return run


def test_dry_run_yaml_submitted_back_is_the_job_get_shows(on_cluster, tmp_path: Path):
    script = tmp_path / "job.py"
    script.write_text(TRAIN_FILE)
    exported = on_cluster(
        "train",
        f"{script}:train",
        "--name",
        "cli-job",
        "--num-nodes",
        "2",
        "--arg",
        "epochs=3",
        "--arg",
        "note=hi",
        "--env",
        "FLAG=true",
        "--dry-run",
        "-o",
        "yaml",
    )
    assert exported.returncode == 0, exported.stderr
    manifest_file = tmp_path / "job.yaml"
    manifest_file.write_text(exported.stdout)
    assert on_cluster("jobs", "-o", "json").stdout.strip() == "[]"  # nothing created

    submitted = on_cluster("submit", "-f", str(manifest_file))
    assert (submitted.returncode, submitted.stdout.strip()) == (0, "cli-job")
    stored = json.loads(on_cluster("get", "cli-job", "-o", "json").stdout)
    from kubeflow.trainer import manifest_from_yaml

    sent = manifest_from_yaml(exported.stdout)
    assert stored["spec"]["trainer"] == sent["spec"]["trainer"]
    assert stored["spec"]["trainer"]["numNodes"] == 2
    assert "train(**{'epochs': 3, 'note': 'hi'})" in stored["spec"]["trainer"]["command"][-1]

    table = on_cluster("jobs")
    assert table.returncode == 0 and "cli-job" in table.stdout and "STATUS" in table.stdout
    assert "torch-distributed" in on_cluster("runtimes").stdout
    assert on_cluster("delete", "cli-job").returncode == 0


def test_exit_codes_are_distinct_and_stable(on_cluster, cluster, namespace, tmp_path: Path):
    assert on_cluster("get", "no-such-job").returncode == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {name: a}\n")
    refused = on_cluster("submit", "-f", str(bad))
    assert refused.returncode == 2 and "apiVersion" in refused.stderr
    assert cli("no-such-command").returncode == 2
    assert on_cluster("train", "missing.py:train").returncode == 2

    create_trainjob(cluster, namespace, "slow")
    timed_out = on_cluster("wait", "slow", "--timeout", "2")
    assert timed_out.returncode == 5, timed_out.stderr
    create_trainjob(cluster, namespace, "broken")
    set_conditions(cluster, namespace, "broken", condition("Failed", message="node-0 exited 1"))
    failed = on_cluster("wait", "broken", "--timeout", "30")
    assert failed.returncode == 4, failed.stderr
    set_conditions(cluster, namespace, "slow", condition("Complete"))
    done = on_cluster("wait", "slow", "--timeout", "30")
    assert (done.returncode, done.stdout.strip()) == (0, "Complete")


def test_a_job_on_the_local_backend_from_start_to_logs(tmp_path: Path, monkeypatch):
    script = tmp_path / "job.py"
    script.write_text(TRAIN_FILE)
    monkeypatch.setenv("KUBEFLOW_LOCAL_STATE_DIR", str(tmp_path / "state"))
    name = cli("--local", "train", f"{script}:train", "--arg", "epochs=2").stdout.strip()
    assert name
    assert cli("--local", "wait", name, "--timeout", "120").stdout.strip() == "Complete"
    assert cli("--local", "logs", name).stdout.splitlines() == ["epochs=2 note="]
    assert cli("--local", "delete", name).returncode == 0
    assert cli("--local", "get", name).returncode == 3


def test_help_never_imports_the_sdk():
    probe = (
        "import sys, contextlib, io\n"
        "import kubeflow.trainer_cli as cli\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    cli.main(['--help'])\n"
        "sdk = ('kubeflow.trainer.', 'kubeflow.common')\n"
        "print(sorted(m for m in sys.modules if m.startswith(sdk) or m == 'kubeflow.trainer'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert out.strip() == "[]"


def test_errors_name_what_to_fix(on_cluster):
    bad = on_cluster("train", "no-colon")
    assert bad.returncode == 2 and "FILE:FUNCTION" in bad.stderr
    assert issubclass(ValidationError, ValueError)
