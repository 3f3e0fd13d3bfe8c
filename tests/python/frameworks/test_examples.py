"""The examples that need torch run end to end on the local backend."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import kubeflow

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def run_example(script: str, state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    package_root = str(Path(kubeflow.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    env["PIP_NO_INDEX"] = "1"  # packages_to_install is satisfied by this interpreter: offline
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--state-dir", str(state_dir), *args],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_digits_cnn_learns_with_identical_weights_on_every_rank(
    tmp_path: Path, figures: list[str]
) -> None:
    start = time.monotonic()
    result = run_example("torch_ddp_digits.py", tmp_path / "state", "--procs-per-node", "1")
    figures.append(f"examples/torch_ddp_digits.py, 2 nodes: {time.monotonic() - start:.1f} s")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "started on 2 local nodes" in out
    assert "node-0=Complete, node-1=Complete" in out, out
    (job,) = (tmp_path / "state" / "jobs").iterdir()
    logs = "".join((job / "logs" / f"node-{n}.log").read_text() for n in range(2))
    finals = re.findall(r"rank (\d)/2 final test accuracy ([0-9.]+) weights (\w+)", logs)
    assert sorted(rank for rank, _, _ in finals) == ["0", "1"], logs
    assert len({digest for _, _, digest in finals}) == 1  # DDP kept the ranks identical
    accuracy = float(finals[0][1])
    assert accuracy > 0.8  # ten classes: chance is 0.1
    figures.append(f"examples/torch_ddp_digits.py test accuracy: {accuracy:.3f}")


def test_torch_ddp_logistic_regression_example(tmp_path: Path) -> None:
    result = run_example("local_torch_ddp.py", tmp_path / "state", "--epochs", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "node-0=Complete, node-1=Complete" in result.stdout
    assert "rank 0 done" in result.stdout
