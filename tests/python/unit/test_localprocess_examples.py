"""The local examples run end to end (the README's main job runs on the local backend)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import kubeflow

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def run_example(script: str, state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    package_root = str(Path(kubeflow.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--state-dir", str(state_dir), *args],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_quickstart_trains_on_two_local_nodes(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    result = run_example("local_quickstart.py", tmp_path / "state", "--epochs", "3")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "started on 2 local nodes" in out
    assert "[node-0] rank 0 epoch 3/3" in out
    assert "steps node-0=Complete, node-1=Complete" in out
    accuracy = float(out.split("test accuracy ")[-1].split(",")[0])
    assert accuracy > 0.85
    (job,) = (tmp_path / "state" / "jobs").iterdir()
    node1 = (job / "logs" / "node-1.log").read_text()
    assert "rank 1/2" in node1 and "rank 1 done" in node1


def test_torch_ddp_example(tmp_path: Path) -> None:
    has_torch = (
        subprocess.run(
            [sys.executable, "-c", "import torch"], capture_output=True, check=False
        ).returncode
        == 0
    )
    result = run_example("local_torch_ddp.py", tmp_path / "state", "--epochs", "1")
    assert result.returncode == 0, result.stderr
    if not has_torch:
        assert "torch is not installed" in result.stdout
        return
    assert "node-0=Complete, node-1=Complete" in result.stdout
