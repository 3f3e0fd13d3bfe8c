"""Fixtures for the end-to-end tests: a full cluster where TrainJobs really run.

    def test_something(full_cluster, namespace):
        client = TrainerClient(KubernetesBackendConfig(config_file=full_cluster.admin_kubeconfig,
                                                       namespace=namespace))

The tests run only with KUBEFLOW_TEST_E2E=1 (`make test-e2e` sets it): they need root, the
node's Debian packages and minutes for a cold build of the stack and the images. `full_cluster`
(session scope) reuses the cluster in KUBEFLOW_TEST_FULL_STATE_DIR when one runs there, and
otherwise starts one for the session (tests/support/full_cluster.py) and stops it afterwards.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.control_plane import ClusterInfo  # noqa: E402
from tests.support.full_cluster import FullCluster  # noqa: E402
from tests.support.harness import log, running_for_tests  # noqa: E402

_HERE = Path(__file__).resolve().parent
ENABLED = os.environ.get("KUBEFLOW_TEST_E2E") == "1"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if not ENABLED:
                item.add_marker(
                    pytest.mark.skip(
                        reason="end-to-end tier: `make test-e2e` (KUBEFLOW_TEST_E2E=1, root)"
                    )
                )


@pytest.fixture(scope="session")
def full_cluster(tmp_path_factory) -> Iterator[ClusterInfo]:
    """The running full cluster (same fields as the integration tests' `cluster`)."""
    shared = os.environ.get("KUBEFLOW_TEST_FULL_STATE_DIR")
    if shared:
        cluster = FullCluster(shared)
        if cluster.is_running():
            yield cluster.info()
            return
        log(f"KUBEFLOW_TEST_FULL_STATE_DIR={shared} has no running cluster; starting one")
    with running_for_tests(
        FullCluster(tmp_path_factory.mktemp("full")), "the full cluster"
    ) as info:
        yield info


@pytest.fixture
def namespace(full_cluster, request) -> str:
    """A new namespace named after the test, deleted afterwards (the controller-manager
    finalizes it, so this also proves namespace deletion works)."""
    base = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"e2e-{base}-{secrets.token_hex(3)}"
    full_cluster.kube.create_namespace(name, labels={"kubeflow-test": "e2e"})
    yield name
    full_cluster.kube.delete(f"/api/v1/namespaces/{name}", missing_ok=True)
