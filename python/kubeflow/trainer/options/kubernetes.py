"""Options that only the Kubernetes backend accepts.

Each option is a dataclass whose value ``TrainerClient.train(options=[...])`` reads (see
``kubeflow.trainer.options._parts``). Called as ``option(job_spec, trainer, backend)``, as upstream
does, it edits ``job_spec``, the TrainJob being built as a nested dict in Kubernetes (camelCase)
form, in place.

This module holds the simple options; the runtime-patch tree (``RuntimePatch`` and its parts)
lives in ``kubeflow.trainer.options.runtime_patch`` and is re-exported here, so both import paths
work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.options._backend import _require_kubernetes
from kubeflow.trainer.options._parts import Option, RequestParts
from kubeflow.trainer.options.runtime_patch import (
    ContainerPatch,
    JobSetSpecPatch,
    JobSetTemplatePatch,
    JobSpecPatch,
    JobTemplatePatch,
    PodSpecPatch,
    PodTemplatePatch,
    ReplicatedJobPatch,
    RuntimePatch,
    TrainingRuntimeSpecPatch,
)
from kubeflow.trainer.types.types import CustomTrainerContainer

__all__ = [
    "ActiveDeadlineSeconds",
    "Annotations",
    "ContainerPatch",
    "JobSetSpecPatch",
    "JobSetTemplatePatch",
    "JobSpecPatch",
    "JobTemplatePatch",
    "Labels",
    "PodSpecPatch",
    "PodTemplatePatch",
    "ReplicatedJobPatch",
    "RuntimePatch",
    "TrainerArgs",
    "TrainerCommand",
    "TrainingRuntimeSpecPatch",
]


#: Values that cross into the core as JSON; whether they are strings is the core's rule
#: (validate_job_request names the key: ``metadata.labels["team"]``).
_JSON_SCALARS = (str, int, float, bool, type(None))


def _require_str_dict(value: Any, option: str, field_name: str) -> None:
    # String keys: the binding would silently turn a key such as 1 into "1".
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, _JSON_SCALARS) for k, v in value.items()
    ):
        raise ValidationError(
            f"{option} expects a dict of strings to strings, got {value!r}", field=field_name
        )


def _require_str_list(value: Any, option: str, field_name: str) -> None:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValidationError(
            f"{option} expects a list of strings, got {value!r}", field=field_name
        )


@dataclass
class Labels(Option):
    """Add labels to the TrainJob's metadata.

    Using ``Labels`` twice merges the dicts (a later value wins for the same key); upstream keeps
    only the last one.

    Args:
        labels: Label keys and values, e.g. ``{"kueue.x-k8s.io/queue-name": "team-a"}``.
    """

    labels: dict[str, str]

    def __post_init__(self) -> None:
        _require_str_dict(self.labels, "Labels", "labels")

    def _contribute(self, parts: RequestParts, trainer: Any, backend: Any) -> None:
        _require_kubernetes("Labels", backend)
        parts.labels.update(self.labels)


@dataclass
class Annotations(Option):
    """Add annotations to the TrainJob's metadata.

    Using ``Annotations`` twice merges the dicts (a later value wins for the same key); upstream
    keeps only the last one.

    Args:
        annotations: Annotation keys and values.
    """

    annotations: dict[str, str]

    def __post_init__(self) -> None:
        _require_str_dict(self.annotations, "Annotations", "annotations")

    def _contribute(self, parts: RequestParts, trainer: Any, backend: Any) -> None:
        _require_kubernetes("Annotations", backend)
        parts.annotations.update(self.annotations)


@dataclass
class ActiveDeadlineSeconds(Option):
    """Fail the TrainJob when it runs longer than ``seconds`` (``spec.activeDeadlineSeconds``).

    Args:
        seconds: The deadline in seconds, an ``int`` of at least 1 (``bool`` is rejected).

    Raises:
        ValueError: ``seconds`` is not an int or is less than 1.
    """

    seconds: int

    def __post_init__(self) -> None:
        if type(self.seconds) is not int or self.seconds < 1:
            raise ValidationError(
                "activeDeadlineSeconds must be a positive integer (minimum 1)",
                field="seconds",
                hint=f"got {self.seconds!r}",
            )
        if self.seconds > 2**63 - 1:  # the CRD field is an int64
            raise ValidationError(
                "activeDeadlineSeconds is too large (at most 2**63-1)",
                field="seconds",
                hint=f"got {self.seconds!r}",
            )

    def _contribute(self, parts: RequestParts, trainer: Any, backend: Any) -> None:
        _require_kubernetes("ActiveDeadlineSeconds", backend)
        parts.active_deadline_seconds = self.seconds


def _require_container_trainer(option: str, what: str, trainer: Any) -> None:
    if trainer is not None and not isinstance(trainer, CustomTrainerContainer):
        raise ValidationError(
            f"{option} can only be used with CustomTrainerContainer. CustomTrainer builds its "
            f"own {what} from the function, and BuiltinTrainer's {what} come from its config.",
            hint=f"use CustomTrainerContainer(image=...) or drop {option}",
        )


def _require_trainer_override(option: str, key: str, trainer: Any, backend: Any) -> None:
    """The backend and trainer checks shared by TrainerCommand and TrainerArgs."""
    _require_kubernetes(option, backend)
    _require_container_trainer(option, key, trainer)


@dataclass
class TrainerCommand(Option):
    """Override the trainer container's command (``spec.trainer.command``).

    Only for ``CustomTrainerContainer`` or when no trainer is given.

    Args:
        command: The command, e.g. ``["python", "train.py"]``.
    """

    command: list[str]

    def __post_init__(self) -> None:
        _require_str_list(self.command, "TrainerCommand", "command")

    def _contribute(self, parts: RequestParts, trainer: Any, backend: Any) -> None:
        _require_trainer_override("TrainerCommand", "command", trainer, backend)
        parts.trainer_command = list(self.command)


@dataclass
class TrainerArgs(Option):
    """Override the trainer container's arguments (``spec.trainer.args``).

    Only for ``CustomTrainerContainer`` or when no trainer is given.

    Args:
        args: The arguments, e.g. ``["--epochs", "10"]``.
    """

    args: list[str]

    def __post_init__(self) -> None:
        _require_str_list(self.args, "TrainerArgs", "args")

    def _contribute(self, parts: RequestParts, trainer: Any, backend: Any) -> None:
        _require_trainer_override("TrainerArgs", "args", trainer, backend)
        parts.trainer_args = list(self.args)
