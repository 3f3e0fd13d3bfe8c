"""Backend configuration shared by the Kubeflow clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class KubernetesBackendConfig:
    """How to reach the Kubernetes cluster.

    Args:
        namespace: Namespace for TrainJobs; by default the kubeconfig context's namespace, the
            pod's service-account namespace when running in a cluster, else ``"default"``.
        config_file: kubeconfig path; when set it is used even inside a cluster.
        context: kubeconfig context; by default the current context.
        client_configuration: a ``kubernetes.client.Configuration``-like object (``host``,
            ``api_key``, ``ssl_ca_cert``, ``cert_file``, ``key_file``, ``verify_ssl``); when
            set, no kubeconfig is read.
    """

    namespace: str | None = None
    config_file: str | None = None
    context: str | None = None
    client_configuration: Any | None = None
