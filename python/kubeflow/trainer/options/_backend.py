"""The backend check shared by the Kubernetes-only options.

It goes by class name over the backend's MRO instead of ``isinstance``, so that importing the
options never imports the Kubernetes backend (and its compiled extension).
"""

from __future__ import annotations

from typing import Any

from kubeflow.trainer.errors import ValidationError

_KUBERNETES_BACKEND = "KubernetesBackend"


def _is_kubernetes_backend(backend: Any) -> bool:
    """True when ``backend`` is (or claims through ``__class__`` to be) a KubernetesBackend."""
    classes: list[type] = list(type(backend).__mro__)
    declared = getattr(backend, "__class__", None)
    if isinstance(declared, type):
        classes.extend(declared.__mro__)
    return any(cls.__name__ == _KUBERNETES_BACKEND for cls in classes)


def _require_kubernetes(option: str, backend: Any) -> None:
    if not _is_kubernetes_backend(backend):
        raise ValidationError(
            f"{option} option is not compatible with {type(backend).__name__}. "
            f"Supported backends: {_KUBERNETES_BACKEND}",
            hint=f"remove {option} from options, or use TrainerClient(KubernetesBackendConfig())",
        )
