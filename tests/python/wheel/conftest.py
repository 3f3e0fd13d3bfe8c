"""Fixtures for the wheel tier: the built wheel, installed where nothing of the build is.

The tests run only with KUBEFLOW_TEST_WHEEL=1 (scripts/test.sh sets it; root, podman and
mmdebstrap from scripts/setup.sh and setup-node.sh). The wheel is the one ``scripts/wheel.sh``
builds for the running interpreter (its last stdout line), or KUBEFLOW_TEST_WHEEL_PATH when set.

- ``wheel``: the wheel's path;
- ``wheel_dir``: a directory holding the wheel, its dependencies and the example's (numpy), for
  an offline ``pip install --no-index`` (filled with ``pip download`` on the host);
- ``cluster``: the test control plane (tests/support/control_plane.py), the one scripts/test.sh
  started when KUBEFLOW_TEST_STATE_DIR names a running one, else one of the session's own;
- ``clean_machine``: a container of the clean-machine image
  (tools/cluster/images/clean-machine.sh: Debian's python3 and python3-venv only) on a podman
  engine of the tests' own (tests/support/podman_engine.py), with the wheel installed into a
  venv from ``wheel_dir``. It runs in the engine's network namespace (``--network=host`` there),
  where a relay (``ApiRelay``) makes the control plane's loopback address and port answer.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support import processes  # noqa: E402
from tests.support.control_plane import ClusterInfo, ControlPlane  # noqa: E402
from tests.support.harness import ControlPlaneError, running_for_tests  # noqa: E402
from tests.support.podman_engine import PodmanEngine  # noqa: E402

_HERE = Path(__file__).resolve().parent
ENABLED = os.environ.get("KUBEFLOW_TEST_WHEEL") == "1"
CLEAN_IMAGE = "localhost/kubeflow-clean-machine:test"
# Where the container sees the host's files (read-only bind mounts).
WHEELS_IN = "/wheels"
EXAMPLES_IN = "/examples"
KUBECONFIG_IN = "/kube/config"
VENV_IN = "/venv"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents and not ENABLED:
            item.add_marker(
                pytest.mark.skip(reason="wheel tier: scripts/test.sh (KUBEFLOW_TEST_WHEEL=1, root)")
            )


def _last_line(argv: list[str]) -> str:
    proc = subprocess.run(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        pytest.fail(f"{' '.join(argv)} failed (exit code {proc.returncode})", pytrace=False)
    return lines[-1]


@pytest.fixture(scope="session")
def wheel() -> Path:
    """The built, repaired wheel for this interpreter."""
    given = os.environ.get("KUBEFLOW_TEST_WHEEL_PATH")
    path = Path(given) if given else Path(_last_line(["bash", "scripts/wheel.sh"]))
    if not path.is_file() or path.suffix != ".whl":
        pytest.fail(f"no wheel at {path}", pytrace=False)
    return path.resolve()


@pytest.fixture(scope="session")
def wheel_dir(wheel, tmp_path_factory) -> Path:
    """The wheel, tqdm and numpy as wheels for an offline install (pip's cache makes this a
    copy when warm)."""
    out = tmp_path_factory.mktemp("wheels")
    shutil.copy2(wheel, out)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "-d", str(out),
         str(wheel), "numpy"],
        check=True,
    )  # fmt: skip
    return out


@pytest.fixture(scope="session")
def cluster(tmp_path_factory) -> Iterator[ClusterInfo]:
    """The running test control plane (see the module docstring)."""
    shared = os.environ.get("KUBEFLOW_TEST_STATE_DIR")
    if shared and ControlPlane(shared).is_running():
        yield ControlPlane(shared).info()
        return
    with running_for_tests(
        ControlPlane(tmp_path_factory.mktemp("cluster")), "the test control plane"
    ) as info:
        yield info


@dataclass
class CleanMachine:
    """A running container of the clean-machine image; ``run`` executes in it."""

    engine: PodmanEngine
    name: str
    timings: dict[str, float]

    def run(self, script: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """``sh -c SCRIPT`` in the container (not checked)."""
        return self.engine.podman("exec", self.name, "sh", "-c", script, timeout=timeout)


class ApiRelay:
    """The API server's ``127.0.0.1:<port>`` inside the engine's network namespace: socat
    listening there forwards through a unix socket in the engine's directory to a second socat
    on the host, which connects to the real server (the recipe of the full cluster's relay, the
    other way round). TLS passes through: the container verifies the server's certificate, whose
    SAN is 127.0.0.1. Both relays are ours and stopped by ``stop``."""

    def __init__(self, engine: PodmanEngine, port: int) -> None:
        self.port = port
        socket_path = engine.dir / "api.sock"
        self._host = subprocess.Popen(
            ["socat", f"UNIX-LISTEN:{socket_path},fork,mode=600", f"TCP:127.0.0.1:{port},nodelay"],
            start_new_session=True,
        )
        self._inside = subprocess.Popen(
            ["nsenter", "-t", str(engine.pid), "-n", "socat",
             f"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr,nodelay",
             f"UNIX-CONNECT:{socket_path}"],
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not (socket_path.exists() and self._listening()):
            if time.monotonic() > deadline or self._host.poll() is not None:
                self.stop()
                raise ControlPlaneError("the API relay into the engine's namespace did not start")
            time.sleep(0.05)

    def _listening(self) -> bool:
        """True once the inner socat listens (its namespace's /proc/<pid>/net/tcp)."""
        try:
            table = Path(f"/proc/{self._inside.pid}/net/tcp").read_text()
        except OSError:
            return False
        local = f"0100007F:{self.port:04X}"
        return any(
            f[1] == local and f[3] == "0A" for f in (line.split() for line in table.splitlines())
        )

    def stop(self) -> None:
        """Stop both relays and the connections they forked."""
        for process in (self._inside, self._host):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)


