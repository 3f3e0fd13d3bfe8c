"""The node of the full test cluster: namespaces, containerd, CNI, the kubelet and CoreDNS.

Everything runs inside one network namespace and one private mount namespace that a "holder"
process creates (``unshare --net --mount``): the host's network, sysctls, iptables and mount
table stay as they were. Inside, the holder

* shadows the three kernel tunables the kubelet insists on (it only reads them, because
  ``protectKernelDefaults`` is on) with bind mounts of files holding the values it expects;
* mounts private tmpfs over ``/run``, ``/var/lib`` and ``/var/log``, so sockets, runc state, the
  CNI cache and the kubelet's log links never reach the host's directories;
* owns a veth pair (the node IP; this kernel has no ``dummy`` links) and the pod bridge.

Pods live in cgroups under one root of ours (``/<cgroup_root>`` in every hierarchy), so the
harness can find and stop every container process and remove every cgroup on ``down``, also
after a crash. See docs/test-cluster.md.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from pathlib import Path

from .processes import kill

NODE_NAME = "kubeflow-test-node"
NODE_CIDR = "10.243.0.0/24"
NODE_IP = "10.243.0.2"
POD_SUBNET = "10.244.0.0/24"
POD_GATEWAY = "10.244.0.1"
BRIDGE = "kft0"
CLUSTER_DOMAIN = "cluster.local"
CNI_PLUGINS = ("bridge", "host-local", "loopback")
CNI_PLUGIN_DIRS = (Path("/usr/lib/cni"), Path("/opt/cni/bin"))
CGROUP_FS = Path("/sys/fs/cgroup")
# What the kubelet checks (with protectKernelDefaults) and this machine may not have.
SHADOWED_SYSCTLS = {"vm/overcommit_memory": "1", "kernel/panic": "10", "kernel/panic_on_oops": "1"}
NODE_PACKAGES = (
    "containerd",
    "runc",
    "socat",
    "containernetworking-plugins",
    "mmdebstrap",
    "iproute2",
)


class NodeError(RuntimeError):
    """The node could not be set up."""


def missing_tools() -> list[str]:
    """Debian packages the node needs that are not installed."""
    missing = []
    for tool, package in (
        ("containerd", "containerd"),
        ("runc", "runc"),
        ("socat", "socat"),
        ("nsenter", "util-linux"),
        ("ip", "iproute2"),
        ("mmdebstrap", "mmdebstrap"),
    ):
        if shutil.which(tool) is None:
            missing.append(package)
    if not any((d / "bridge").exists() for d in CNI_PLUGIN_DIRS):
        missing.append("containernetworking-plugins")
    return missing


def run(argv: list[str], *, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise NodeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}")
    return proc


# ---- the holder: namespaces, shadowed sysctls, private /run ----------------------------------


def holder_script(shadow_dir: Path) -> str:
    """Shell run by ``unshare --net --mount``: prepares the namespaces, then sleeps forever."""
    lines = [
        "set -e",
        "mount --make-rprivate /",
        "mount -t tmpfs -o mode=755 kubeflow-test-run /run",
        "mount -t tmpfs -o mode=755 kubeflow-test-varlib /var/lib",
        # The kubelet links every container log into /var/log/containers, whatever podLogsDir.
        "mount -t tmpfs -o mode=755 kubeflow-test-varlog /var/log",
    ]
    for name in SHADOWED_SYSCTLS:
        lines.append(f"mount --bind {shadow_dir / name.replace('/', '.')} /proc/sys/{name}")
    lines += [
        "ip link set lo up",
        # The node IP: a veth pair kept inside the namespace.
        "ip link add kft-node type veth peer name kft-peer",
        f"ip addr add {NODE_IP}/24 dev kft-node",
        "ip link set kft-node up",
        "ip link set kft-peer up",
        # The pod bridge exists before the first pod, so CoreDNS can bind its gateway IP.
        f"ip link add {BRIDGE} type bridge",
        f"ip addr add {POD_GATEWAY}/24 dev {BRIDGE}",
        f"ip link set {BRIDGE} up",
        "echo ready",
        "exec sleep infinity",
    ]
    return "\n".join(lines) + "\n"


def write_shadow_sysctls(shadow_dir: Path) -> None:
    shadow_dir.mkdir(parents=True, exist_ok=True)
    for name, value in SHADOWED_SYSCTLS.items():
        (shadow_dir / name.replace("/", ".")).write_text(value + "\n")


def in_holder(holder_pid: int, argv: list[str], wd: Path) -> list[str]:
    """``argv`` run inside the holder's network and mount namespaces (nsenter, not
    ``ip netns exec``, which would remount /sys and hide the cgroup hierarchies)."""
    return ["nsenter", "-t", str(holder_pid), "-n", "-m", f"--wd={wd}", "--", *argv]


# ---- cgroups ---------------------------------------------------------------------------------


def cgroup_dirs(root: str) -> list[Path]:
    """``/<root>`` in every mounted hierarchy (v1 controllers and the unified one)."""
    dirs = []
    if CGROUP_FS.is_dir():
        for hierarchy in sorted(CGROUP_FS.iterdir()):
            if hierarchy.is_dir() and (hierarchy / "cgroup.procs").exists():
                dirs.append(hierarchy / root)
    return dirs


def create_cgroup_root(root: str) -> None:
    for d in cgroup_dirs(root):
        d.mkdir(exist_ok=True)
        if d.parent.name == "cpuset":  # a new cpuset cgroup starts with no cpus and no mems
            for f in ("cpuset.cpus", "cpuset.mems"):
                (d / f).write_text((d.parent / f).read_text())


def cgroup_pids(root: str) -> set[int]:
    pids: set[int] = set()
    for d in cgroup_dirs(root):
        if d.is_dir():
            for procs in d.rglob("cgroup.procs"):
                with contextlib.suppress(OSError, ValueError):
                    pids.update(int(p) for p in procs.read_text().split())
    return pids


def remove_cgroup_root(root: str, timeout: float = 20.0) -> None:
    """SIGKILLs every process in the tree and removes the cgroups, deepest first."""
    deadline = time.monotonic() + timeout
    while pids := cgroup_pids(root):
        kill(pids)
        if time.monotonic() > deadline:
            raise NodeError(f"processes {sorted(pids)} in cgroup /{root} did not stop")
        time.sleep(0.1)
    for d in cgroup_dirs(root):
        if not d.is_dir():
            continue
        for sub in sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            with contextlib.suppress(FileNotFoundError):
                _rmdir_retrying(sub, deadline)
        _rmdir_retrying(d, deadline)


def _rmdir_retrying(d: Path, deadline: float) -> None:
    while True:  # a cgroup is busy for a moment after its last process exits
        try:
            d.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# ---- configuration files ---------------------------------------------------------------------


def cni_setup(node_dir: Path) -> tuple[Path, Path]:
    """A bin dir of symlinks to Debian's plugins (containerd 1.6 takes one dir) and a conflist."""
    bin_dir, conf_dir = node_dir / "cni-bin", node_dir / "cni-conf"
    shutil.rmtree(bin_dir, ignore_errors=True)
    bin_dir.mkdir(parents=True)
    conf_dir.mkdir(parents=True, exist_ok=True)
    for plugin in CNI_PLUGINS:
        source = next((d / plugin for d in CNI_PLUGIN_DIRS if (d / plugin).exists()), None)
        if source is None:
            raise NodeError(
                f"CNI plugin {plugin} not found (apt-get install containernetworking-plugins)"
            )
        (bin_dir / plugin).symlink_to(source)
    conflist = {
        "cniVersion": "1.0.0",
        "name": "kubeflow-test",
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "dataDir": str(node_dir / "cni-ipam"),
                    "ranges": [[{"subnet": POD_SUBNET, "gateway": POD_GATEWAY}]],
                },
            },
            {"type": "loopback"},
        ],
    }
    (conf_dir / "10-kubeflow-test.conflist").write_text(json.dumps(conflist, indent=2))
    return bin_dir, conf_dir


