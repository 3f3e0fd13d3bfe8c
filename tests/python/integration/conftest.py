"""Fixtures for the integration tests: a real kube-apiserver + etcd with the Trainer CRDs.

    def test_something(cluster, namespace):
        cluster.kube.create(f"/api/v1/namespaces/{namespace}/pods", pod)   # admin REST helper
        client = TrainerClient(kubeconfig=cluster.admin_kubeconfig)       # or token_/limited_

`cluster` (session scope) reuses the control plane that scripts/test.sh started when
KUBEFLOW_TEST_STATE_DIR points at it, and otherwise starts one for the session.
`namespace` (function scope) is a fresh namespace; namespaces are never deleted (without a
controller-manager they would stay Terminating forever).
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

from tests.support.control_plane import ClusterInfo, ControlPlane  # noqa: E402
from tests.support.fault_proxy import FaultProxy  # noqa: E402
from tests.support.harness import log, running_for_tests  # noqa: E402

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory) -> Iterator[ClusterInfo]:
    """The running control plane: admin_kubeconfig, token_kubeconfig, limited_kubeconfig
    (paths as str), limited_namespace ("limited"), server (https URL), kube (a KubeAdmin on
    the admin kubeconfig), plus state_dir, pids and ports."""
    shared = os.environ.get("KUBEFLOW_TEST_STATE_DIR")
    if shared:
        cp = ControlPlane(shared)
        if cp.is_running():
            yield cp.info()
            return
        log(f"KUBEFLOW_TEST_STATE_DIR={shared} has no running control plane; starting one")
    with running_for_tests(
        ControlPlane(tmp_path_factory.mktemp("cluster")), "the test control plane"
    ) as info:
        yield info


def _namespace_name(test_name: str) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", test_name.lower()).strip("-")[:40].strip("-") or "t"
    return f"t-{base}-{secrets.token_hex(3)}"


@pytest.fixture
def namespace(cluster, request) -> str:
    """A new, empty namespace named after the test (left behind afterwards)."""
    name = _namespace_name(request.node.name)
    cluster.kube.create_namespace(name, labels={"kubeflow-test": "true"})
    return name


@pytest.fixture
def proxy(cluster) -> Iterator[FaultProxy]:
    """A fault-injecting HTTPS proxy in front of the session's API server (fault_proxy.py)."""
    with FaultProxy(cluster) as p:
        yield p
