"""The one place where the core's value types and the public dataclasses meet."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from kubeflow.trainer.constants import constants
from kubeflow.trainer.types import types

_COMMANDS = {
    "torchtune": constants.TORCH_TUNE_COMMAND,
    "torchrun": constants.TORCH_COMMAND,
    "mpirun": constants.MPI_COMMAND,
    "python": constants.DEFAULT_COMMAND,
}


def runtime_from_info(info: Any) -> types.Runtime:
    """A ``Runtime`` from the core's ``RuntimeInfo``."""
    trainer = types.RuntimeTrainer(
        trainer_type=types.TrainerType(info.trainer_type),
        framework=info.framework,
        image=info.image,
        num_nodes=info.num_nodes,
        device=info.device,
        device_count=info.device_count,
    )
    trainer.set_command(_COMMANDS[info.launcher.name])
    return types.Runtime(name=info.name, trainer=trainer, kind=types.RuntimeKind(info.kind))


def launcher_of(runtime: types.Runtime) -> str:
    """Which launcher a runtime's command uses: ``torchrun``, ``mpirun`` or ``python``."""
    command = tuple(runtime.trainer.command or ())
    if command and command[0] == "mpirun":
        return "mpirun"
    if any("torchrun" in part for part in command):
        return "torchrun"
    return "python"


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
    )


def job_from_info(info: Any) -> types.TrainJob:
    """A ``TrainJob`` from the core's ``TrainJobInfo``."""
    return types.TrainJob(
        name=info.name,
        runtime=runtime_from_info(info.runtime),
        steps=[step_from_info(s) for s in info.steps],
        num_nodes=info.num_nodes,
        creation_timestamp=parse_time(info.creation_timestamp),
        status=info.status,
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
