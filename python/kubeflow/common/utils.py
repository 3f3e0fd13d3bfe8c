"""Helpers shared by the Kubeflow clients."""

from __future__ import annotations

import os

IN_CLUSTER_DIR = "/var/run/secrets/kubernetes.io/"


def is_running_in_k8s() -> bool:
    """True when this process runs inside a Kubernetes pod."""
    return os.path.isdir(IN_CLUSTER_DIR)


def kubeconfig_available(config_file: str | None = None) -> bool:
    """True when a kubeconfig (explicit, ``KUBECONFIG`` or ``~/.kube/config``) or an in-cluster
    service account is there to be used."""
    if config_file or is_running_in_k8s():
        return True
    paths = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    if paths:
        return any(os.path.exists(p) for p in paths)
    return os.path.exists(os.path.expanduser("~/.kube/config"))
