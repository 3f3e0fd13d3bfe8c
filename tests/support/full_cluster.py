"""Full test cluster: the control plane plus a real node and the controllers, so TrainJobs run.

    python -m tests.support.full_cluster up     [--state-dir DIR]   # prints admin.kubeconfig last
    python -m tests.support.full_cluster status [--state-dir DIR]
    python -m tests.support.full_cluster down   [--state-dir DIR]

On top of tests/support/control_plane.py (etcd + kube-apiserver, PKI, kubeconfigs, CRDs and the
shipped runtimes) it starts, all inside a network + mount namespace of its own (tests/support/
node.py): containerd and the kubelet (one node, bridge CNI), CoreDNS, kube-scheduler,
kube-controller-manager, the JobSet controller and the Kubeflow Trainer controller manager, whose
webhooks listen on the namespace's loopback and are registered by URL with our CA (tests/support/
controllers.py: their command lines, configurations and webhooks). A socat relay
pair makes the API server reachable at https://127.0.0.1:<port> on the host, so kubeconfigs work
unchanged. Images come from tools/cluster/images/build.sh and are imported under the exact names
the shipped torch and xgboost runtimes use. Needs root on Linux. docs/test-cluster.md has details.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

if not __package__:  # run as a plain script: import the package the module belongs to
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    __package__ = "tests.support"

from . import controllers, node
from .cli import main
from .control_plane import ClusterInfo, ControlPlane
from .harness import REPO_ROOT, ControlPlaneError, build_output_dir, log
from .kube import KubeAdmin
from .processes import alive, kill, ns_inode, pids_in_netns
from .trainer_objects import TRAINER_MANIFESTS, shipped_runtimes

CLUSTER_BUILD_SCRIPT = REPO_ROOT / "tools" / "cluster" / "build.sh"
IMAGES_BUILD_SCRIPT = REPO_ROOT / "tools" / "cluster" / "images" / "build.sh"
DEFAULT_FULL_STATE_DIR = REPO_ROOT / "build" / "cluster-full"
FULL_START_TIMEOUT = float(os.environ.get("KUBEFLOW_TEST_FULL_CLUSTER_TIMEOUT", "300"))
# Runtimes whose trainer image the training image stands in for (it has torch and xgboost).
IMAGE_RUNTIMES = ("torch-distributed", "xgboost-distributed")
NODE_PROCESSES = ("trainer", "jobset", "controller-manager", "scheduler", "coredns", "kubelet")


def runtime_images(manifests: Path = TRAINER_MANIFESTS) -> list[str]:
    """The trainer images of the runtimes in IMAGE_RUNTIMES, as the shipped manifests name them."""
    images = []
    for runtime in shipped_runtimes(manifests):
        if runtime["metadata"]["name"] not in IMAGE_RUNTIMES:
            continue
        for job in runtime["spec"]["template"]["spec"]["replicatedJobs"]:
            for c in job["template"]["spec"]["template"]["spec"]["containers"]:
                images.append(c["image"])
    return sorted(set(images))


class FullCluster(ControlPlane):
    """A ControlPlane whose processes run in namespaces of their own, plus a node and
    controllers."""

    def __init__(
        self,
        state_dir: str | os.PathLike | None = None,
        *,
        start_timeout: float = FULL_START_TIMEOUT,
        manifests: Path = TRAINER_MANIFESTS,
    ):
        super().__init__(
            state_dir or DEFAULT_FULL_STATE_DIR, start_timeout=start_timeout, manifests=manifests
        )
        self._host_side = False

    # ---- namespaces ----

    def _holder_pid(self) -> int | None:
        state = self.read_state() or {}
        holder = state.get("processes", {}).get("holder")
        return holder["pid"] if holder and alive(holder) else None

    def _wrap(self, argv: list[str]) -> list[str]:
        holder = None if self._host_side else self._holder_pid()
        return argv if holder is None else node.in_holder(holder, argv, self.state_dir)

    def _curl_in_netns(self, url: str, *extra: str) -> bool:
        holder = self._holder_pid()
        if holder is None:
            return False
        proc = subprocess.run(
            node.in_holder(
                holder,
                ["curl", "-sf", "-o", "/dev/null", "--max-time", "2", *extra, url],
                self.state_dir,
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        return proc.returncode == 0

    def _etcd_healthy(self, port: int) -> bool:  # type: ignore[override]
        return self._curl_in_netns(f"http://127.0.0.1:{port}/health")

    def _readyz(self, server: str, pki: Path) -> bool:  # type: ignore[override]
        return self._curl_in_netns(
            f"{server}/readyz",
            "--cacert",
            str(pki / "ca.crt"),
            "--cert",
            str(pki / "admin.crt"),
            "--key",
            str(pki / "admin.key"),
        )

    def _apiserver_extra_args(self, pki: Path) -> list[str]:
        return [
            f"--kubelet-client-certificate={pki / 'admin.crt'}",
            f"--kubelet-client-key={pki / 'admin.key'}",
            "--kubelet-preferred-address-types=InternalIP",
        ]

    @property
    def node_dir(self) -> Path:
        return self.state_dir / "node"

    @property
    def cgroup_root(self) -> str:
        return "kubeflow-test-" + hashlib.sha256(str(self.state_dir).encode()).hexdigest()[:12]

    # ---- start ----

    def _start(self, tie_to_parent: bool) -> ClusterInfo:
        if os.geteuid() != 0:
            raise ControlPlaneError("the full cluster needs root (namespaces, mounts, cgroups)")
        if missing := node.missing_tools():
            raise ControlPlaneError(
                f"missing Debian packages: {' '.join(missing)} "
                f"(apt-get install {' '.join(node.NODE_PACKAGES)})"
            )
        t0 = time.monotonic()
        self._cluster_bin = build_output_dir(CLUSTER_BUILD_SCRIPT)
        self._images = build_output_dir(IMAGES_BUILD_SCRIPT)
        self._build_s = time.monotonic() - t0
        super()._start(tie_to_parent)
        state = self.read_state() or {}
        state["ready"] = False
        self._write_state(state)
        timings = dict(state.get("timings_s", {}))
        timings["cluster_binaries_and_images"] = self._build_s
        self._start_node(state, tie_to_parent, timings)
        timings["full_total"] = time.monotonic() - t0
        state["ready"] = True
        state["timings_s"] = {k: round(v, 2) for k, v in timings.items()}
        self._write_state(state)
        log(
            f"full cluster ready in {timings['full_total']:.1f} s: "
            + ", ".join(
                f"{k} {timings[k]:.1f} s"
                for k in (
                    "cluster_binaries_and_images",
                    "total",
                    "containerd",
                    "images",
                    "kubelet",
                    "controllers",
                )
                if k in timings
            )
        )
        return self.info()

    def _start_processes(
        self, bin_dir: Path, pki: Path, state: dict, tie_to_parent: bool, timings: dict[str, float]
    ) -> None:
        if "holder" not in state["processes"]:
            self._start_holder(state, tie_to_parent)
        super()._start_processes(bin_dir, pki, state, tie_to_parent, timings)
        api_port = state["ports"]["apiserver"]
        sock = self.state_dir / "api.sock"
        state["processes"]["relay-in"] = self._spawn(
            "relay-in",
            [
                "socat",
                f"UNIX-LISTEN:{sock},fork,mode=600,unlink-early",
                f"TCP:127.0.0.1:{api_port},nodelay",
            ],
            tie_to_parent,
        )
        self._host_side = True
        try:
            state["processes"]["relay-host"] = self._spawn(
                "relay-host",
                [
                    "socat",
                    f"TCP-LISTEN:{api_port},bind=127.0.0.1,fork,reuseaddr,nodelay",
                    f"UNIX-CONNECT:{sock}",
                ],
                tie_to_parent,
            )
        finally:
            self._host_side = False
        self._write_state(state)
        deadline = time.monotonic() + self.start_timeout
        self._wait_ready(
            "relay-host",
            state["processes"]["relay-host"],
            lambda: ControlPlane._readyz(state["server"], pki),
            deadline,
        )

    def _start_holder(self, state: dict, tie_to_parent: bool) -> None:
        # A fresh node each time: containerd's and the kubelet's records of an older cluster
        # would only resurrect pods that etcd no longer knows.
        shutil.rmtree(self.node_dir, ignore_errors=True)
        shadow = self.node_dir / "sysctl-shadow"
        node.write_shadow_sysctls(shadow)
        script = self.node_dir / "holder.sh"
        script.write_text(node.holder_script(shadow))
        self._host_side = True
        try:
            holder = self._spawn(
                "holder",
                ["unshare", "--net", "--mount", "--propagation", "private", "bash", str(script)],
                tie_to_parent,
            )
        finally:
            self._host_side = False
        state["processes"]["holder"] = holder
        state["netns_inode"] = None
        state["cgroup_root"] = self.cgroup_root
        self._write_state(state)
        deadline = time.monotonic() + 30
        self._wait_ready(
            "holder", holder, lambda: "ready" in Path(holder["log"]).read_text(), deadline
        )
        state["netns_inode"] = ns_inode(holder["pid"])
        node.create_cgroup_root(self.cgroup_root)
        self._write_state(state)

    def _start_node(self, state: dict, tie: bool, timings: dict[str, float]) -> None:
        pki, nd, bins = self.state_dir / "pki", self.node_dir, self._cluster_bin
        admin = state["kubeconfigs"]["admin"]
        deadline = time.monotonic() + self.start_timeout
        kube = KubeAdmin(admin, timeout=30)

        t = time.monotonic()
        sandbox_image = "docker.io/kubeflow-sdk-cpp/pause:" + self._images.name.rsplit("-", 1)[-1]
        config = node.containerd_config(nd, sandbox_image)
        sock = nd / "containerd.sock"
        containerd = self._add(state, "containerd", ["containerd", "--config", str(config)], tie)
        # In the holder: unpacking mounts layers, and those mounts must stay in its namespace.
        ctr = node.in_holder(
            self._holder_pid() or 0,
            ["ctr", "--address", str(sock), "--namespace", "k8s.io"],
            self.state_dir,
        )
        self._wait_ready(
            "containerd",
            containerd,
            lambda: sock.exists() and node.run(ctr + ["version"], check=False).returncode == 0,
            deadline,
        )
        timings["containerd"] = time.monotonic() - t

        t = time.monotonic()
        self._import_images(ctr, sandbox_image)
        timings["images"] = time.monotonic() - t

        t = time.monotonic()
        kubelet = self._add(
            state,
            "kubelet",
            [
                str(bins / "kubelet"),
                f"--config={node.kubelet_config(nd, pki, self.cgroup_root)}",
                f"--kubeconfig={admin}",
                f"--root-dir={nd / 'kubelet'}",
                f"--node-ip={node.NODE_IP}",
                f"--hostname-override={node.NODE_NAME}",
                "--v=1",
            ],
            tie,
        )
        self._wait_ready("kubelet", kubelet, lambda: _node_ready(kube), deadline)
        timings["kubelet"] = time.monotonic() - t

        t = time.monotonic()
        self._add(state, "coredns", controllers.coredns(bins, nd, admin), tie)
        self._add(
            state, "controller-manager", controllers.controller_manager(bins, admin, pki), tie
        )
        self._add(state, "scheduler", controllers.scheduler(bins, admin), tie)
        self._add(state, "jobset", controllers.jobset(bins, nd, pki, admin), tie)
        self._add(state, "trainer", controllers.trainer(bins, nd, pki, admin), tie)
        for name, url in controllers.READINESS:
            self._wait_ready(
                name,
                state["processes"][name],
                lambda url=url: self._curl_in_netns(url, "-k"),
                deadline,
            )
        for doc in controllers.webhook_configurations((pki / "ca.crt").read_bytes()):
            kube.apply(doc)
        timings["controllers"] = time.monotonic() - t

    def _add(self, state: dict, name: str, argv: list[str], tie: bool) -> dict:
        proc = self._spawn(name, argv, tie)
        state["processes"][name] = proc
        self._write_state(state)
        return proc

    def _import_images(self, ctr: list[str], sandbox_image: str) -> None:
        """Imports the cached archives unless containerd already has them (its root persists)."""
        training = "docker.io/kubeflow-sdk-cpp/training:" + self._images.name.rsplit("-", 1)[-1]
        have = set(node.run(ctr + ["images", "ls", "-q"]).stdout.split())
        for name, archive in ((sandbox_image, "pause.tar"), (training, "training.tar")):
            if name not in have:
                log(f"importing {archive} into containerd")
                node.run(ctr + ["images", "import", str(self._images / archive)], timeout=600)
        for image in runtime_images(self.manifests):
            full = image if "." in image.split("/")[0] else f"docker.io/{image}"
            if full not in have:
                node.run(ctr + ["images", "tag", "--force", training, full])

    # ---- stop ----

    def _stop_processes(self, state: dict, grace: float = 10.0, quiet: bool = False) -> bool:
        procs = state.get("processes", {})
        stopped = False
        # Controllers and the kubelet first, so nothing restarts the containers killed next.
        for name in NODE_PROCESSES:
            if name in procs and alive(procs[name]):
                self.processes.stop(procs[name], grace)
                stopped = True
        if state.get("cgroup_root"):
            node.remove_cgroup_root(state["cgroup_root"])
        if "containerd" in procs and alive(procs["containerd"]):
            self.processes.stop(procs["containerd"], grace)
        if state.get("netns_inode"):  # containerd's shims: nothing else stops them
            known = {p["pid"] for p in procs.values()}
            kill(pid for pid in pids_in_netns(state["netns_inode"]) if pid not in known)
        rest = {k: v for k, v in procs.items() if k not in NODE_PROCESSES and k != "containerd"}
        stopped = super()._stop_processes({**state, "processes": rest}, grace, quiet) or stopped
        state["processes"] = {}
        # processes.stop returns once a process is a zombie: reap ours so none is left in `ps`.
        self.processes.reap()
        return stopped


def _node_ready(kube: KubeAdmin) -> bool:
    n = kube.get_or_none(f"/api/v1/nodes/{node.NODE_NAME}")
    conditions = ((n or {}).get("status") or {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


if __name__ == "__main__":
    sys.exit(main(FullCluster, DEFAULT_FULL_STATE_DIR, "tests.support.full_cluster", __doc__))