def containerd_config(node_dir: Path, sandbox_image: str) -> Path:
    cni_bin, cni_conf = cni_setup(node_dir)
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    text = f"""version = 2
root = "{node_dir / "containerd-root"}"
state = "{node_dir / "containerd-state"}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "{node_dir / "containerd.sock"}"

[plugins."io.containerd.internal.v1.opt"]
  path = "{node_dir / "containerd-opt"}"

[{cri}]
  sandbox_image = "{sandbox_image}"
  disable_hugetlb_controller = true
  tolerate_missing_hugetlb_controller = true
  disable_apparmor = true
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  [{cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [{cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [{cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
  [{cri}.cni]
    bin_dir = "{cni_bin}"
    conf_dir = "{cni_conf}"
"""
    path = node_dir / "containerd.toml"
    path.write_text(text)
    return path


def kubelet_config(node_dir: Path, pki: Path, cgroup_root: str) -> Path:
    (node_dir / "resolv.conf").write_text(f"search {CLUSTER_DOMAIN}\n")
    config = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": NODE_IP,
        "port": 10250,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "containerRuntimeEndpoint": f"unix://{node_dir / 'containerd.sock'}",
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": f"/{cgroup_root}",
        "failCgroupV1": False,
        "failSwapOn": False,
        "protectKernelDefaults": True,
        "makeIPTablesUtilChains": False,
        # The images cannot be pulled again: never collect them.
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        # A failing training container restarts after 1 s instead of 10 s doubling to 5 min:
        # JobSet's pods restart OnFailure, so the Job's backoffLimit of 6 would otherwise keep a
        # failing TrainJob (and its test) waiting about 6 minutes (KubeletCrashLoopBackOffMax).
        "crashLoopBackOff": {"maxContainerRestartPeriod": "1s"},
        "evictionHard": {
            "memory.available": "1Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        "rotateCertificates": False,
        "serverTLSBootstrap": False,
        "podLogsDir": str(node_dir / "pod-logs"),
        "clusterDNS": [POD_GATEWAY],
        "clusterDomain": CLUSTER_DOMAIN,
        "resolvConf": str(node_dir / "resolv.conf"),
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": False},
            "x509": {"clientCAFile": str(pki / "client-ca.crt")},
        },
        "authorization": {"mode": "AlwaysAllow"},
        "registerNode": True,
        "maxPods": 110,
        "nodeStatusUpdateFrequency": "2s",
        "syncFrequency": "5s",
    }
    path = node_dir / "kubelet.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def corefile(node_dir: Path, kubeconfig: str, health_port: int) -> Path:
    text = f""".:53 {{
    bind {POD_GATEWAY}
    errors
    ready 127.0.0.1:{health_port}
    kubernetes {CLUSTER_DOMAIN} {{
        kubeconfig {kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
    cache 5
}}
"""
    path = node_dir / "Corefile"
    path.write_text(text)
    return path
