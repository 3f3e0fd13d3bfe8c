"""Who may use a test cluster: the users, their credentials and kubeconfigs, and their RBAC.

* the admin: client certificate (pki.py), group system:masters;
* the token admin: bearer token, bound to cluster-admin;
* the limited user: bearer token, may read TrainJobs, runtimes, pods, logs and events in
  LIMITED_NAMESPACE and ClusterTrainingRuntimes, nothing else.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import yaml

from .pki import write_private

CLUSTER_NAME = "kubeflow-test"
ADMIN_CERT_USER = "kubeflow-test-admin"
TOKEN_ADMIN_USER = "kubeflow-test-token-admin"
LIMITED_USER = "kubeflow-test-limited"
LIMITED_NAMESPACE = "limited"


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


def write_token_file(path: Path) -> dict[str, str]:
    """A fresh bearer token for the token admin and the limited user, written as the API
    server's --token-auth-file; returns them as {"admin": ..., "limited": ...}."""
    tokens = {"admin": secrets.token_hex(24), "limited": secrets.token_hex(24)}
    write_private(
        path,
        f"{tokens['admin']},{TOKEN_ADMIN_USER},uid-{TOKEN_ADMIN_USER}\n"
        f"{tokens['limited']},{LIMITED_USER},uid-{LIMITED_USER}\n",
    )
    return tokens


def write_kubeconfigs(
    state_dir: Path, server: str, pki: Path, tokens: dict[str, str]
) -> dict[str, str]:
    """admin.kubeconfig, token.kubeconfig and limited.kubeconfig in `state_dir` (0600);
    returns their paths by name."""
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
        "token": _kubeconfig(server, ca, TOKEN_ADMIN_USER, {"token": tokens["admin"]}, "default"),
        "limited": _kubeconfig(
            server, ca, LIMITED_USER, {"token": tokens["limited"]}, LIMITED_NAMESPACE
        ),
    }
    paths = {}
    for name, config in kubeconfigs.items():
        path = state_dir / f"{name}.kubeconfig"
        write_private(path, yaml.safe_dump(config, sort_keys=False))
        paths[name] = str(path)
    return paths


def rbac_objects() -> list[dict]:
    """cluster-admin for the token admin; for the limited user: read TrainJobs,
    TrainingRuntimes, pods, logs and events in LIMITED_NAMESPACE, and ClusterTrainingRuntimes."""
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
