"""A Podman engine of the tests' own, leaving no machine-wide state.

The engine is ``podman system service`` on a unix socket in a directory of ours, started in a
network namespace and a private mount namespace of its own (``unshare --net --mount``):
- the job networks' bridges, their iptables rules, ``ip_forward`` and aardvark-dns live in that
  network namespace and vanish with it (podman's default network is never used);
- storage (``--root``/``--runroot``) and ``tmp_dir`` are tmpfs mounts of the namespace on
  directories of ours, network configs and the events log are files of ours; ``/run`` and
  ``/dev/shm`` are tmpfs mounts of the namespace, and ``/var`` is an overlay whose upper layer
  is ours (the image library writes a blob cache under ``/var/lib/containers`` whatever the
  storage root), so nothing reaches the host's;
- ``containers.conf`` (``CONTAINERS_CONF``) sets runc, cgroupfs, the file events logger and
  ulimits within the hard limits (docs/container-backend.md);
- on stop every process in the namespace is killed, and the ``libpod_parent`` cgroups podman
  made under cgroupfs are removed when they were not there before.

The image is the training image of tools/cluster/images/build.sh (Debian's python3, torch,
xgboost), loaded into the storage before the service starts and tagged with the names the
runtimes use. Standard library only.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support import processes
from tests.support.harness import REPO_ROOT, ControlPlaneError, build_output_dir

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PARENT = "libpod_parent"

_CONF = """\
[containers]
default_ulimits = ["nofile=8192:8192", "nproc=8192:8192"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{dir}/events.log"
tmp_dir = "{dir}/tmp"
static_dir = "{dir}/root/libpod"
volume_path = "{dir}/root/volumes"
image_copy_tmp_dir = "{dir}/tmp"

[network]
network_backend = "netavark"
network_config_dir = "{dir}/networks"
"""

# Runs as the first process of the new namespaces: private mounts first, then the image load
# (local podman on the same storage; faster than streaming 2 GB through the service's API), then
# the service itself (exec, so its pid is the namespace holder's).
_START = """\
set -eu
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
mount -t overlay overlay -o lowerdir=/var,upperdir="$D/var-upper",workdir="$D/var-work" /var
# The storage is a tmpfs of the namespace: loading the 2 GB image is faster, and it vanishes
# with the namespace instead of taking minutes to delete (this disk discards every freed block).
mkdir -p "$D/root" "$D/runroot"
for dir in root runroot tmp; do mount -t tmpfs tmpfs "$D/$dir"; done
ip link set lo up
P="podman --root $D/root --runroot $D/runroot"
start=$(date +%s.%N)
$P load --quiet -i "$IMAGE_ARCHIVE" >"$D/load.out"
loaded=$(sed -n 's/^Loaded image[^:]*: *//p' "$D/load.out" | head -n 1)
for tag in $IMAGE_TAGS; do $P tag "$loaded" "$tag"; done
echo "$start $(date +%s.%N)" >"$D/load.time"
exec $P system service --time=0 "unix://$D/podman.sock"
"""


def training_archive() -> Path:
    """The training image's docker-archive (built and cached by tools/cluster/images/build.sh)."""
    return build_output_dir(REPO_ROOT / "tools/cluster/images/build.sh") / "training.tar"


def _cgroups_present() -> set[Path]:
    return {p for p in CGROUP_ROOT.glob(f"*/{CGROUP_PARENT}") if p.is_dir()}


class PodmanEngine:
    """One podman service for a test session; ``url`` is what ContainerBackendConfig gets."""

    def __init__(self, image_tags: list[str]) -> None:
        if shutil.which("podman") is None or shutil.which("unshare") is None:
            raise ControlPlaneError("podman is not installed: run scripts/setup.sh")
        # A unix socket path has at most 107 bytes: a short directory of its own under /tmp.
        self.dir = Path(tempfile.mkdtemp(prefix="kf-podman-"))
        self.url = f"unix://{self.dir}/podman.sock"
        self.conf = self.dir / "containers.conf"
        self.image_tags = image_tags
        self.pid: int | None = None
        self.netns: int | None = None
        self.load_seconds = 0.0
        self._cgroups_before = _cgroups_present()
        self._process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        """The environment of a podman CLI talking to this engine."""
        return {**os.environ, "CONTAINERS_CONF": str(self.conf)}

    def podman(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``podman --url <ours> ARGS`` and return the result (not checked)."""
        return subprocess.run(
            ["podman", "--url", self.url, *args],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout,
            check=False,
        )

    def start(self, archive: Path, timeout: float = 900) -> None:
        """Start the service with the image loaded; raises ControlPlaneError with its log."""
        for sub in ("tmp", "networks", "var-upper", "var-work"):
            (self.dir / sub).mkdir()
        self.conf.write_text(_CONF.format(dir=self.dir))
        env = {
            **self.env(),
            "D": str(self.dir),
            "IMAGE_ARCHIVE": str(archive),
            "IMAGE_TAGS": " ".join(self.image_tags),
        }
        log = open(self.dir / "service.log", "wb")  # noqa: SIM115 - kept by the child
        self._process = subprocess.Popen(
            ["unshare", "--net", "--mount", "--propagation", "private", "sh", "-c", _START],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        log.close()
        self.pid = self._process.pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.netns is None and processes.ns_inode(self.pid) != processes.ns_inode(
                os.getpid()
            ):
                self.netns = processes.ns_inode(self.pid)
            if self._process.poll() is not None:
                raise ControlPlaneError(
                    "podman service exited: " + processes.tail(self.dir / "service.log")
                )
            if (self.dir / "podman.sock").exists() and self.podman("version").returncode == 0:
                start, end = (self.dir / "load.time").read_text().split()
                self.load_seconds = float(end) - float(start)
                return
            time.sleep(0.2)
        raise ControlPlaneError("podman service did not answer within the start timeout")

    def stop(self) -> None:
        """Remove every container and network, stop the service and every process of its
        namespace, remove the cgroups it made and its directory."""
        if self._process is not None and self._process.poll() is None:
            self.podman("rm", "--all", "--force", "--time", "0")
            self.podman("network", "prune", "--force")
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self.netns is not None:
            # conmon and aardvark-dns are not the service's children once they daemonize.
            for _ in range(50):
                left = processes.pids_in_netns(self.netns)
                if not left:
                    break
                processes.kill(left)
                time.sleep(0.1)
            # Once the namespace is gone its inode may name another one: never scan it again.
            self.netns = None
        for made in _cgroups_present() - self._cgroups_before:
            for path in sorted(made.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                if path.is_dir():
                    _rmdir_cgroup(path)
            _rmdir_cgroup(made)
        shutil.rmtree(self.dir, ignore_errors=True)


def _rmdir_cgroup(path: Path) -> None:
    """Remove an emptied cgroup. A killed conmon stays in it as a zombie until init reaps it
    (it daemonized): EBUSY for a moment, so retry for a bounded time, then raise."""
    for _ in range(100):
        try:
            path.rmdir()
            return
        except OSError as error:
            if error.errno != errno.EBUSY:
                raise
            time.sleep(0.1)
    path.rmdir()


def _run_text(argv: list[str]) -> str:
    proc = subprocess.run(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    return f"exit {proc.returncode}\n{proc.stdout}"


def host_state() -> dict[str, object]:
    """What an engine could change on the host, normalized (traffic counters dropped): links,
    addresses, routes, iptables rules, mounts, ip_forward, podman's locks in /dev/shm, the
    engines' default directories and the cgroups podman makes."""
    mounts = sorted(
        {
            " ".join((f[4], f[f.index("-") + 1], f[f.index("-") + 2]))
            for f in (
                line.split() for line in Path("/proc/self/mountinfo").read_text().splitlines()
            )
        }
    )
    defaults = (
        "/var/lib/containers",
        "/run/containers",
        "/run/libpod",
        "/run/netns",
        "/run/podman",
        "/etc/containers/networks",
        "/etc/cni/net.d",
        "/var/lib/cni",
    )
    return {
        "ip link": _run_text(["ip", "-o", "link", "show"]),
        "ip addr": _run_text(["ip", "-o", "addr", "show"]),
        "ip route": _run_text(["ip", "route", "show", "table", "all"]),
        "iptables-save": "\n".join(
            line
            for line in _run_text(["iptables-save"]).splitlines()
            if not line.startswith("#") and not line.startswith(":")
        ),
        "mounts": mounts,
        "ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text().strip(),
        # podman's shared-memory locks; other programs' files there are not ours to compare.
        "/dev/shm": sorted(p.name for p in Path("/dev/shm").glob("libpod*")),
        "default dirs": {
            d: sorted(str(p) for p in Path(d).rglob("*")) if Path(d).exists() else None
            for d in defaults
        },
        "cgroups": sorted(str(p) for p in _cgroups_present()),
    }
