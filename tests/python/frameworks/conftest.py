"""The frameworks tier: real torch, JAX and XGBoost collectives on the local process backend.

It runs with the interpreter of the cached frameworks environment (scripts/frameworks-env.sh,
requirements-frameworks.txt) and PYTHONPATH=python, as scripts/test.sh does. Under another
interpreter without the frameworks the tests are skipped, unless KUBEFLOW_TEST_FRAMEWORKS=1
(test.sh sets it), where a missing framework fails them.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeflow.trainer import LocalProcessBackendConfig, TrainerClient

FRAMEWORKS = ("torch", "jax", "xgboost", "sklearn")
MISSING = [name for name in FRAMEWORKS if importlib.util.find_spec(name) is None]


@pytest.fixture(autouse=True)
def frameworks_installed() -> None:
    if not MISSING:
        return
    message = (
        f"{', '.join(MISSING)} not installed in this interpreter: run this tier with the "
        "interpreter printed by scripts/frameworks-env.sh (scripts/test.sh does)"
    )
    if os.environ.get("KUBEFLOW_TEST_FRAMEWORKS") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TrainerClient]:
    """A local client with 2 processes per node, in a state directory of the test's own."""
    c = TrainerClient(
        LocalProcessBackendConfig(state_dir=str(tmp_path / "state"), processes_per_node=2)
    )
    yield c
    for job in c.list_jobs():
        c.delete_job(job.name)
