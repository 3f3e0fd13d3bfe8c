"""Training Operator v1 → Kubeflow Trainer v2: ``migrate_v1_jobs``. Ours.

The conversion itself is C++ (core/src/trainer/v1_migrate.cpp): a pure transformation of job
specs that sits next to the TrainJob builder and is tested with Catch2; this module checks
argument types and converts values. The core is imported on first use, so that importing the
SDK stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.types.v1 import Migration, MigrationNote


def job_objects(jobs: Any) -> list[dict[str, Any]]:
    """v1 job objects from a dict, YAML/JSON text (one or many documents, or a List), or an
    iterable of dicts."""
    from kubeflow.trainer import _core

    if isinstance(jobs, str):
        parsed: list[dict[str, Any]] = _core.v1_jobs_from_text(jobs, "v1 job YAML")
        return parsed
    if isinstance(jobs, Mapping):
        return [dict(jobs)]
    if isinstance(jobs, Iterable) and not isinstance(jobs, (bytes, bytearray)):
        items = list(jobs)
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise ValidationError(
                    f"jobs[{index}] must be a dict (a v1 job), got {type(item).__name__}",
                    field=f"jobs[{index}]",
                )
        return [dict(i) for i in items]
    raise ValidationError(
        f"jobs must be a v1 job (dict), YAML text or a list of dicts, got {type(jobs).__name__}",
        field="jobs",
        hint="pass Path('pytorchjob.yaml').read_text(), or the dict of kubectl get -o json",
    )


def migrate_v1_jobs(
    jobs: Mapping[str, Any] | str | Iterable[Mapping[str, Any]], *, allow_mxjob: bool = False
) -> Migration:
    """Convert Training Operator v1 jobs to Kubeflow Trainer v2 manifests. No cluster needed.

    PyTorchJob, XGBoostJob and JAXJob become TrainJobs on the shipped ``torch-distributed``,
    ``xgboost-distributed`` and ``jax-distributed`` runtimes; TFJob, PaddleJob and MPIJob get a
    generated ``TrainingRuntime`` named ``<job>-<kind>`` plus a TrainJob that uses it. Whatever
    cannot be carried over is in ``report``, never dropped silently.

    Args:
        jobs: One v1 job (a dict as ``kubectl get -o json`` gives it), YAML or JSON text with
            one or many documents (or a ``kind: List``), or a list of dicts.
        allow_mxjob: Convert MXJobs to a TrainJob on a generated custom runtime (the report
            says what that cannot guarantee) instead of refusing them.

    Raises:
        ValidationError: a job cannot be converted (the message names it and the field); for
            an MXJob without ``allow_mxjob``, why MXJob is gone and the ways forward.
    """
    if not isinstance(allow_mxjob, bool):
        raise ValidationError(
            f"allow_mxjob must be True or False, got {allow_mxjob!r}", field="allow_mxjob"
        )
    from kubeflow.trainer import _core

    info = _core.migrate_v1_jobs(job_objects(jobs), allow_mxjob)
    return Migration(
        manifests=list(info.manifests),
        report=[MigrationNote(job=n.job, field=n.field, reason=n.reason) for n in info.report],
    )
