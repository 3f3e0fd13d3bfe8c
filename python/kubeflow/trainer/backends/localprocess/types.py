"""Configuration of the local process backend."""

from __future__ import annotations

from dataclasses import dataclass

from kubeflow.trainer.errors import ValidationError


@dataclass
class LocalProcessBackendConfig:
    """Run TrainJobs as processes on this machine.

    Every job is recorded under ``state_dir`` and run by a detached supervisor process, so jobs
    outlive the Python process that started them and are visible to every ``TrainerClient`` that
    uses the same state directory. See ``docs/local-backend.md``.

    Args:
        cleanup_venv: Remove a job's private virtual environment when the job finishes. Only
            private environments (``venv_cache=False``) are removed; cached environments are
            shared between jobs and are kept, within ``venv_cache_max_gb``.
        state_dir: Where jobs, logs and cached environments live. When None, the
            ``KUBEFLOW_LOCAL_STATE_DIR`` environment variable, else ``~/.kubeflow/trainer/local``.
        processes_per_node: Processes started on each emulated node (``PET_NPROC_PER_NODE``).
            When None, one process per node: ``resources_per_node`` is not used to derive it,
            because on a shared machine a CPU request would start that many full processes.
        venv_cache: Reuse one virtual environment per distinct ``packages_to_install`` set (and
            index URLs and interpreter) instead of building one per job.
        venv_cache_max_gb: The size limit of the environment cache in GiB: after a job built a
            new cached environment, the least recently used environments that no job is using
            are removed until the cache fits. None: no limit.
        termination_grace_period_seconds: How long processes get to exit after SIGTERM (on
            ``delete_job``, or when another rank of the job failed) before SIGKILL.
    """

    cleanup_venv: bool = True
    state_dir: str | None = None
    processes_per_node: int | None = None
    venv_cache: bool = True
    termination_grace_period_seconds: float = 5.0
    venv_cache_max_gb: float | None = 10.0  # last: the fields before keep their positions

    def __post_init__(self) -> None:
        ppn = self.processes_per_node
        if ppn is not None and (isinstance(ppn, bool) or not isinstance(ppn, int) or ppn < 1):
            raise ValidationError(
                f"processes_per_node must be a positive integer or None, got {ppn!r}",
                field="processes_per_node",
            )
        limit = self.venv_cache_max_gb
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit < 0
        ):
            raise ValidationError(
                f"venv_cache_max_gb must be a number of GiB >= 0 or None, got {limit!r}",
                field="venv_cache_max_gb",
            )
        grace = self.termination_grace_period_seconds
        if isinstance(grace, bool) or not isinstance(grace, (int, float)) or grace <= 0:
            raise ValidationError(
                f"termination_grace_period_seconds must be a positive number, got {grace!r}",
                field="termination_grace_period_seconds",
            )