def clean_archive() -> Path:
    """The clean-machine image's docker-archive (built and cached by its script)."""
    return Path(_last_line(["bash", "tools/cluster/images/clean-machine.sh"]))


@pytest.fixture(scope="session")
def clean_machine(wheel, wheel_dir, cluster) -> Iterator[CleanMachine]:
    """The clean machine with the wheel installed (see the module docstring)."""
    archive = clean_archive()
    engine = PodmanEngine(image_tags=[CLEAN_IMAGE])
    processes.call_at_exit(engine.stop)
    started_at = time.monotonic()
    try:
        engine.start(archive)
    except ControlPlaneError as error:
        engine.stop()
        pytest.fail(f"could not start the podman engine: {error}", pytrace=False)
    relay: ApiRelay | None = None
    try:
        relay = ApiRelay(engine, urlparse(cluster.server).port or 443)
        name = "clean-machine"
        started = engine.podman(
            "run", "-d", "--name", name,
            # The engine's network namespace, where the relay answers for the control plane.
            "--network=host",
            "-v", f"{wheel_dir}:{WHEELS_IN}:ro",
            "-v", f"{REPO_ROOT / 'examples'}:{EXAMPLES_IN}:ro",
            "-v", f"{cluster.admin_kubeconfig}:{KUBECONFIG_IN}:ro",
            "-e", f"KUBECONFIG={KUBECONFIG_IN}",
            CLEAN_IMAGE, "sleep", "infinity",
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        machine = CleanMachine(
            engine,
            name,
            {"engine start": time.monotonic() - started_at, "image load": engine.load_seconds},
        )
        installing = time.monotonic()
        install = machine.run(
            f"python3 -m venv {VENV_IN} && {VENV_IN}/bin/pip install -q --no-index "
            f"--disable-pip-version-check --find-links {WHEELS_IN} {WHEELS_IN}/{wheel.name} numpy"
        )
        assert install.returncode == 0, f"pip install failed:\n{install.stdout}{install.stderr}"
        machine.timings["venv + offline pip install"] = time.monotonic() - installing
        yield machine
    finally:
        if relay is not None:
            relay.stop()
        engine.stop()
