"""The interface every TrainerClient backend implements."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.types import types

if TYPE_CHECKING:  # the v1 types load with the first v1 call, not with every backend
    from kubeflow.trainer.types.v1 import Migration, V1Job


class RuntimeBackend(abc.ABC):
    """The ten operations of ``TrainerClient``; see TrainerClient for their contracts."""

    @abc.abstractmethod
    def list_runtimes(self) -> list[types.Runtime]:
        """List the runtimes available to this backend."""

    @abc.abstractmethod
    def get_runtime(self, name: str) -> types.Runtime:
        """Get one runtime by name."""

    @abc.abstractmethod
    def get_runtime_packages(self, runtime: types.Runtime) -> list[str] | None:
        """Show the Python packages available in a runtime."""

    @abc.abstractmethod
    def train(
        self,
        runtime: str | types.Runtime | None = None,
        initializer: types.Initializer | None = None,
        trainer: types.CustomTrainer
        | types.CustomTrainerContainer
        | types.BuiltinTrainer
        | None = None,
        options: list[Any] | None = None,
    ) -> str:
        """Start a TrainJob and return its name."""

    @abc.abstractmethod
    def list_jobs(self, runtime: types.Runtime | None = None) -> list[types.TrainJob]:
        """List TrainJobs, optionally only those of one runtime."""

    @abc.abstractmethod
    def get_job(self, name: str) -> types.TrainJob:
        """Get one TrainJob."""

    @abc.abstractmethod
    def get_job_logs(
        self,
        name: str,
        follow: bool | None = False,
        step: str = "node-0",
        *,
        all_nodes: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        previous: bool = False,
    ) -> Iterator[str]:
        """Yield the log lines of one step, or of every node (see TrainerClient.get_job_logs)."""

    @abc.abstractmethod
    def get_job_events(self, name: str) -> list[types.Event]:
        """List the events of a TrainJob and its parts."""

    @abc.abstractmethod
    def wait_for_job_status(
        self,
        name: str,
        status: set[str] = {"Complete"},  # noqa: B006 - never mutated; upstream's signature
        timeout: int = 600,
        polling_interval: int = 2,
        callbacks: list[Callable[[types.TrainJob], None]] | None = None,
        *,
        progress: bool | None = None,
    ) -> types.TrainJob:
        """Wait until the TrainJob reaches one of ``status``; ``progress`` as in TrainerClient."""

    @abc.abstractmethod
    def delete_job(self, name: str) -> None:
        """Delete a TrainJob."""

    # Ours: a backend without a cluster has no TrainJob manifests to give or take.
    def build_job_manifest(
        self,
        runtime: str | types.Runtime | None = None,
        initializer: types.Initializer | None = None,
        trainer: types.CustomTrainer
        | types.CustomTrainerContainer
        | types.BuiltinTrainer
        | None = None,
        options: list[Any] | None = None,
        validate_on_server: bool = False,
    ) -> dict[str, Any]:
        """The TrainJob ``train`` would create, as a manifest; nothing is created."""
        raise _needs_a_cluster("build_job_manifest")

    def get_job_manifest(self, name: str) -> dict[str, Any]:
        """The TrainJob ``name`` as the cluster stores it."""
        raise _needs_a_cluster("get_job_manifest")

    def submit_job(self, manifest: Mapping[str, Any] | str) -> str:
        """Create the TrainJob of a manifest and return its name."""
        raise _needs_a_cluster("submit_job")

    # Training Operator v1 jobs exist on clusters only; see TrainerClient for the contracts.

    def list_v1_jobs(self, kind: str | None = None) -> list[V1Job]:
        """List Training Operator v1 jobs."""
        raise _needs_a_cluster("list_v1_jobs")

    def get_v1_job(self, name: str, kind: str) -> V1Job:
        """Get one v1 job."""
        raise _needs_a_cluster("get_v1_job")

    def get_v1_job_logs(self, name: str, kind: str, step: str | None = None) -> Iterator[str]:
        """Log lines of one step of a v1 job."""
        raise _needs_a_cluster("get_v1_job_logs")

    def get_v1_job_manifest(
        self, name: str, kind: str, allow_mxjob: bool = False
    ) -> dict[str, Any]:
        """A v1 job as the cluster stores it."""
        raise _needs_a_cluster("get_v1_job_manifest")

    def migrate_v1_job(self, name: str, kind: str, allow_mxjob: bool = False) -> Migration:
        """Convert a v1 job of the cluster."""
        raise _needs_a_cluster("migrate_v1_job")

    def create_migration(self, migration: Migration, dry_run: bool = False) -> list[dict[str, Any]]:
        """Create the manifests of a Migration."""
        raise _needs_a_cluster("create_migration")


def _needs_a_cluster(method: str) -> ValidationError:
    return ValidationError(
        f"{method} works on TrainJob manifests, which only a Kubernetes cluster runs",
        field="backend_config",
        hint="use TrainerClient(KubernetesBackendConfig(...))",
    )
