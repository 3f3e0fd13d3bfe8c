"""Test control plane: a real kube-apiserver + etcd on loopback with the Kubeflow Trainer CRDs.

    python -m tests.support.control_plane up     [--state-dir DIR]   # prints admin.kubeconfig last
    python -m tests.support.control_plane status [--state-dir DIR]
    python -m tests.support.control_plane down   [--state-dir DIR]

The binaries come from tools/control-plane/build.sh (built once from Go modules, then cached).
`up` generates a PKI with the openssl CLI (pki.py), starts etcd and kube-apiserver in their own
process groups (processes.py), writes three kubeconfigs (kubeconfigs.py: admin client cert,
cluster-admin bearer token, and a "limited" bearer token), installs the Trainer and JobSet CRDs
and the shipped ClusterTrainingRuntimes over the REST API (trainer_objects.py), and records pids
and ports in `state.json` so that `down` (from any process) can stop everything. There is no
controller-manager, scheduler or kubelet: nothing reconciles, pods stay Pending, and namespaces
cannot be deleted.

Only the standard library and PyYAML are used. docs/control-plane.md has the details.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

if not __package__:  # run as a plain script: import the package the module belongs to
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    __package__ = "tests.support"

from .cli import main
from .harness import REPO_ROOT, ControlPlaneError, build_output_dir, log
from .kube import KubeAdmin
from .kubeconfigs import ADMIN_CERT_USER, LIMITED_NAMESPACE, write_kubeconfigs, write_token_file
from .pki import generate_pki, write_private
from .processes import ProcessGroups, alive, call_at_exit, memory_kib, process_alive
from .sockets import free_ports
from .trainer_objects import TRAINER_MANIFESTS, bootstrap

BUILD_SCRIPT = REPO_ROOT / "tools" / "control-plane" / "build.sh"
DEFAULT_STATE_DIR = REPO_ROOT / "build" / "cluster"

STATE_FILE = "state.json"
SHM_PREFIX = "kubeflow-test-etcd-"
START_TIMEOUT = float(os.environ.get("KUBEFLOW_TEST_CONTROL_PLANE_TIMEOUT", "120"))


@dataclass
class ClusterInfo:
    """What tests need to reach a running control plane."""

    state_dir: str
    server: str
    admin_kubeconfig: str
    token_kubeconfig: str
    limited_kubeconfig: str
    limited_namespace: str
    pids: dict[str, int] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    @functools.cached_property
    def kube(self) -> KubeAdmin:
        """A KubeAdmin on the admin (client certificate) kubeconfig."""
        return KubeAdmin(self.admin_kubeconfig)


class ControlPlane:
    """Starts, inspects and stops the control plane whose state lives in `state_dir`."""

    def __init__(
        self,
        state_dir: str | os.PathLike | None = None,
        *,
        start_timeout: float = START_TIMEOUT,
        manifests: Path = TRAINER_MANIFESTS,
    ):
        self.state_dir = Path(state_dir or DEFAULT_STATE_DIR).resolve()
        self.start_timeout = start_timeout
        self.manifests = manifests
        self.processes = ProcessGroups()
        self._lock_depth = 0

    # ---- state ----

    @property
    def state_path(self) -> Path:
        return self.state_dir / STATE_FILE

    def read_state(self) -> dict | None:
        try:
            return json.loads(self.state_path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def _write_state(self, state: dict) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        write_private(self.state_path, json.dumps(state, indent=2) + "\n")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serializes up/down across processes. Re-entrant within this process, so that a
        signal handler calling down() while up() runs does not wait for itself."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
                fcntl.flock(lock, fcntl.LOCK_UN)

    def is_running(self) -> bool:
        state = self.read_state()
        return bool(
            state
            and state.get("ready")
            and state.get("processes")
            and all(alive(p) for p in state["processes"].values())
        )

    def info(self) -> ClusterInfo:
        state = self.read_state()
        if not state or not state.get("ready"):
            raise ControlPlaneError(f"no running control plane in {self.state_dir}")
        return ClusterInfo(
            state_dir=str(self.state_dir),
            server=state["server"],
            admin_kubeconfig=state["kubeconfigs"]["admin"],
            token_kubeconfig=state["kubeconfigs"]["token"],
            limited_kubeconfig=state["kubeconfigs"]["limited"],
            limited_namespace=LIMITED_NAMESPACE,
            pids={name: p["pid"] for name, p in state["processes"].items()},
            ports=dict(state["ports"]),
        )

    def status(self) -> dict:
        state = self.read_state()
        if not state:
            return {"running": False, "state_dir": str(self.state_dir)}
        processes = {}
        for name, p in state.get("processes", {}).items():
            up = alive(p)
            processes[name] = {
                "pid": p["pid"],
                "alive": up,
                **(memory_kib(p["pid"]) if up else {}),
            }
        running = (
            bool(state.get("ready"))
            and bool(processes)
            and all(p["alive"] for p in processes.values())
        )
        out = {
            "running": running,
            "state_dir": str(self.state_dir),
            "server": state.get("server"),
            "ports": state.get("ports"),
            "processes": processes,
            "kubeconfigs": state.get("kubeconfigs"),
            "timings_s": state.get("timings_s"),
        }
        if running:
            out["readyz"] = self._readyz(state["server"], self.state_dir / "pki")
        return out

    # ---- start ----

    def up(self, *, tie_to_parent: bool = False) -> ClusterInfo:
        """Starts the control plane (or returns the running one) and returns its ClusterInfo.
        With `tie_to_parent`, the processes get SIGKILL when the calling thread dies."""
        with self._locked():
            if self.is_running():
                state = self.read_state()
                if state and self._readyz(state["server"], self.state_dir / "pki"):
                    log(f"already running in {self.state_dir}")
                    return self.info()
            if self.read_state():
                self._stop_locked()
            try:
                return self._start(tie_to_parent)
            except BaseException:
                self._stop_locked(quiet=True)
                raise

    def _binaries(self) -> Path:
        bin_dir = build_output_dir(BUILD_SCRIPT)
        for name in ("kube-apiserver", "etcd"):
            if not os.access(bin_dir / name, os.X_OK):
                raise ControlPlaneError(f"{bin_dir / name} is missing after the build")
        return bin_dir

    def _wrap(self, argv: list[str]) -> list[str]:
        """How a process is launched; the full cluster runs them inside its namespaces."""
        return argv

    def _apiserver_extra_args(self, pki: Path) -> list[str]:
        """More kube-apiserver flags; the full cluster adds the kubelet client certificate."""
        return []

    def _spawn(self, name: str, argv: list[str], tie_to_parent: bool) -> dict:
        return self.processes.spawn(
            self._wrap(argv),
            argv0=argv[0],
            log_path=self.state_dir / "logs" / f"{name}.log",
            cwd=self.state_dir,
            tie_to_parent=tie_to_parent,
        )

    def _wait_ready(
        self, name: str, proc: dict, check: Callable[[], bool], deadline: float
    ) -> None:
        self.processes.wait_ready(name, proc, check, deadline, self.start_timeout)

    @staticmethod
    def _etcd_healthy(port: int) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                return json.loads(r.read()).get("health") == "true"
        except (OSError, ValueError):
            return False

    @staticmethod
    def _readyz(server: str, pki: Path) -> bool:
        try:
            ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
            ctx.load_cert_chain(pki / "admin.crt", pki / "admin.key")
            with urllib.request.urlopen(f"{server}/readyz", timeout=3, context=ctx) as r:
                return r.status == 200
        except (OSError, ssl.SSLError, urllib.error.URLError):
            return False

    def _etcd_data_dir(self) -> Path:
        shm = Path("/dev/shm")
        if shm.is_dir() and os.access(shm, os.W_OK):
            sweep_stale_etcd_dirs(shm)
            return Path(tempfile.mkdtemp(prefix=SHM_PREFIX, dir=shm))
        path = self.state_dir / "etcd-data"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def _start(self, tie_to_parent: bool) -> ClusterInfo:
        t0 = time.monotonic()
        timings: dict[str, float] = {}
        sd = self.state_dir
        log(f"starting in {sd}")
        bin_dir = self._binaries()
        timings["binaries"] = time.monotonic() - t0

        t = time.monotonic()
        for sub in ("pki", "logs"):
            shutil.rmtree(sd / sub, ignore_errors=True)
            (sd / sub).mkdir(parents=True)
        pki = sd / "pki"
        generate_pki(pki, ADMIN_CERT_USER)
        tokens = write_token_file(pki / "tokens.csv")
        timings["pki"] = time.monotonic() - t

        state: dict = {
            "state_dir": str(sd),
            "bin_dir": str(bin_dir),
            "processes": {},
            "ready": False,
            "started_at": time.time(),
        }
        for attempt in range(1, 4):
            try:
                self._start_processes(bin_dir, pki, state, tie_to_parent, timings)
                break
            except ControlPlaneError as e:
                self._stop_processes(state, quiet=True)
                if attempt == 3 or "address already in use" not in str(e):
                    raise
                log(f"a port was taken meanwhile, retrying ({e.args[0].splitlines()[0]})")

        server = state["server"]
        state["kubeconfigs"] = write_kubeconfigs(sd, server, pki, tokens)
        self._write_state(state)

        t = time.monotonic()
        kube = KubeAdmin(state["kubeconfigs"]["admin"], timeout=60)
        bootstrap(kube, self.manifests, timings, deadline=t + self.start_timeout)
        timings["bootstrap"] = time.monotonic() - t
        timings["total"] = time.monotonic() - t0
        state["ready"] = True
        state["timings_s"] = {k: round(v, 2) for k, v in timings.items()}
        self._write_state(state)
        log(
            f"ready at {server} in {timings['total']:.1f} s (binaries {timings['binaries']:.1f} s, "
            f"pki {timings['pki']:.1f} s, etcd {timings['etcd']:.1f} s, "
            f"kube-apiserver {timings['kube-apiserver']:.1f} s, CRDs {timings['crds']:.1f} s "
            f"[posted {timings['crds_posted']:.1f}, "
            f"Established {timings['crds_established']:.1f}], "
            f"runtimes and RBAC {timings['bootstrap'] - timings['crds']:.1f} s)"
        )
        return self.info()

    def _start_processes(
        self, bin_dir: Path, pki: Path, state: dict, tie_to_parent: bool, timings: dict[str, float]
    ) -> None:
        etcd_port, peer_port, api_port = free_ports(3)
        state["ports"] = {"etcd": etcd_port, "etcd_peer": peer_port, "apiserver": api_port}
        server = f"https://127.0.0.1:{api_port}"
        state["server"] = server
        deadline = time.monotonic() + self.start_timeout

        t = time.monotonic()
        data_dir = self._etcd_data_dir()
        state["etcd_data_dir"] = str(data_dir)
        client_url, peer_url = f"http://127.0.0.1:{etcd_port}", f"http://127.0.0.1:{peer_port}"
        etcd = self._spawn(
            "etcd",
            [
                str(bin_dir / "etcd"),
                "--name=kubeflow-test",
                f"--data-dir={data_dir / 'data'}",
                "--unsafe-no-fsync",
                "--log-level=warn",
                f"--listen-client-urls={client_url}",
                f"--advertise-client-urls={client_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=kubeflow-test={peer_url}",
                "--initial-cluster-state=new",
            ],
            tie_to_parent,
        )
        state["processes"]["etcd"] = etcd
        if data_dir.parent == Path("/dev/shm"):
            (data_dir / "owner.json").write_text(
                json.dumps(
                    {
                        "pid": etcd["pid"],
                        "start_time": etcd["start_time"],
                        "state_dir": str(self.state_dir),
                    }
                )
            )
        self._write_state(state)
        self._wait_ready("etcd", etcd, lambda: self._etcd_healthy(etcd_port), deadline)
        timings["etcd"] = time.monotonic() - t

        t = time.monotonic()
        state["apiserver_argv"] = [
            str(bin_dir / "kube-apiserver"),
            f"--etcd-servers={client_url}",
            "--bind-address=127.0.0.1",
            f"--secure-port={api_port}",
            "--advertise-address=127.0.0.1",
            f"--cert-dir={pki}",
            f"--tls-cert-file={pki / 'apiserver.crt'}",
            f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'client-ca.crt'}",
            f"--token-auth-file={pki / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            f"--service-account-issuer={server}",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--disable-admission-plugins=ServiceAccount",
            "--allow-privileged=true",
            "--endpoint-reconciler-type=none",
            "--shutdown-delay-duration=0s",
            "--profiling=false",
            *self._apiserver_extra_args(pki),
        ]
        self._start_apiserver(state, tie_to_parent, deadline)
        timings["kube-apiserver"] = time.monotonic() - t

    def _start_apiserver(self, state: dict, tie_to_parent: bool, deadline: float) -> None:
        apiserver = self._spawn("kube-apiserver", state["apiserver_argv"], tie_to_parent)
        state["processes"]["kube-apiserver"] = apiserver
        self._write_state(state)
        ready = functools.partial(self._readyz, state["server"], self.state_dir / "pki")
        self._wait_ready("kube-apiserver", apiserver, ready, deadline)

    def restart_apiserver(
        self, down_for: float = 0.0, *, grace: float = 10.0, tie_to_parent: bool = True
    ) -> None:
        """Stops kube-apiserver (SIGTERM, SIGKILL after `grace` s), waits `down_for` seconds,
        and starts it again with the same flags: same port, same etcd, so the objects stay.
        For fault tests; use a control plane of the test's own, since every client of this one
        sees the outage. With `tie_to_parent` the new process gets SIGKILL when the calling
        thread ends."""
        with self._locked():
            state = self.read_state()
            if not state or "apiserver_argv" not in state:
                raise ControlPlaneError(f"no restartable control plane in {self.state_dir}")
            self.processes.stop(state["processes"]["kube-apiserver"], grace)
            time.sleep(down_for)
            self._start_apiserver(state, tie_to_parent, time.monotonic() + self.start_timeout)

    # ---- stop ----

    def down(self, grace: float = 10.0) -> bool:
        """Stops the processes of the state dir; True if there was anything to stop."""
        with self._locked():
            return self._stop_locked(grace)

    def _stop_locked(self, grace: float = 10.0, quiet: bool = False) -> bool:
        state = self.read_state()
        if not state:
            return False
        stopped = self._stop_processes(state, grace, quiet)
        with contextlib.suppress(FileNotFoundError):
            self.state_path.unlink()
        return stopped

    def _stop_processes(self, state: dict, grace: float = 10.0, quiet: bool = False) -> bool:
        # Reverse start order: kube-apiserver stops in about a second while etcd is up,
        # but keeps retrying for a long time once etcd is gone.
        procs = [p for p in reversed(list(state.get("processes", {}).values())) if alive(p)]
        for p in procs:
            self.processes.stop(p, grace)
        left = [p["pid"] for p in procs if alive(p)]
        if left:
            raise ControlPlaneError(f"processes {left} did not stop")
        data_dir = state.get("etcd_data_dir")
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        state["processes"] = {}
        if procs and not quiet:
            log(f"stopped pids {[p['pid'] for p in procs]} ({self.state_dir})")
        return bool(procs)

    def stop_at_exit(self) -> None:
        """Makes sure `down` runs when this interpreter exits: atexit, and SIGTERM/SIGHUP
        handlers that stop the control plane and then re-deliver the signal. (pytest turns
        SIGINT into KeyboardInterrupt and still tears fixtures down.)"""
        call_at_exit(self._down_quietly)

    def _down_quietly(self) -> None:
        try:
            self.down()
        except Exception as e:  # noqa: BLE001 - best effort at exit
            log(f"stopping failed: {e}")


def sweep_stale_etcd_dirs(shm: Path = Path("/dev/shm")) -> None:
    """Removes etcd data dirs in /dev/shm whose etcd is gone (e.g. after a SIGKILLed run)."""
    for d in shm.glob(f"{SHM_PREFIX}*"):
        with contextlib.suppress(OSError):
            if d.stat().st_uid != os.getuid():
                continue
            try:
                owner = json.loads((d / "owner.json").read_text())
                stale = not process_alive(owner["pid"], owner.get("start_time"))
            except (OSError, ValueError, KeyError):
                stale = time.time() - d.stat().st_mtime > 600
            if stale:
                shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(ControlPlane, DEFAULT_STATE_DIR, "tests.support.control_plane", __doc__))
