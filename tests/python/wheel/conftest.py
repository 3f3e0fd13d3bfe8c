"""Fixtures for the wheel tier: the built wheels, installed where nothing of the build is.

The tests run only with KUBEFLOW_TEST_WHEEL=1 (scripts/test.sh sets it; root, podman and
mmdebstrap from scripts/setup.sh and setup-node.sh). ``scripts/wheel.sh`` builds one wheel per
supported CPython found on the machine (wheelhouse.py: which, and what a missing one does).

- ``wheel``: the path of the wheel for the running interpreter; ``each_wheel``: each version's;
- ``wheel_dir``: a directory holding every wheel, their dependencies and the example's (numpy)
  for each version, for an offline ``pip install --no-index`` (``pip download`` on the host);
- ``cluster``: the test control plane (tests/support/control_plane.py), the one scripts/test.sh
  started when KUBEFLOW_TEST_STATE_DIR names a running one, else one of the session's own;
- ``clean_machine``: a container of the clean-machine image
  (tools/cluster/images/clean-machine.sh: Debian's python3 and python3-venv only) on a podman
  engine of the tests' own (tests/support/podman_engine.py). It runs in the engine's network
  namespace (``--network=host`` there), where a relay (``ApiRelay``) makes the control plane's
  loopback address and port answer. Each built wheel's interpreter prefix is bind-mounted
  read-only at its own path, for the versions the image's Debian has no interpreter of;
- ``clean_venv`` (one per supported version): a venv on the clean machine made by that version's
  interpreter (the image's own python3.X when it has one, else the mounted one) with the wheel
  installed.
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

from tests.python.wheel.wheelhouse import (  # noqa: E402
    SUPPORTED,
    Built,
    all_built,
    built,
    last_line,
    running_version,
)
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
VENV_IN = "/venv"  # a version's venv is /venv-3.X


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents and not ENABLED:
            item.add_marker(
                pytest.mark.skip(reason="wheel tier: scripts/test.sh (KUBEFLOW_TEST_WHEEL=1, root)")
            )


@pytest.fixture(scope="session")
def wheel() -> Path:
    """The built, repaired wheel for this interpreter."""
    return built(running_version()).wheel


@pytest.fixture(scope="session", params=SUPPORTED, ids=lambda v: "cp" + v.replace(".", ""))
def each_wheel(request) -> Path:
    """Each supported version's wheel in turn."""
    return built(request.param).wheel


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory) -> Path:
    """Every wheel, tqdm and numpy as wheels of each version for an offline install (pip's cache
    makes this a copy when warm)."""
    out = tmp_path_factory.mktemp("wheels")
    for entry in all_built():
        shutil.copy2(entry.wheel, out)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
             "--only-binary=:all:", "--python-version", entry.version, "-d", str(out),
             str(entry.wheel), "numpy"],
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
    prefixes: list[str]  # the host interpreters' prefixes mounted read-only

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
    return Path(last_line(["bash", "tools/cluster/images/clean-machine.sh"]))


@pytest.fixture(scope="session")
def clean_machine(wheel_dir, cluster) -> Iterator[CleanMachine]:
    """The clean machine, no venv yet (see the module docstring)."""
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
    prefixes = sorted({entry.prefix for entry in all_built()})
    mounts = [arg for prefix in prefixes for arg in ("-v", f"{prefix}:{prefix}:ro")]
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
            *mounts,
            "-e", f"KUBECONFIG={KUBECONFIG_IN}",
            CLEAN_IMAGE, "sleep", "infinity",
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        yield CleanMachine(
            engine,
            name,
            {"engine start": time.monotonic() - started_at, "image load": engine.load_seconds},
            prefixes,
        )
    finally:
        if relay is not None:
            relay.stop()
        engine.stop()


@dataclass
class CleanVenv:
    """A venv on the clean machine with one version's wheel installed."""

    machine: CleanMachine
    built: Built
    python: str  # the interpreter that made the venv, a path inside the container
    venv: str
    install_seconds: float

    def run(self, script: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """``sh -c SCRIPT`` on the clean machine (not checked)."""
        return self.machine.run(script, timeout)


@pytest.fixture(scope="session", params=SUPPORTED, ids=lambda v: "cp" + v.replace(".", ""))
def clean_venv(request, clean_machine) -> CleanVenv:
    """The wheel of one supported version installed on the clean machine."""
    entry = built(request.param)
    machine: CleanMachine = clean_machine
    version = entry.version
    # The image's own interpreter of this version when Debian has it, else the host's, mounted.
    found = machine.run(f"command -v python{version}")
    python = found.stdout.strip() or f"{entry.prefix}/bin/python{version}"
    # A mounted interpreter must run on the clean machine with the image's libraries only.
    ldd = machine.run(f"ldd {python}")
    assert ldd.returncode == 0, ldd.stdout + ldd.stderr
    assert "not found" not in ldd.stdout, f"{python} on the clean machine:\n{ldd.stdout}"
    venv = f"{VENV_IN}-{version}"
    installing = time.monotonic()
    install = machine.run(
        f"{python} -m venv {venv} && {venv}/bin/pip install -q --no-index "
        f"--disable-pip-version-check --find-links {WHEELS_IN} {WHEELS_IN}/{entry.wheel.name} numpy"
    )
    assert install.returncode == 0, f"pip install failed:\n{install.stdout}{install.stderr}"
    return CleanVenv(machine, entry, python, venv, time.monotonic() - installing)
