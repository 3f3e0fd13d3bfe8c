"""Runs the example notebooks (examples/*.ipynb) with nbclient, as CI does.

The kernel is this interpreter (the .venv's python) with the repository's ``python/`` on its
path, declared in a kernelspec of its own so that no kernel installed on the machine is picked
instead. Parameters are injected after the cell tagged ``parameters``, as papermill does, so the
committed notebooks stay the ones a user opens.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import yaml
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
KERNEL_NAME = "kubeflow-sdk-examples"


def kernelspec(directory: Path, env: Mapping[str, str]) -> Path:
    """Write a kernelspec running this interpreter; return the directory for JUPYTER_PATH."""
    spec = directory / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {
        "argv": argv,
        "display_name": "kubeflow SDK (repository)",
        "language": "python",
        "env": {"PYTHONPATH": str(REPO_ROOT / "python"), **env},
    }
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return directory


def kubeconfig_in_namespace(source: str, namespace: str, target: Path) -> Path:
    """A copy of ``source`` whose current context uses ``namespace``, as ``kubectl config
    set-context --current --namespace`` writes it: the notebooks call ``TrainerClient()``."""
    config = yaml.safe_load(Path(source).read_text())
    for context in config["contexts"]:
        if context["name"] == config["current-context"]:
            context["context"]["namespace"] = namespace
    target.write_text(yaml.safe_dump(config))
    return target


def execute(
    name: str, workdir: Path, parameters: Mapping[str, Any], timeout: int = 600
) -> nbformat.NotebookNode:
    """Execute ``examples/<name>`` in ``workdir`` and return it with its outputs.

    The caller sets JUPYTER_PATH to a directory made by ``kernelspec``. A failing cell raises
    ``nbclient.exceptions.CellExecutionError`` naming the cell and the traceback.
    """
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert tagged, f"{name} has no cell tagged 'parameters'"
    injected = new_code_cell("\n".join(f"{k} = {v!r}" for k, v in parameters.items()))
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(tagged[0] + 1, injected)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    return nb


def text_of(nb: nbformat.NotebookNode) -> str:
    """Everything the cells printed or displayed as text, and the HTML they displayed."""
    parts: list[str] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output["text"])
            data = output.get("data", {})
            parts.extend(str(data[k]) for k in ("text/plain", "text/html") if k in data)
    return "\n".join(parts)
