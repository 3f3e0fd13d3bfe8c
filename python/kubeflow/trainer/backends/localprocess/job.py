"""Reading a local job back as the SDK's ``TrainJob``, and naming new jobs."""

from __future__ import annotations

import os
import random
import re
import string
import uuid
from datetime import datetime, timezone

from kubeflow.trainer.backends.localprocess import launcher, state
from kubeflow.trainer.backends.localprocess.runtimes import LOCAL_DEVICE
from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.types import types

#: How long a job may exist without a recorded supervisor pid before it counts as failed.
STARTUP_GRACE_SECONDS = 30.0

_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_NAME_MAX = 63


def generate_name() -> str:
    """A new job name: a lowercase letter and 11 hex digits (upstream's 12-character rule)."""
    suffix = uuid.uuid4().hex[: constants.JOB_NAME_UUID_LENGTH]
    return random.choice(string.ascii_lowercase) + suffix


def validate_name(name: object) -> str:
    """Check that ``name`` is a DNS-1123 label, as the Kubernetes API would.

    Raises:
        ValidationError: it is not.
    """
    if not isinstance(name, str) or len(name) > _NAME_MAX or not _NAME_RE.match(name):
        raise ValidationError(
            f"Invalid TrainJob name {name!r}: it must be at most {_NAME_MAX} characters of "
            "lowercase letters, digits and '-', starting and ending with a letter or digit",
            field="metadata.name",
        )
    return name


def supervisor_markers(name: str) -> list[str]:
    """Strings the command line of the job's supervisor contains (see launcher.py)."""
    return ["localprocess.supervisor", os.sep + os.path.join("jobs", name)]


def _supervisor_gone(store: state.JobStore, spec: state.JobSpec) -> bool:
    """True when the job's supervisor is not running (and is not about to start)."""
    pid = store.supervisor_pid(spec.name)
    if pid is not None:
        return not launcher.process_alive(pid, supervisor_markers(spec.name))
    created = datetime.fromisoformat(spec.created)
    return (datetime.now(timezone.utc) - created).total_seconds() >= STARTUP_GRACE_SECONDS


def finished(store: state.JobStore, spec: state.JobSpec) -> bool:
    """True once nothing more will be written for the job: the supervisor recorded the final
    status, or it is gone.

    Raises:
        JobNotFoundError: the job does not exist.
    """
    return store.read_status(spec.name).done or _supervisor_gone(store, spec)


def current_status(store: state.JobStore, spec: state.JobSpec) -> state.JobStatus:
    """The job's recorded status, or Failed when its supervisor is gone without recording one.

    Raises:
        JobNotFoundError: the job does not exist.
    """
    status = store.read_status(spec.name)
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
    steps = [
        types.Step(
            name=step,
            status=status.steps.get(step, state.CREATED),
            pod_name=f"{spec.name}-{constants.NODE}-0-{node}",
            device=LOCAL_DEVICE,
            device_count=str(spec.procs_per_node),
        )
        for node, step in enumerate(spec.steps)
    ]
    return types.TrainJob(
        name=spec.name,
        runtime=state.runtime_from_dict(spec.runtime),
        steps=steps,
        num_nodes=spec.num_nodes,
        creation_timestamp=datetime.fromisoformat(spec.created),
        status=status.phase,
    )
