"""``import kubeflow.trainer`` leaves the network stack of the standard library unloaded.

A notebook kernel imports the SDK first thing; urllib.request alone pulls in http.client, ssl
and email (tens of milliseconds). Only a training pod reporting progress needs them
(update_trainjob_status imports them on its first call), so the import must not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
NETWORK_MODULES = ("urllib.request", "http.client", "ssl", "email.parser")

PROBE = f"""
import json, sys
import kubeflow.trainer
print(json.dumps([m for m in {NETWORK_MODULES!r} if m in sys.modules]))
"""


def test_import_loads_no_network_module() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert json.loads(out) == []


def _loaded(code: str) -> set[str]:
    """The modules a fresh interpreter holds after ``code`` beyond those of a bare one."""
    probe = f"""
import json, sys
before = set(sys.modules)
{code}
print(json.dumps(sorted(set(sys.modules) - before)))
"""
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    ).stdout
    return set(json.loads(out))


def test_bare_import_loads_only_the_lazy_package() -> None:
    """The package is lazy (PEP 562): ``import kubeflow.trainer`` runs no submodule, and so no
    dataclasses, typing, logging or json (tens of ms in a notebook kernel's start)."""
    assert _loaded("import kubeflow.trainer") == {
        "kubeflow",
        "kubeflow.trainer",
        "kubeflow.trainer._lazy",
    }


# The notebook line loads the client and the dataclasses (their floor: dataclasses, typing,
# datetime, enum), not what waits for a call: the backends' interface and configs, the v1 types,
# errors, logging, json, uuid, the extension and the display code.
NOTEBOOK_LINE = "from kubeflow.trainer import TrainerClient, CustomTrainer"
NOTEBOOK_KUBEFLOW_MODULES = {
    "kubeflow",
    "kubeflow.common",
    "kubeflow.common.constants",
    "kubeflow.common.types",
    "kubeflow.common.utils",
    "kubeflow.trainer",
    "kubeflow.trainer._lazy",
    "kubeflow.trainer.api",
    "kubeflow.trainer.api.trainer_client",
    "kubeflow.trainer.constants",
    "kubeflow.trainer.constants.constants",
    "kubeflow.trainer.types",
    "kubeflow.trainer.types.types",
}
NOTEBOOK_DEFERRED = ("logging", "json", "uuid", "random", "threading", "subprocess", "textwrap")


def test_notebook_line_loads_the_client_and_the_dataclasses_only() -> None:
    loaded = _loaded(NOTEBOOK_LINE)
    assert {m for m in loaded if m.split(".")[0] == "kubeflow"} == NOTEBOOK_KUBEFLOW_MODULES
    assert [m for m in NOTEBOOK_DEFERRED if m in loaded] == []


# What TrainerClient() on a cluster leaves unloaded: building and submitting a job (request,
# options, trainer_spec), printing (display, display_wait), v1 jobs and types, migration, log
# options, logging, and the modules behind job-name generation (uuid loads platform, random
# loads SHA-512, string compiles Template's pattern). Notebook kernels and pipeline steps
# construct a client to list, get or wait; they pay for these only when they train, print, read
# logs or migrate.
CLIENT_DEFERRED = (
    "kubeflow.trainer.backends.kubernetes.request",
    "kubeflow.trainer.backends.kubernetes.trainer_spec",
    "kubeflow.trainer.backends.kubernetes.v1",
    "kubeflow.trainer.backends.kubernetes.migration",
    "kubeflow.trainer.types.v1",
    "kubeflow.trainer._log_options",
    "logging",
    "kubeflow.trainer.options.kubernetes",
    "kubeflow.trainer.display",
    "kubeflow.trainer.display_wait",
    "uuid",
    "random",
    "string",
    *NETWORK_MODULES,
)

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: not-a-secret}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: ns}}]
current-context: x
"""

CLIENT_PROBE = f"""
import json, sys
from kubeflow.trainer import KubernetesBackendConfig, TrainerClient
client = TrainerClient(KubernetesBackendConfig(config_file=sys.argv[1]))
assert client.backend.namespace == "ns"
print(json.dumps([m for m in {CLIENT_DEFERRED!r} if m in sys.modules]))
"""


def test_client_construction_loads_no_job_building_module(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    out = subprocess.run(
        [sys.executable, "-c", CLIENT_PROBE, str(kubeconfig)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert json.loads(out) == []
