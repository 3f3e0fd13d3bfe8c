"""Options every backend accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.options._parts import Option, RequestParts


@dataclass
class Name(Option):
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

    def _contribute(self, parts: RequestParts, trainer: Any, backend: Any) -> None:
        parts.name = self.name
