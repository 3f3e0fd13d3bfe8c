"""Backend configuration shared by the Kubeflow clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional


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

    namespace: Optional[str] = None
    config_file: Optional[str] = None
    context: Optional[str] = None
    client_configuration: Optional[Any] = None
