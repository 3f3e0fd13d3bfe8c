"""Training Operator v1 jobs: the core's values as the public dataclasses."""

from __future__ import annotations

from typing import Any

from kubeflow.trainer.backends.kubernetes._convert import (
    _optional_time,
    conditions,
    parse_time,
    step_from_info,
)
from kubeflow.trainer.types.v1 import V1Job, V1ReplicaSpec


def v1_job_from_info(info: Any) -> V1Job:
    """A ``V1Job`` from the core's ``V1JobInfo``."""
    return V1Job(
        name=info.name,
        kind=info.kind,
        namespace=info.namespace,
        replica_specs=[
            V1ReplicaSpec(
                type=r.type,
                replicas=r.replicas,
                restart_policy=r.restart_policy or None,
                image=r.image or None,
                active=r.active,
                succeeded=r.succeeded,
                failed=r.failed,
            )
            for r in info.replicas
        ],
        creation_timestamp=parse_time(info.creation_timestamp),
        status=info.status,
        message=info.message,
        conditions=conditions(info.conditions),
        steps=[step_from_info(s) for s in info.steps],
        start_time=_optional_time(info.start_time),
        completion_time=_optional_time(info.completion_time),
    )
