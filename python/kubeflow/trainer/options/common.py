"""Options every backend accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubeflow.trainer.errors import ValidationError


@dataclass
class Name:
    """Set the TrainJob name instead of a generated one.

    Works with every backend. The name is not checked here; the backend (or the Kubernetes API
    server) decides whether it is acceptable.

    Args:
        name: The TrainJob name.
    """

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise ValidationError(
                f"Name must be a string, got {type(self.name).__name__}",
                field="name",
            )

    def __call__(self, job_spec: dict[str, Any], trainer: Any, backend: Any) -> None:
        """Write ``metadata.name`` into ``job_spec``.

        Args:
            job_spec: The TrainJob being built, as a nested dict; changed in place.
            trainer: The trainer passed to ``train`` (unused).
            backend: The backend running ``train`` (any backend).
        """
        job_spec.setdefault("metadata", {})["name"] = self.name
