"""The controllers of the full test cluster: the command lines and configuration files of CoreDNS,
kube-controller-manager, kube-scheduler, JobSet and the Trainer controller manager, the URLs that
tell they are ready, and their webhook configurations, registered by URL with our CA.

Everything listens on the loopback of the cluster's network namespace, on the fixed PORTS.
JobSet's and Trainer's own certificate management is off: their webhooks serve the API server's
certificate (SAN 127.0.0.1, signed by our CA).
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import yaml

from . import node
from .harness import ControlPlaneError
from .kube import load_yaml_documents
from .trainer_objects import TRAINER_MANIFESTS

# Fixed ports are fine: they are inside the cluster's own network namespace.
PORTS = {
    "scheduler": 10259,
    "controller-manager": 10257,
    "coredns-ready": 8181,
    "jobset-health": 8091,
    "jobset-webhook": 9443,
    "trainer-health": 8092,
    "trainer-webhook": 9444,
}
WEBHOOK_MANIFESTS = TRAINER_MANIFESTS / "webhooks"


def coredns(bins: Path, node_dir: Path, kubeconfig: str) -> list[str]:
    """CoreDNS on the pod bridge's IP (the kubelet's clusterDNS)."""
    corefile = node.corefile(node_dir, kubeconfig, PORTS["coredns-ready"])
    return [str(bins / "coredns"), "-conf", str(corefile)]


def controller_manager(bins: Path, kubeconfig: str, pki: Path) -> list[str]:
    """kube-controller-manager with every controller but node IPAM (the CNI assigns IPs)."""
    return [
        str(bins / "kube-controller-manager"),
        f"--kubeconfig={kubeconfig}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--secure-port={PORTS['controller-manager']}",
        f"--service-account-private-key-file={pki / 'sa.key'}",
        f"--root-ca-file={pki / 'ca.crt'}",
        "--use-service-account-credentials=false",
        "--controllers=*,-nodeipam",
    ]


def scheduler(bins: Path, kubeconfig: str) -> list[str]:
    """kube-scheduler."""
    return [
        str(bins / "kube-scheduler"),
        f"--kubeconfig={kubeconfig}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--secure-port={PORTS['scheduler']}",
    ]


def _webhook_certs(pki: Path, cert_dir: Path) -> None:
    # The API server's serving cert has SAN 127.0.0.1 and is signed by our CA: reuse it.
    cert_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(pki / "apiserver.crt", cert_dir / "tls.crt")
    shutil.copy(pki / "apiserver.key", cert_dir / "tls.key")


def _manager_config(api_version: str, cert_key: str, webhook: dict, health: str) -> dict:
    """A controller-runtime manager Configuration: no leader election, no metrics, no
    certificate management of its own."""
    return {
        "apiVersion": api_version,
        "kind": "Configuration",
        "leaderElection": {"leaderElect": False},
        cert_key: {"enable": False},
        "webhook": webhook,
        "health": {"healthProbeBindAddress": f"127.0.0.1:{PORTS[health]}"},
        "metrics": {"bindAddress": "0"},
    }


def jobset(bins: Path, node_dir: Path, pki: Path, kubeconfig: str) -> list[str]:
    """The JobSet controller; writes its configuration and certificates under `node_dir`."""
    cert_dir = node_dir / "jobset-certs"
    _webhook_certs(pki, cert_dir)
    config = _manager_config(
        "config.jobset.x-k8s.io/v1alpha1",
        "internalCertManagement",
        {"port": PORTS["jobset-webhook"], "host": "127.0.0.1", "certDir": str(cert_dir)},
        "jobset-health",
    )
    path = node_dir / "jobset.yaml"
    path.write_text(yaml.safe_dump(config))
    return [str(bins / "jobset"), f"--config={path}", f"--kubeconfig={kubeconfig}"]


def trainer(bins: Path, node_dir: Path, pki: Path, kubeconfig: str) -> list[str]:
    """The Trainer controller manager; writes its configuration and certificates under
    `node_dir`."""
    # No certDir field: controller-runtime reads $TMPDIR/k8s-webhook-server/serving-certs.
    tmp = node_dir / "trainer-tmp"
    _webhook_certs(pki, tmp / "k8s-webhook-server" / "serving-certs")
    config = _manager_config(
        "config.trainer.kubeflow.org/v1alpha1",
        "certManagement",
        {"port": PORTS["trainer-webhook"], "host": "127.0.0.1"},
        "trainer-health",
    )
    path = node_dir / "trainer.yaml"
    path.write_text(yaml.safe_dump(config))
    return [
        "env",
        f"TMPDIR={tmp}",
        str(bins / "trainer-controller-manager"),
        f"--config={path}",
        f"--kubeconfig={kubeconfig}",
    ]


#: (process name, URL that answers 2xx once it is ready), polled inside the namespace.
READINESS = (
    ("coredns", f"http://127.0.0.1:{PORTS['coredns-ready']}/ready"),
    ("controller-manager", f"https://127.0.0.1:{PORTS['controller-manager']}/healthz"),
    ("scheduler", f"https://127.0.0.1:{PORTS['scheduler']}/healthz"),
    ("jobset", f"http://127.0.0.1:{PORTS['jobset-health']}/readyz"),
    ("trainer", f"http://127.0.0.1:{PORTS['trainer-health']}/readyz"),
)


def url_webhooks(
    path: Path, patches: list[Path], base_url: str, ca: bytes, prefix: str
) -> list[dict]:
    """The vendored webhook configurations with each service reference replaced by a URL."""
    docs = [d for d in load_yaml_documents(path) if d]
    for patch_file in patches:  # kustomize JSON6902 patches: "replace /webhooks/N" only
        kind = "Mutating" if "mutating" in patch_file.name else "Validating"
        doc = next(d for d in docs if d["kind"] == f"{kind}WebhookConfiguration")
        for op in yaml.safe_load(patch_file.read_text()):
            if op["op"] != "replace" or not op["path"].startswith("/webhooks/"):
                raise ControlPlaneError(
                    f"unsupported patch {op['op']} {op['path']} in {patch_file}"
                )
            doc["webhooks"][int(op["path"].rsplit("/", 1)[1])] = op["value"]
    for doc in docs:
        doc["metadata"] = {"name": f"{prefix}-{doc['metadata']['name']}"}
        for hook in doc["webhooks"]:
            service_path = hook["clientConfig"]["service"]["path"]
            hook["clientConfig"] = {
                "url": base_url + service_path,
                "caBundle": base64.b64encode(ca).decode(),
            }
    return docs


def webhook_configurations(ca: bytes) -> list[dict]:
    """JobSet's (with the vendored patches) and Trainer's webhook configurations, by URL."""
    return url_webhooks(
        WEBHOOK_MANIFESTS / "jobset.yaml",
        sorted((WEBHOOK_MANIFESTS / "jobset-patches").glob("*.yaml")),
        f"https://127.0.0.1:{PORTS['jobset-webhook']}",
        ca,
        "jobset",
    ) + url_webhooks(
        WEBHOOK_MANIFESTS / "trainer.yaml",
        [],
        f"https://127.0.0.1:{PORTS['trainer-webhook']}",
        ca,
        "trainer",
    )
