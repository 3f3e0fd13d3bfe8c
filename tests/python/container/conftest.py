"""Fixtures for the container tier: TrainJobs as Podman containers on an engine of our own.

    def test_something(container_client):
        name = container_client.train(trainer=CustomTrainer(func=..., num_nodes=2))

The tests run only with KUBEFLOW_TEST_CONTAINER=1 (scripts/test.sh sets it; root, podman from
scripts/setup.sh, the training image of tools/cluster/images/build.sh). The session's engine
(tests/support/podman_engine.py) runs in namespaces of its own and is stopped afterwards; the
last test (test_machine_state.py) stops it itself and compares the host with its state before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from kubeflow.trainer import ContainerBackendConfig, TrainerClient  # noqa: E402
from kubeflow.trainer.backends.container import runtimes  # noqa: E402
from tests.support import processes  # noqa: E402
from tests.support.harness import ControlPlaneError  # noqa: E402
from tests.support.podman_engine import PodmanEngine, host_state, training_archive  # noqa: E402

_HERE = Path(__file__).resolve().parent
ENABLED = os.environ.get("KUBEFLOW_TEST_CONTAINER") == "1"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents and not ENABLED:
            item.add_marker(
                pytest.mark.skip(
                    reason="container tier: scripts/test.sh (KUBEFLOW_TEST_CONTAINER=1, root)"
                )
            )


@pytest.fixture(scope="session")
def podman_engine() -> Iterator[PodmanEngine]:
    """The session's podman service, with the training image loaded under every runtime's
    image name; ``engine.before`` is the host's state before it started."""
    before = host_state()
    engine = PodmanEngine(image_tags=[r.trainer.image for r in runtimes.list_runtimes()])
    engine.before = before  # type: ignore[attr-defined]
    processes.call_at_exit(engine.stop)
    try:
        engine.start(training_archive())
    except ControlPlaneError as error:
        engine.stop()
        pytest.fail(f"could not start the podman engine: {error}", pytrace=False)
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture
def container_home(tmp_path, monkeypatch) -> Path:
    """HOME for the test: the backend keeps the jobs' work directories under it."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def client_for(podman_engine) -> Callable[..., TrainerClient]:
    """Makes a new TrainerClient on the session's engine (``ContainerBackendConfig`` fields)."""

    def make(**fields) -> TrainerClient:
        return TrainerClient(
            ContainerBackendConfig(
                container_runtime="podman", container_host=podman_engine.url, **fields
            )
        )

    return make


@pytest.fixture
def container_client(client_for, container_home) -> Iterator[TrainerClient]:
    """A client on the session's engine; the jobs a test leaves are deleted afterwards."""
    client = client_for(pull_policy="Never")
    yield client
    for job in client.list_jobs():
        client.delete_job(job.name)
