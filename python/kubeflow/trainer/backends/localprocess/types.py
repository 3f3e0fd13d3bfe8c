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
            shared between jobs and are kept.
        state_dir: Where jobs, logs and cached environments live. When None, the
            ``KUBEFLOW_LOCAL_STATE_DIR`` environment variable, else ``~/.kubeflow/trainer/local``.
        processes_per_node: Processes started on each emulated node (``PET_NPROC_PER_NODE``).
            When None, one process per node: ``resources_per_node`` is not used to derive it,
            because on a shared machine a CPU request would start that many full processes.
        venv_cache: Reuse one virtual environment per distinct ``packages_to_install`` set (and
            index URLs and interpreter) instead of building one per job.
        termination_grace_period_seconds: How long processes get to exit after SIGTERM (on
            ``delete_job``, or when another rank of the job failed) before SIGKILL.
    """

    cleanup_venv: bool = True
    state_dir: str | None = None
    processes_per_node: int | None = None
    venv_cache: bool = True
    termination_grace_period_seconds: float = 5.0

    def __post_init__(self) -> None:
        ppn = self.processes_per_node
        if ppn is not None and (isinstance(ppn, bool) or not isinstance(ppn, int) or ppn < 1):
            raise ValidationError(
                f"processes_per_node must be a positive integer or None, got {ppn!r}",
                field="processes_per_node",
            )
        grace = self.termination_grace_period_seconds
        if isinstance(grace, bool) or not isinstance(grace, (int, float)) or grace <= 0:
            raise ValidationError(
                f"termination_grace_period_seconds must be a positive number, got {grace!r}",
                field="termination_grace_period_seconds",
            )
