"""The one place where the core's value types and the public dataclasses meet."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from kubeflow.trainer import _core
from kubeflow.trainer.constants import constants
from kubeflow.trainer.types import types

_COMMANDS = {
    _core.Launcher.torchtune: constants.TORCH_TUNE_COMMAND,
    _core.Launcher.torchrun: constants.TORCH_COMMAND,
    _core.Launcher.mpirun: constants.MPI_COMMAND,
    _core.Launcher.python: constants.DEFAULT_COMMAND,
}

# Where a Runtime from the core keeps the core's launcher: an instance attribute outside the
# dataclass fields, so the public fields, repr, == and asdict() stay upstream's (deepcopy keeps it).
_LAUNCHER_ATTRIBUTE = "_kubeflow_launcher"


def runtime_from_info(info: Any) -> types.Runtime:
    """A ``Runtime`` from the core's ``RuntimeInfo``, carrying the core's launcher."""
    trainer = types.RuntimeTrainer(
        trainer_type=types.TrainerType(info.trainer_type),
        framework=info.framework,
        image=info.image,
        num_nodes=info.num_nodes,
        device=info.device,
        device_count=info.device_count,
    )
    trainer.set_command(_COMMANDS[info.launcher])
    runtime = types.Runtime(name=info.name, trainer=trainer, kind=types.RuntimeKind(info.kind))
    vars(runtime)[_LAUNCHER_ATTRIBUTE] = info.launcher
    return runtime


def launcher(runtime: types.Runtime) -> Any:
    """The ``_core.Launcher`` of ``runtime``.

    A runtime the core returned (get_runtime, list_runtimes, a TrainJob's runtime) carries the
    launcher the core parsed from its ML policy. Only a ``Runtime`` built by hand has none; this
    is the one place its launcher is derived from its command, with upstream's reading:
    ``tune run`` is torchtune, a leading ``mpirun`` is mpirun, any ``torchrun`` is torchrun,
    anything else is python.
    """
    known = vars(runtime).get(_LAUNCHER_ATTRIBUTE)
    if known is not None:
        return known
    command = tuple(runtime.trainer.command or ())
    if command[:2] == constants.TORCH_TUNE_COMMAND:
        return _core.Launcher.torchtune
    if command and command[0] == "mpirun":
        return _core.Launcher.mpirun
    if any("torchrun" in part for part in command):
        return _core.Launcher.torchrun
    return _core.Launcher.python


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp from the API server as an aware ``datetime`` (UTC)."""
    if not text:
        return datetime.now(timezone.utc)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def step_from_info(info: Any) -> types.Step:
    """A ``Step`` from the core's ``StepInfo``."""
    return types.Step(
        name=info.name,
        status=info.status,
        pod_name=info.pod_name,
        device=info.device,
        device_count=info.device_count,
        waiting_reason=info.waiting_reason,
        waiting_message=info.waiting_message,
    )


def job_from_info(info: Any) -> types.TrainJob:
    """A ``TrainJob`` from the core's ``TrainJobInfo``."""
    return types.TrainJob(
        name=info.name,
        runtime=runtime_from_info(info.runtime),
        steps=types.StepList(step_from_info(s) for s in info.steps),
        num_nodes=info.num_nodes,
        creation_timestamp=parse_time(info.creation_timestamp),
        status=info.status,
        conditions=conditions(info.conditions),
        trainer_status=_trainer_status(info.trainer_status),
        queue_name=info.queue_name or None,
    )


def conditions(infos: Iterable[Any]) -> list[types.Condition]:
    """The core's conditions (of a TrainJob or a v1 job) as the public type."""
    return [
        types.Condition(
            type=c.type,
            status=c.status,
            reason=c.reason,
            message=c.message,
            last_transition_time=_optional_time(c.last_transition_time),
        )
        for c in infos
    ]


def _optional_time(text: str) -> datetime | None:
    return parse_time(text) if text else None


def _trainer_status(info: Any) -> types.TrainerStatus | None:
    if info is None:
        return None
    return types.TrainerStatus(
        progress_percentage=info.progress_percentage,
        estimated_remaining_seconds=info.estimated_remaining_seconds,
        metrics=dict(info.metrics),
        last_updated_time=_optional_time(info.last_updated_time),
    )


def event_from_info(info: Any) -> types.Event:
    """An ``Event`` from the core's ``EventInfo``."""
    return types.Event(
        involved_object_kind=info.involved_object_kind,
        involved_object_name=info.involved_object_name,
        message=info.message,
        reason=info.reason,
        event_time=parse_time(info.event_time),
    )
