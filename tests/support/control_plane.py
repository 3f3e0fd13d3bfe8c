"""Test control plane: a real kube-apiserver + etcd on loopback with the Kubeflow Trainer CRDs.

    python -m tests.support.control_plane up     [--state-dir DIR]   # prints admin.kubeconfig last
    python -m tests.support.control_plane status [--state-dir DIR]
    python -m tests.support.control_plane down   [--state-dir DIR]

The binaries come from tools/control-plane/build.sh (built once from Go modules, then cached).
`up` generates a PKI with the openssl CLI, starts etcd and kube-apiserver in their own process
groups, writes three kubeconfigs (admin client cert, cluster-admin bearer token, and a
"limited" bearer token), installs the Trainer and JobSet CRDs and the shipped
ClusterTrainingRuntimes over the REST API, and records pids and ports in `state.json` so that
`down` (from any process) can stop everything. There is no controller-manager, scheduler or
kubelet: nothing reconciles, pods stay Pending, and namespaces cannot be deleted.

Only the standard library and PyYAML are used. docs/control-plane.md has the details.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import concurrent.futures
import contextlib
import fcntl
import functools
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

try:
    from .kube import KubeAdmin, KubeError, load_yaml_documents
except ImportError:  # run as a plain script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from kube import KubeAdmin, KubeError, load_yaml_documents  # type: ignore[no-redef]

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
# Vendored with provenance: tools/manifests/kubeflow-trainer/README.md.
TRAINER_MANIFESTS = REPO_ROOT / "tools" / "manifests" / "kubeflow-trainer"
BUILD_SCRIPT = REPO_ROOT / "tools" / "control-plane" / "build.sh"
DEFAULT_STATE_DIR = REPO_ROOT / "build" / "cluster"

TRAINER_VERSION = "v2.3.0"
EXPECTED_RUNTIME_COUNT = 8
LIMITED_NAMESPACE = "limited"
TRAINER_SYSTEM_NAMESPACE = "kubeflow-system"
TRAINER_PUBLIC_CONFIGMAP = "kubeflow-trainer-public"
CLUSTER_NAME = "kubeflow-test"
TOKEN_ADMIN_USER = "kubeflow-test-token-admin"
LIMITED_USER = "kubeflow-test-limited"
ADMIN_CERT_USER = "kubeflow-test-admin"

STATE_FILE = "state.json"
SHM_PREFIX = "kubeflow-test-etcd-"
START_TIMEOUT = float(os.environ.get("KUBEFLOW_TEST_CONTROL_PLANE_TIMEOUT", "120"))


class ControlPlaneError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"control plane: {message}", file=sys.stderr, flush=True)


def crd_files(manifests: Path = TRAINER_MANIFESTS) -> list[Path]:
    files = sorted((manifests / "crds").glob("*.yaml")) + sorted(
        (manifests / "jobset").glob("*.yaml")
    )
    if not files:
        raise ControlPlaneError(
            f"no CRD files under {manifests}/crds and {manifests}/jobset "
            "(the vendored manifests are missing from the checkout)"
        )
    return files


def runtimes_file(manifests: Path = TRAINER_MANIFESTS) -> Path:
    return manifests / "runtimes" / "rendered" / f"clustertrainingruntimes-{TRAINER_VERSION}.yaml"


def shipped_runtimes(manifests: Path = TRAINER_MANIFESTS) -> list[dict]:
    """The ClusterTrainingRuntimes of the release (exactly EXPECTED_RUNTIME_COUNT)."""
    docs = load_yaml_documents(runtimes_file(manifests))
    runtimes = [d for d in docs if d.get("kind") == "ClusterTrainingRuntime"]
    if len(runtimes) != EXPECTED_RUNTIME_COUNT or len(docs) != len(runtimes):
        raise ControlPlaneError(
            f"{runtimes_file(manifests)}: expected {EXPECTED_RUNTIME_COUNT} "
            f"ClusterTrainingRuntimes, found {len(runtimes)} of {len(docs)} objects"
        )
    return runtimes


# ---- processes --------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def process_alive(pid: int, start_time: int | None = None) -> bool:
    """True if `pid` runs (not a zombie) and, when given, started at `start_time`."""
    stat = _proc_stat(pid)
    if stat is None:
        return False
    if stat[0] == "Z":
        _reap(pid)
        return False
    return start_time is None or stat[1] == start_time


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process in KiB."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def _set_parent_death_signal() -> None:  # runs in the child between fork and exec
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


# ---- sockets ----------------------------------------------------------------------------


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
    return inodes


def _decode_address(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)
    # /proc/net prints each 32-bit word in host (little-endian) byte order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def listening_sockets(pids: list[int] | None = None) -> list[dict]:
    """TCP sockets in LISTEN state and bound UDP sockets, from /proc/net/{tcp,tcp6,udp,udp6}.
    With `pids`, only the sockets owned by those processes."""
    wanted = None
    if pids is not None:
        wanted = {}
        for pid in pids:
            for inode in _socket_inodes(pid):
                wanted[inode] = pid
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            local, state, inode = cols[1], cols[3], int(cols[9])
            addr_hex, port_hex = local.split(":")
            port = int(port_hex, 16)
            if proto.startswith("tcp") and state != "0A":
                continue
            if proto.startswith("udp") and port == 0:
                continue
            if wanted is not None and inode not in wanted:
                continue
            found.append(
                {
                    "proto": proto,
                    "address": _decode_address(addr_hex),
                    "port": port,
                    "inode": inode,
                    "pid": wanted.get(inode) if wanted else None,
                }
            )
    return found


def is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


# ---- PKI --------------------------------------------------------------------------------

_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str, cwd: Path) -> None:
    if shutil.which("openssl") is None:
        raise ControlPlaneError("the openssl CLI is not installed (scripts/setup.sh installs it)")
    proc = subprocess.run(
        ["openssl", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ControlPlaneError(f"openssl {' '.join(args)} failed:\n{proc.stdout}")


def generate_pki(pki: Path) -> None:
    """CA + serving cert (127.0.0.1, localhost), client CA + admin client cert
    (O=system:masters), and the service-account signing key, all in `pki`."""
    pki.mkdir(parents=True, exist_ok=True)
    (pki / "openssl.cnf").write_text(_OPENSSL_CONFIG)
    old_umask = os.umask(0o077)
    try:
        for key in ("ca", "apiserver", "client-ca", "admin", "sa"):
            _openssl(
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                f"{key}.key",
                cwd=pki,
            )
        for ca, cn in (("ca", "kubeflow-test-ca"), ("client-ca", "kubeflow-test-client-ca")):
            _openssl(
                "req",
                "-x509",
                "-new",
                "-key",
                f"{ca}.key",
                "-config",
                "openssl.cnf",
                "-extensions",
                "v3_ca",
                "-subj",
                f"/CN={cn}",
                "-days",
                "3650",
                "-out",
                f"{ca}.crt",
                cwd=pki,
            )
        for name, ca, subject, ext in (
            ("apiserver", "ca", "/CN=kube-apiserver", "v3_server"),
            ("admin", "client-ca", f"/O=system:masters/CN={ADMIN_CERT_USER}", "v3_client"),
        ):
            _openssl(
                "req",
                "-new",
                "-key",
                f"{name}.key",
                "-config",
                "openssl.cnf",
                "-subj",
                subject,
                "-out",
                f"{name}.csr",
                cwd=pki,
            )
            _openssl(
                "x509",
                "-req",
                "-in",
                f"{name}.csr",
                "-CA",
                f"{ca}.crt",
                "-CAkey",
                f"{ca}.key",
                "-set_serial",
                str(secrets.randbits(63)),
                "-days",
                "3650",
                "-extfile",
                "openssl.cnf",
                "-extensions",
                ext,
                "-out",
                f"{name}.crt",
                cwd=pki,
            )
        _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)
    finally:
        os.umask(old_umask)


# ---- kubeconfigs ------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kubeconfig(server: str, ca: bytes, user_name: str, user: dict, namespace: str) -> dict:
    context = f"{user_name}@{CLUSTER_NAME}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CLUSTER_NAME,
                "cluster": {"server": server, "certificate-authority-data": _b64(ca)},
            }
        ],
        "users": [{"name": user_name, "user": user}],
        "contexts": [
            {
                "name": context,
                "context": {"cluster": CLUSTER_NAME, "user": user_name, "namespace": namespace},
            }
        ],
        "current-context": context,
        "preferences": {},
    }


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# ---- the cluster ------------------------------------------------------------------------


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
        self._children: dict[int, subprocess.Popen] = {}
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
        _write_private(self.state_path, json.dumps(state, indent=2) + "\n")

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

    @staticmethod
    def _alive(proc: dict) -> bool:
        return process_alive(proc["pid"], proc.get("start_time"))

    def is_running(self) -> bool:
        state = self.read_state()
        return bool(
            state
            and state.get("ready")
            and state.get("processes")
            and all(self._alive(p) for p in state["processes"].values())
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
            alive = self._alive(p)
            processes[name] = {
                "pid": p["pid"],
                "alive": alive,
                **(memory_kib(p["pid"]) if alive else {}),
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
        proc = subprocess.run(
            ["bash", str(BUILD_SCRIPT)], stdout=subprocess.PIPE, text=True, check=False
        )
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not lines:
            raise ControlPlaneError(
                f"{BUILD_SCRIPT.relative_to(REPO_ROOT)} failed (exit code {proc.returncode})"
            )
        bin_dir = Path(lines[-1])
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
        log_path = self.state_dir / "logs" / f"{name}.log"
        argv0 = argv[0]
        argv = self._wrap(argv)
        with open(log_path, "ab") as log_file:
            log_file.write(f"==== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
            log_file.flush()
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=self.state_dir,
                start_new_session=True,
                preexec_fn=_set_parent_death_signal if tie_to_parent else None,  # noqa: PLW1509
            )
        self._children[proc.pid] = proc
        stat = _proc_stat(proc.pid)
        return {
            "pid": proc.pid,
            "pgid": proc.pid,
            "start_time": stat[1] if stat else None,
            "log": str(log_path),
            "argv0": argv0,
        }

    def _wait_ready(self, name: str, proc: dict, check, deadline: float) -> None:
        while True:
            if check():
                return
            child = self._children.get(proc["pid"])
            code = child.poll() if child else None
            if code is not None or not self._alive(proc):
                raise ControlPlaneError(
                    f"{name} exited (code {code}) before it was ready; last lines of "
                    f"{proc['log']}:\n{_tail(Path(proc['log']))}"
                )
            if time.monotonic() > deadline:
                raise ControlPlaneError(
                    f"{name} was not ready within {self.start_timeout:.0f} s; last lines of "
                    f"{proc['log']}:\n{_tail(Path(proc['log']))}"
                )
            time.sleep(0.1)

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
        generate_pki(pki)
        tokens = {"admin": secrets.token_hex(24), "limited": secrets.token_hex(24)}
        _write_private(
            pki / "tokens.csv",
            f"{tokens['admin']},{TOKEN_ADMIN_USER},uid-{TOKEN_ADMIN_USER}\n"
            f"{tokens['limited']},{LIMITED_USER},uid-{LIMITED_USER}\n",
        )
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
        ca = (pki / "ca.crt").read_bytes()
        kubeconfigs = {
            "admin": _kubeconfig(
                server,
                ca,
                ADMIN_CERT_USER,
                {
                    "client-certificate-data": _b64((pki / "admin.crt").read_bytes()),
                    "client-key-data": _b64((pki / "admin.key").read_bytes()),
                },
                "default",
            ),
            "token": _kubeconfig(
                server, ca, TOKEN_ADMIN_USER, {"token": tokens["admin"]}, "default"
            ),
            "limited": _kubeconfig(
                server, ca, LIMITED_USER, {"token": tokens["limited"]}, LIMITED_NAMESPACE
            ),
        }
        state["kubeconfigs"] = {}
        for name, config in kubeconfigs.items():
            path = sd / f"{name}.kubeconfig"
            _write_private(path, yaml.safe_dump(config, sort_keys=False))
            state["kubeconfigs"][name] = str(path)
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
        etcd_port, peer_port, api_port = _free_ports(3)
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
        apiserver = self._spawn(
            "kube-apiserver",
            [
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
            ],
            tie_to_parent,
        )
        state["processes"]["kube-apiserver"] = apiserver
        self._write_state(state)
        self._wait_ready("kube-apiserver", apiserver, lambda: self._readyz(server, pki), deadline)
        timings["kube-apiserver"] = time.monotonic() - t

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
        procs = [p for p in reversed(list(state.get("processes", {}).values())) if self._alive(p)]
        for p in procs:
            self._stop_one(p, grace)
        left = [p["pid"] for p in procs if self._alive(p)]
        if left:
            raise ControlPlaneError(f"processes {left} did not stop")
        data_dir = state.get("etcd_data_dir")
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        state["processes"] = {}
        if procs and not quiet:
            log(f"stopped pids {[p['pid'] for p in procs]} ({self.state_dir})")
        return bool(procs)

    def _stop_one(self, proc: dict, grace: float) -> None:
        """SIGTERM to the process group, SIGKILL after `grace` seconds."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc["pgid"], signal.SIGTERM)
        self._wait_gone([proc], grace)
        if self._alive(proc):
            log(f"pid {proc['pid']} ignored SIGTERM for {grace:.0f} s, sending SIGKILL")
        # SIGKILL the group in any case: it also ends any child the leader left behind.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc["pgid"], signal.SIGKILL)
        self._wait_gone([proc], 10.0)

    def _wait_gone(self, procs: list[dict], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in procs:
                child = self._children.get(p["pid"])
                if child is not None:
                    child.poll()
            if not any(self._alive(p) for p in procs):
                return
            time.sleep(0.05)

    def stop_at_exit(self) -> None:
        """Makes sure `down` runs when this interpreter exits: atexit, and SIGTERM/SIGHUP
        handlers that stop the control plane and then re-deliver the signal. (pytest turns
        SIGINT into KeyboardInterrupt and still tears fixtures down.)"""
        atexit.register(self._down_quietly)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                previous = signal.getsignal(sig)
            except ValueError:
                continue

            def handler(signum, frame, previous=previous):
                self._down_quietly()
                if callable(previous):
                    previous(signum, frame)
                else:
                    signal.signal(signum, signal.SIG_DFL if previous is None else previous)
                    os.kill(os.getpid(), signum)

            with contextlib.suppress(ValueError):  # not the main thread
                signal.signal(sig, handler)

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


# ---- installing the Trainer objects -----------------------------------------------------


def _rbac_objects() -> list[dict]:
    rbac = "rbac.authorization.k8s.io/v1"
    read = ["get", "list", "watch"]

    def user(name: str) -> list[dict]:
        return [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": name}]

    return [
        {
            "apiVersion": rbac,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "kubeflow-test:token-admin"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": user(TOKEN_ADMIN_USER),
        },
        {
            "apiVersion": rbac,
            "kind": "Role",
            "metadata": {"name": "kubeflow-test:trainjob-viewer", "namespace": LIMITED_NAMESPACE},
            "rules": [
                {
                    "apiGroups": ["trainer.kubeflow.org"],
                    "resources": ["trainjobs", "trainingruntimes"],
                    "verbs": read,
                },
                {"apiGroups": [""], "resources": ["pods", "pods/log", "events"], "verbs": read},
                {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": read},
            ],
        },
        {
            "apiVersion": rbac,
            "kind": "RoleBinding",
            "metadata": {"name": "kubeflow-test:trainjob-viewer", "namespace": LIMITED_NAMESPACE},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "kubeflow-test:trainjob-viewer",
            },
            "subjects": user(LIMITED_USER),
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRole",
            "metadata": {"name": "kubeflow-test:clustertrainingruntime-reader"},
            "rules": [
                {
                    "apiGroups": ["trainer.kubeflow.org"],
                    "resources": ["clustertrainingruntimes"],
                    "verbs": ["get", "list"],
                }
            ],
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "kubeflow-test:clustertrainingruntime-reader"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "kubeflow-test:clustertrainingruntime-reader",
            },
            "subjects": user(LIMITED_USER),
        },
    ]


def _established(crd: dict) -> bool:
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def bootstrap(kube: KubeAdmin, manifests: Path, timings: dict[str, float], deadline: float) -> None:
    """Installs CRDs, RBAC for the token users, the shipped runtimes and the public ConfigMap."""
    t = time.monotonic()
    crds = [
        d
        for f in crd_files(manifests)
        for d in load_yaml_documents(f)
        if d.get("kind") == "CustomResourceDefinition"
    ]
    crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    # In parallel: the server spends seconds of CPU on each large schema.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(crds)) as pool:
        for future in [pool.submit(kube.apply, crd) for crd in crds]:
            future.result()
    timings["crds_posted"] = time.monotonic() - t
    log(f"applied {len(crds)} CRDs: {', '.join(c['metadata']['name'] for c in crds)}")

    for name in ("kubeflow-system", LIMITED_NAMESPACE):
        kube.create_namespace(name, exist_ok=True)
    for obj in _rbac_objects():
        kube.apply(obj)

    for crd in crds:
        name = crd["metadata"]["name"]
        try:
            kube.wait_for(
                f"{crd_path}/{name}", _established, timeout=max(1.0, deadline - time.monotonic())
            )
        except TimeoutError as e:
            raise ControlPlaneError(f"CRD {name} was not Established in time: {e}") from None
    timings["crds_established"] = time.monotonic() - t
    for crd in crds:  # Established can come before the storage (watch cache) serves lists
        spec = crd["spec"]
        version = next(v["name"] for v in spec["versions"] if v.get("storage"))
        path = f"/apis/{spec['group']}/{version}/{spec['names']['plural']}"
        while True:
            try:
                kube.request("GET", path, query={"limit": 1})
                break
            except KubeError as e:
                if e.status not in (404, 429, 503) or time.monotonic() > deadline:
                    raise ControlPlaneError(f"{path} is not served: {e}") from None
                time.sleep(0.1)
    timings["crds"] = time.monotonic() - t

    runtimes = shipped_runtimes(manifests)
    crt_path = "/apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes"
    for runtime in runtimes:
        while True:  # a just-Established CRD can take a moment to be served
            try:
                kube.apply(runtime, crt_path)
                break
            except (KubeError, KeyError) as e:
                status = getattr(e, "status", 404)
                if status not in (404, 503) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    names = sorted(r["metadata"]["name"] for r in kube.list(crt_path))
    expected = sorted(r["metadata"]["name"] for r in runtimes)
    if names != expected:
        raise ControlPlaneError(
            f"ClusterTrainingRuntimes on the server {names} != shipped {expected}"
        )
    log(f"applied {len(names)} ClusterTrainingRuntimes: {', '.join(names)}")

    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": TRAINER_PUBLIC_CONFIGMAP, "namespace": TRAINER_SYSTEM_NAMESPACE},
            "data": {"kubeflow_trainer_version": TRAINER_VERSION},
        }
    )


# ---- CLI --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state-dir",
        default=argparse.SUPPRESS,
        help=f"where certs, kubeconfigs, logs and state.json live "
        f"(default: {DEFAULT_STATE_DIR.relative_to(REPO_ROOT)} in the repository)",
    )
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.control_plane",
        parents=[common],
        description=__doc__.split("\n\n")[0],
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", parents=[common], help="start (prints the admin kubeconfig path last)")
    sub.add_parser("down", parents=[common], help="stop; a no-op when nothing runs")
    sub.add_parser(
        "status", parents=[common], help="print the state as JSON; exit 1 if not running"
    )
    args = parser.parse_args(argv)
    return run_command(ControlPlane(getattr(args, "state_dir", None)), args.command)


def run_command(cp: ControlPlane, command: str) -> int:
    """`up`, `down` or `status` on ``cp`` (a ControlPlane or the full cluster); the exit code."""
    try:
        if command == "up":
            print(cp.up().admin_kubeconfig, flush=True)
        elif command == "down":
            if not cp.down():
                log(f"nothing running in {cp.state_dir}")
        else:
            status = cp.status()
            print(json.dumps(status, indent=2))
            return 0 if status["running"] else 1
    except ControlPlaneError as e:
        log(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
