"""Training Operator v1 jobs as the SDK shows them, and the result of migrating them to v2.

Ours: neither upstream SDK reads v1 jobs next to TrainJobs (see docs/migrating-from-v1.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kubeflow.trainer.types.types import Condition, Step

V1_KINDS = ("PyTorchJob", "TFJob", "XGBoostJob", "JAXJob", "PaddleJob", "MPIJob")


@dataclass
class V1ReplicaSpec:
    """One replica type of a v1 job (``Master``, ``Worker``, ...) with its status counts."""

    type: str
    replicas: int
    restart_policy: str | None = None
    image: str | None = None
    active: int = 0
    succeeded: int = 0
    failed: int = 0


@dataclass
class V1Job:
    """A Training Operator v1 job (``kubeflow.org/v1``): PyTorchJob, TFJob, XGBoostJob, JAXJob,
    PaddleJob or MPIJob.

    ``status`` is the type of the last True condition, as v1's State column shows it (Created,
    Running, Restarting, Succeeded, Suspended or Failed). ``steps`` are its pods, named
    ``<replica type>-<index>`` (``master-0``, ``worker-1``).
    """

    name: str
    kind: str
    replica_specs: list[V1ReplicaSpec]
    creation_timestamp: datetime
    status: str = "Created"
    message: str = ""
    conditions: list[Condition] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    start_time: datetime | None = None
    completion_time: datetime | None = None
    namespace: str = ""


@dataclass(frozen=True)
class MigrationNote:
    """A field of a v1 job the converter did not carry over, or carried with another meaning."""

    job: str  # "PyTorchJob/mnist"
    field: str  # "spec.runPolicy.cleanPodPolicy"
    reason: str


@dataclass
class Migration:
    """v2 manifests converted from v1 jobs, and the report of what did not carry over.

    ``manifests`` holds, job by job, the TrainingRuntime generated for it (TFJob, PaddleJob,
    MPIJob, MXJob) and then its TrainJob; create them in that order (``TrainerClient.
    create_migration``) or with ``kubectl apply -f`` on ``to_yaml()``.
    """

    manifests: list[dict[str, Any]]
    report: list[MigrationNote] = field(default_factory=list)

    def to_yaml(self) -> str:
        """The manifests as one multi-document YAML stream."""
        from kubeflow.trainer.backends.kubernetes.manifests import manifest_to_yaml

        return "---\n".join(manifest_to_yaml(m) for m in self.manifests)

    def report_text(self) -> str:
        """The report, one ``job: field: reason`` line per note; empty when nothing was lost."""
        return "".join(f"{n.job}: {n.field}: {n.reason}\n" for n in self.report)
