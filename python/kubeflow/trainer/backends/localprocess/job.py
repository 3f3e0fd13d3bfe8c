"""Reading a local job back as the SDK's ``TrainJob``, and naming new jobs."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from kubeflow.trainer.backends.localprocess import procs, state
from kubeflow.trainer.backends.localprocess.errors import LocalStateError
from kubeflow.trainer.backends.localprocess.runtimes import LOCAL_DEVICE
from kubeflow.trainer.constants import constants
from kubeflow.trainer.types import types

#: How long a job may exist without a recorded supervisor pid before it counts as failed.
STARTUP_GRACE_SECONDS = 30.0


def _stand_in(store: state.JobStore, name: str, damage: str, grace_period: float) -> state.JobSpec:
    """What is known of a job whose job.json is damaged: its name, the time of its directory,
    one step per log file and a placeholder runtime named Unknown."""
    job_dir = store.job_dir(name)
    try:
        created = datetime.fromtimestamp(job_dir.stat().st_mtime, timezone.utc)
    except OSError:
        created = datetime.now(timezone.utc)
    try:
        nodes = len([p for p in (job_dir / state.LOGS_DIR).iterdir() if p.suffix == ".log"])
    except OSError:
        nodes = 0
    placeholder = types.RuntimeTrainer(
        trainer_type=types.TrainerType.CUSTOM_TRAINER,
        framework=constants.UNKNOWN,
        image=constants.UNKNOWN,
        num_nodes=max(nodes, 1),
        device=constants.UNKNOWN,
        device_count=constants.UNKNOWN,
    )
    runtime = types.Runtime(
        name=constants.UNKNOWN, trainer=placeholder, kind=types.RuntimeKind.TRAINING_RUNTIME
    )
    spec = state.JobSpec(
        name=name,
        created=created.isoformat(),
        runtime=state.runtime_to_dict(runtime),
        framework=constants.UNKNOWN,
        num_nodes=nodes,
        procs_per_node=1,
        python="",
        cwd="",
        script="",
        grace_period=grace_period,
    )
    spec.damage = damage
    return spec


def load_spec(store: state.JobStore, name: str, grace_period: float) -> state.JobSpec:
    """The spec of job ``name``, or a stand-in with ``damage`` set when its job.json is
    damaged, so that the job can still be listed and deleted.

    Raises:
        JobNotFoundError: no such job.
    """
    try:
        return store.read_spec(name)
    except LocalStateError as error:
        return _stand_in(store, name, str(error), grace_period)


def supervisor_markers(name: str) -> list[str]:
    """Strings the command line of the job's supervisor contains (see launcher.py)."""
    return ["localprocess.supervisor", os.sep + os.path.join("jobs", name)]


def marker(store: state.JobStore, name: str) -> str:
    """The value of ``procs.MARKER_ENV`` in the environment of every process of job ``name``."""
    return os.path.realpath(store.job_dir(name))


def running_supervisor(store: state.JobStore, name: str) -> procs.ProcessId | None:
    """The job's supervisor if it is running (and provably the one recorded), else None."""
    supervisor = store.supervisor(name)
    if supervisor is not None and procs.is_running(supervisor, supervisor_markers(name)):
        return supervisor
    return None


def _supervisor_gone(store: state.JobStore, spec: state.JobSpec) -> bool:
    """True when the job's supervisor is not running (and is not about to start)."""
    if store.supervisor(spec.name) is not None:
        return running_supervisor(store, spec.name) is None
    if spec.damage:
        return True
    created = datetime.fromisoformat(spec.created)
    return (datetime.now(timezone.utc) - created).total_seconds() >= STARTUP_GRACE_SECONDS


def finished(store: state.JobStore, spec: state.JobSpec) -> bool:
    """True once nothing more will be written for the job: the supervisor recorded the final
    status, or it is gone.

    Raises:
        JobNotFoundError: the job does not exist.
    """
    try:
        done = store.read_status(spec.name).done
    except LocalStateError:
        done = False
    return done or _supervisor_gone(store, spec)


def _damaged_status(store: state.JobStore, spec: state.JobSpec) -> state.JobStatus:
    """A damaged job is Failed, with the damage as its message; its steps keep what the
    supervisor recorded when status.json is readable."""
    try:
        status = store.read_status(spec.name)
        message = spec.damage or status.message
    except LocalStateError as error:
        status = state.JobStatus()
        message = spec.damage or str(error)
    status.phase = state.FAILED
    status.message = message
    status.steps = {
        step: (state.COMPLETE if status.steps.get(step) == state.COMPLETE else state.FAILED)
        for step in spec.steps
    }
    return status


def current_status(store: state.JobStore, spec: state.JobSpec) -> state.JobStatus:
    """The job's recorded status, or Failed when its supervisor is gone without recording one
    or when one of its files is damaged (the message names the file).

    Raises:
        JobNotFoundError: the job does not exist.
    """
    try:
        status = store.read_status(spec.name)
    except LocalStateError:
        return _damaged_status(store, spec)
    if spec.damage:
        return _damaged_status(store, spec)
    if status.done or not _supervisor_gone(store, spec):
        return status
    status = store.read_status(spec.name)  # it may have finished since the first read
    if status.done:
        return status
    status.phase = state.FAILED
    status.message = status.message or (
        "the supervisor of this job exited without recording a final status; see "
        f"{store.job_dir(spec.name) / state.SUPERVISOR_LOG}"
    )
    status.steps = {
        step: (s if s == state.COMPLETE else state.FAILED) for step, s in status.steps.items()
    }
    return status


def to_trainjob(spec: state.JobSpec, status: state.JobStatus) -> types.TrainJob:
    """The ``TrainJob`` of a local job."""
    steps = types.StepList(
        types.Step(
            name=step,
            status=status.steps.get(step, state.CREATED),
            pod_name=f"{spec.name}-{constants.NODE}-0-{node}",
            device=LOCAL_DEVICE,
            device_count=str(spec.procs_per_node),
        )
        for node, step in enumerate(spec.steps)
    )
    return types.TrainJob(
        name=spec.name,
        runtime=state.runtime_from_dict(spec.runtime),
        steps=steps,
        num_nodes=spec.num_nodes,
        creation_timestamp=datetime.fromisoformat(spec.created),
        status=status.phase,
    )
