"""The log-following scenario on the real node of the full test cluster.

The full cluster (tests/support/full_cluster.py: kubelet + containerd in namespaces of its own,
the scheduler, controllers, JobSet and the Trainer controller) runs a container that prints a
6 MB log at once and then sleeps; each SDK follows that log from its start through the real
kubelet and API server until it has all of it. So the path measured is the one users have:
containerd writes the log file, the kubelet reads and streams it, the API server proxies it.

The TrainJob is created suspended, so the Trainer controller makes no pods of its own; the
printing pod carries the labels a JobSet gives a node pod, so both SDKs find it as the job's
node 0. Needs root (the node); run by bench/suite.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.full_cluster import FullCluster, runtime_images  # noqa: E402
from tests.support.kube import KubeAdmin  # noqa: E402
from tests.support.node import NODE_NAME  # noqa: E402

TRAINER = "/apis/trainer.kubeflow.org/v1alpha1"

#: Prints ``total`` bytes of ``line_bytes``-byte lines (newline included) at once, then sleeps:
#: every follow reads the same log from its start, and no printing competes with the reader
#: for the 2 CPUs. ``total`` stays under the kubelet's log rotation size.
PRINTER = (
    "import sys, time\n"
    "size, total = int(sys.argv[1]), int(sys.argv[2])\n"
    "sys.stdout.buffer.write((b'x' * (size - 1) + b'\\n') * (total // size))\n"
    "sys.stdout.buffer.flush()\n"
    "time.sleep(1e9)\n"
)
#: The log each follow reads. On disk containerd adds a ~40-byte prefix (time, stream, tag) to
#: every line, and the kubelet rotates a file past its default containerLogMaxSize (10 MiB),
#: after which a new follow would find an empty file: 6 MB of 128-byte lines is ~7.9 MB on disk.
LOG_BYTES = 6_000_000


class RealNode:
    """A full cluster for the bench's log scenario; started on enter, stopped on exit."""

    def __init__(self, state_dir: Path) -> None:
        self.cluster = FullCluster(str(state_dir))
        self.kubeconfig = ""
        self.kube: KubeAdmin | None = None

    def __enter__(self) -> RealNode:
        self.cluster.stop_at_exit()
        info = self.cluster.up(tie_to_parent=True)
        self.kubeconfig = info.admin_kubeconfig
        self.kube = KubeAdmin(self.kubeconfig)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cluster.down()

    def start_printer(self, namespace: str, name: str, line_bytes: int) -> None:
        """A suspended TrainJob ``name`` and its node-0 pod on the real node, which prints
        LOG_BYTES of ``line_bytes``-byte lines; returns once the container runs."""
        assert self.kube is not None
        self.kube.create_namespace(namespace, exist_ok=True)
        self.kube.create(
            f"{TRAINER}/namespaces/{namespace}/trainjobs",
            {
                "apiVersion": "trainer.kubeflow.org/v1alpha1",
                "kind": "TrainJob",
                "metadata": {"name": name},
                "spec": {
                    "runtimeRef": {"name": "torch-distributed"},
                    "trainer": {"numNodes": 1},
                    "suspend": True,
                },
            },
        )
        pod = f"{name}-node-0-0"
        self.kube.create(
            f"/api/v1/namespaces/{namespace}/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": pod,
                    "labels": {
                        "jobset.sigs.k8s.io/jobset-name": name,
                        "jobset.sigs.k8s.io/replicatedjob-name": "node",
                        "jobset.sigs.k8s.io/job-index": "0",
                        "batch.kubernetes.io/job-completion-index": "0",
                    },
                },
                "spec": {
                    "nodeName": NODE_NAME,
                    "restartPolicy": "Never",
                    "terminationGracePeriodSeconds": 0,
                    "containers": [
                        {
                            "name": "node",
                            "image": runtime_images()[0],
                            "imagePullPolicy": "Never",
                            "command": ["python3", "-c", PRINTER, str(line_bytes), str(LOG_BYTES)],
                        }
                    ],
                },
            },
        )
        self.kube.wait_for(
            f"/api/v1/namespaces/{namespace}/pods/{pod}",
            lambda p: p.get("status", {}).get("phase") == "Running",
            timeout=120,
        )

    def stop_printer(self, namespace: str, name: str) -> None:
        """Deletes the printing pod and its job."""
        assert self.kube is not None
        pod = f"/api/v1/namespaces/{namespace}/pods/{name}-node-0-0"
        self.kube.delete(pod, missing_ok=True, gracePeriodSeconds=0)
        self.kube.delete(f"{TRAINER}/namespaces/{namespace}/trainjobs/{name}", missing_ok=True)
        deadline = time.monotonic() + 60
        while self.kube.get_or_none(pod) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
