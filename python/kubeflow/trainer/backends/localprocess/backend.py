"""LocalProcessBackend: run TrainJobs as processes on this machine.

Each job is a directory in the state directory (state.py) run by a detached supervisor
(supervisor.py), so every method here works from any process that uses the same state directory:
a restarted notebook, another client, or a shell. See ``docs/local-backend.md``.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from kubeflow.trainer import _function, _log_options, _validation
from kubeflow.trainer.backends import controller_env
from kubeflow.trainer.backends.base import RuntimeBackend
from kubeflow.trainer.backends.localprocess import job as local_job
from kubeflow.trainer.backends.localprocess import (
    launcher,
    logs,
    procs,
    runtimes,
    state,
    venv_cache,
)
from kubeflow.trainer.backends.localprocess.errors import JobNotFoundError, LocalStateError
from kubeflow.trainer.backends.localprocess.types import LocalProcessBackendConfig
from kubeflow.trainer.constants import constants
from kubeflow.trainer.display_wait import WaitDisplay
from kubeflow.trainer.errors import JobFailedError, JobTimeoutError, ValidationError
from kubeflow.trainer.options._parts import collect
from kubeflow.trainer.types import types

logger = logging.getLogger(__name__)

#: How many log lines of the failed step a JobFailedError carries.
FAILURE_LOG_LINES = 10
_WAKE_SECONDS = 0.05


class LocalProcessBackend(RuntimeBackend):
    """Runs a ``CustomTrainer`` function as ``num_nodes`` x ``processes_per_node`` local processes.

    Args:
        cfg: The backend configuration; defaults to ``LocalProcessBackendConfig()``.
    """

    def __init__(self, cfg: LocalProcessBackendConfig | None = None) -> None:
        self.cfg = cfg if cfg is not None else LocalProcessBackendConfig()
        self.state_dir = state.resolve_state_dir(self.cfg.state_dir)
        self.store = state.JobStore(self.state_dir)

    # ------------------------------------------------------------------------------ runtimes
    def list_runtimes(self) -> list[types.Runtime]:
        """The local runtimes, named like the runtimes Kubeflow Trainer ships."""
        return runtimes.list_runtimes()

    def get_runtime(self, name: str) -> types.Runtime:
        """The local runtime ``name``.

        Raises:
            RuntimeNotFoundError: (a ``ValueError``) no local runtime has that name.
        """
        return runtimes.get_runtime(name)

    def get_runtime_packages(self, runtime: types.Runtime) -> list[str]:
        """Print and return the packages a job sees: this interpreter's, as ``name==version``.

        Raises:
            ValidationError: (a ``ValueError``) ``runtime`` is not a Runtime, or is a
                BuiltinTrainer runtime.
            RuntimeNotFoundError: (a ``ValueError``) no local runtime has its name (as upstream).
        """
        if not isinstance(runtime, types.Runtime):
            raise ValidationError(
                f"runtime must be a Runtime, got {type(runtime).__name__}", field="runtime"
            )
        runtimes.get_runtime(runtime.name)
        if runtime.trainer.trainer_type == types.TrainerType.BUILTIN_TRAINER:
            raise ValidationError(
                f"Runtime '{runtime.name}' is a BuiltinTrainer runtime; its packages are those "
                "of its image, which LocalProcessBackend does not run",
                field="runtime",
            )
        found: dict[str, str] = {}
        for dist in importlib.metadata.distributions():
            name = dist.metadata["Name"] if dist.metadata else None
            if name and name.lower() not in found:
                found[name.lower()] = f"{name}=={dist.version}"
        packages = [found[key] for key in sorted(found)]
        for package in packages:
            print(package)  # upstream prints the package list
        return packages

    # ------------------------------------------------------------------------------ train
    def train(
        self,
        runtime: str | types.Runtime | None = None,
        initializer: types.Initializer | None = None,
        trainer: (
            types.CustomTrainer | types.CustomTrainerContainer | types.BuiltinTrainer | None
        ) = None,
        options: list[Any] | None = None,
    ) -> str:
        """Start ``trainer.func(**trainer.func_args)`` on every local process; return the name.

        Raises:
            ValidationError: (a ``ValueError``) no CustomTrainer, an initializer, an unknown
                runtime or one that cannot run locally, an option for another backend, a bad
                name or argument.
            AlreadyExistsError: (a ``RuntimeError``) a job with that name exists.
            LocalLaunchError: (a ``RuntimeError``) the supervisor could not be started.
        """
        if runtime is not None and not isinstance(runtime, types.Runtime):
            _validation.require_str(runtime, "runtime")
        if trainer is None:
            raise ValidationError(
                "CustomTrainer must be set with LocalProcessBackend", field="trainer"
            )
        if isinstance(trainer, types.BuiltinTrainer):
            raise ValidationError(
                "BuiltinTrainer (TorchTune) is not supported by LocalProcessBackend: it needs "
                "the torchtune image, GPUs and the model and dataset initializers",
                field="trainer",
            )
        if not isinstance(trainer, types.CustomTrainer):
            raise ValidationError(
                f"CustomTrainer must be set with LocalProcessBackend, got "
                f"{type(trainer).__name__} (a container image needs a container engine)",
                field="trainer",
            )
        if initializer is not None:
            raise ValidationError(
                "Initializers are not supported by LocalProcessBackend: download the dataset "
                "or model inside the training function, or run on Kubernetes",
                field="initializer",
            )
        resolved = runtimes.resolve(runtime)
        runtimes.check_runnable(resolved)
        framework = resolved.trainer.framework

        # Only Name (or a hand-made option) works here; the Kubernetes options refuse this backend.
        name = collect(options, trainer, self).name
        if name is None:
            name = _validation.generate_job_name()
        _validation.validate_job_name(name, "metadata.name")

        num_nodes = _validation.num_nodes(trainer.num_nodes, "trainer.num_nodes")
        if num_nodes is None:
            num_nodes = resolved.trainer.num_nodes
        env = _validation.env_map(trainer.env, "trainer.env") or {}
        reserved = sorted(controller_env.reserved_names(framework) & env.keys())
        if reserved:
            raise ValidationError(
                f"trainer.env must not set {', '.join(reserved)}: the {framework} runtime "
                "injects them",
                field="trainer.env",
            )
        packages = (
            _validation.str_list(trainer.packages_to_install, "trainer.packages_to_install") or []
        )
        index_urls = _validation.str_list(trainer.pip_index_urls, "trainer.pip_index_urls") or []
        _validation.image(trainer.image, "trainer.image")
        _validation.resources(trainer.resources_per_node, "trainer.resources_per_node")
        if trainer.image:
            logger.info("LocalProcessBackend ignores trainer.image %r", trainer.image)
        if trainer.resources_per_node:
            logger.info(
                "LocalProcessBackend does not limit resources; ignoring %r",
                trainer.resources_per_node,
            )
        code, file_name = _function.function_code(trainer.func, trainer.func_args)

        spec = state.JobSpec(
            name=name,
            created=state.now_iso(),
            runtime=state.runtime_to_dict(resolved),
            framework=framework,
            num_nodes=num_nodes,
            procs_per_node=self.cfg.processes_per_node or 1,
            python=launcher.current_python(),
            cwd=os.getcwd(),
            script=os.path.join(state.CODE_DIR, file_name),
            env=env,
            packages=packages,
            pip_index_urls=index_urls,
            venv_cache=self.cfg.venv_cache,
            cleanup_venv=self.cfg.cleanup_venv,
            venv_cache_max_bytes=(
                None
                if self.cfg.venv_cache_max_gb is None
                else int(self.cfg.venv_cache_max_gb * 2**30)
            ),
            grace_period=float(self.cfg.termination_grace_period_seconds),
        )
        job_dir = self.store.create(spec, code, file_name)
        try:
            launcher.start_supervisor(job_dir, spec.python, spec.cwd)
        except JobNotFoundError:
            # Deleted by another client right away: the job was created, as on a cluster where
            # a delete can follow the create at once; later calls report it as not found.
            logger.info("Local TrainJob %s was deleted while it was being started", name)
            return name
        except BaseException:
            self.store.remove(name)
            raise
        logger.info(
            "Started local TrainJob %s (%d node(s) x %d process(es)) in %s",
            name,
            num_nodes,
            spec.procs_per_node,
            job_dir,
        )
        return name

    def clear_venv_cache(self) -> list[str]:
        """Remove the cached ``packages_to_install`` environments (``<state dir>/venvs``) that
        no running job uses; environments in use stay. Safe while jobs run.

        Returns:
            The keys of the environments removed.
        """
        return venv_cache.prune(self.state_dir / "venvs", 0)

    # ------------------------------------------------------------------------------ jobs
    def _spec(self, name: str) -> state.JobSpec:
        """The job's spec, or the stand-in of a damaged job (``spec.damage`` says why)."""
        return local_job.load_spec(
            self.store, name, float(self.cfg.termination_grace_period_seconds)
        )

    def _load(self, name: str) -> tuple[state.JobSpec, state.JobStatus]:
        spec = self._spec(name)
        status = local_job.current_status(self.store, spec)
        if spec.damage:
            logger.warning("TrainJob %s is shown as Failed: %s", name, status.message)
        return spec, status

    def list_jobs(self, runtime: types.Runtime | None = None) -> list[types.TrainJob]:
        """Every job in the state directory (oldest first), or those of ``runtime`` only (same
        kind and name). A job whose files are damaged is listed as Failed (a warning names the
        file) unless a runtime is given: its runtime is unknown."""
        if runtime is not None and not isinstance(runtime, types.Runtime):
            raise ValidationError(
                f"runtime must be a Runtime or None, got {type(runtime).__name__}",
                field="runtime",
            )
        jobs = []
        for name in self.store.names():
            try:
                spec, status = self._load(name)
            except JobNotFoundError:  # deleted meanwhile
                continue
            if runtime is not None and (
                spec.damage
                or spec.runtime.get("name") != runtime.name
                or spec.runtime.get("kind") != runtime.kind.value
            ):
                continue
            jobs.append(local_job.to_trainjob(spec, status))
        return sorted(jobs, key=lambda j: j.creation_timestamp)

    def get_job(self, name: str) -> types.TrainJob:
        """The job ``name`` with a step per node. A job whose files are damaged is Failed, with
        a step per log file and a placeholder runtime named Unknown.

        Raises:
            JobNotFoundError: (a ``ValueError``) no such job.
        """
        _validation.validate_job_name(name)
        return local_job.to_trainjob(*self._load(name))

    def get_job_logs(
        self,
        name: str,
        follow: bool | None = False,
        step: str = constants.NODE + "-0",
        *,
        all_nodes: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        previous: bool = False,
    ) -> Iterator[str]:
        """The log lines of one step (``node-<i>``) or of every node, without line endings.

        With ``follow``, lines are yielded as the processes write them until the job has
        finished and its log is drained; with ``all_nodes`` each line starts with
        ``[node-<i>] `` and, following, the nodes' lines come as they are written. Nothing is
        printed. The log files hold no timestamps and a node's processes never restart, so
        ``since_seconds`` and ``previous`` are refused here.

        Raises:
            JobNotFoundError: (a ``ValueError``) no such job.
            ValidationError: (a ``ValueError``) no such step (the message lists the steps), or
                an option this backend cannot honour.
        """
        _validation.validate_job_name(name)
        _validation.step_name(step)
        options = _log_options.log_options(step, all_nodes, tail_lines, since_seconds, previous)
        for field, value in (("since_seconds", options.since_seconds), ("previous", previous)):
            if value:
                raise ValidationError(
                    f"{field} is not available on the local backend: its log files have no "
                    "timestamps and a node's processes are never restarted",
                    field=field,
                    hint="use tail_lines to read the end of a log",
                )
        spec = self._spec(name)
        steps = list(spec.steps) if options.all_nodes else [step]
        if not options.all_nodes and step not in spec.steps:
            raise ValidationError(
                f"TrainJob {name} has no step {step!r}; its steps are: {', '.join(spec.steps)}",
                field="step",
            )
        prefixed = len(steps) > 1
        files = []
        for s in steps:
            path = self.store.log_path(name, s)
            start = 0 if options.tail_lines is None else logs.tail_start(path, options.tail_lines)
            files.append((f"[{s}] " if prefixed else "", path, start))
        if not follow:
            return (p + line for p, path, start in files for line in logs.read_lines(path, start))

        def finished() -> bool:
            try:
                return local_job.finished(self.store, spec)
            except ValueError:
                return True  # deleted

        return logs.follow_many(files, finished)

    def get_job_events(self, name: str) -> list[types.Event]:
        """Not available locally (as upstream).

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError("get_job_events is not supported by LocalProcessBackend")

    def _failure(self, name: str, trainjob: types.TrainJob) -> JobFailedError:
        spec, status = self._load(name)
        step = status.failed_step or next(
            (s.name for s in trainjob.steps if s.status == state.FAILED), state.step_name(0)
        )
        tail = (
            []
            if spec.damage
            else logs.tail_lines(self.store.log_path(name, step), FAILURE_LOG_LINES)
        )
        reason = status.message or "the job failed"
        text = "\n".join("  " + line for line in tail) or "  (no output)"
        return JobFailedError(
            f"TrainJob {name} failed: {reason}. Last lines of {step}:\n{text}",
            name=name,
            step=step,
            exit_code=status.exit_code,
            log_tail=tail,
            hint=(
                f"delete it with delete_job({name!r})"
                if spec.damage
                else f"all logs: get_job_logs({name!r}, step=...) or {self.store.job_dir(name)}"
            ),
        )

    def wait_for_job_status(
        self,
        name: str,
        status: set[str] = {constants.TRAINJOB_COMPLETE},  # noqa: B006 - upstream's signature
        timeout: int = 600,
        polling_interval: int = 2,
        callbacks: list[Callable[[types.TrainJob], None]] | None = None,
        *,
        progress: bool | None = None,
    ) -> types.TrainJob:
        """Wait until the job reaches one of ``status`` and return it.

        The timeout is a deadline; between polls the status file is watched so that reaching a
        final state is noticed within a fraction of a second. ``callbacks`` get the TrainJob at
        every poll. The live display (``progress``, as in TrainerClient) is redrawn when the job
        changed.

        Raises:
            ValidationError: (a ``ValueError``) a status outside Created/Running/Complete/Failed,
                or bad timeout or polling interval.
            JobNotFoundError: (a ``ValueError``) no such job.
            JobFailedError: (a ``RuntimeError``) the job failed and Failed was not awaited; the
                message has the failed step, its exit code and its last log lines.
            JobTimeoutError: (a ``TimeoutError``) ``timeout`` seconds passed.
        """
        _validation.validate_job_name(name)
        wanted = _validation.wait_arguments(status, timeout, polling_interval, state.STATUSES)
        self._spec(name)  # unknown name -> JobNotFoundError before any waiting
        deadline = time.monotonic() + timeout
        with WaitDisplay(name, progress) as live:
            shown: types.TrainJob | None = None
            while True:
                trainjob = self.get_job(name)
                if trainjob != shown:  # redrawn on a change of the status file, not per poll
                    live.update(trainjob)
                    shown = trainjob
                for callback in callbacks or []:
                    callback(trainjob)
                if trainjob.status in wanted:
                    return trainjob
                if trainjob.status == state.FAILED:
                    raise self._failure(name, trainjob)
                now = time.monotonic()
                if now >= deadline:
                    raise JobTimeoutError(
                        f"Timeout after {timeout}s waiting for TrainJob {name} to reach "
                        f"{sorted(wanted)}; it is {trainjob.status}",
                        name=name,
                    )
                next_poll = min(deadline, now + polling_interval)
                seen = self.store.status_mtime(name)
                while time.monotonic() < next_poll and self.store.status_mtime(name) == seen:
                    time.sleep(min(_WAKE_SECONDS, max(0.0, next_poll - time.monotonic())))

    def delete_job(self, name: str) -> None:
        """Stop every process of the job (SIGTERM, then SIGKILL after the grace period) and
        remove its directory. Works on a damaged job too.

        Only processes proven to be the job's are signalled: the supervisor and the ranks by
        their recorded pid and start time, their leftovers by the job's marker variable.

        Raises:
            JobNotFoundError: (a ``ValueError``) no such job.
            LocalStateError: (a ``RuntimeError``) a process outlived SIGKILL or the directory
                could not be removed; the job is still there and the message names the path.
        """
        _validation.validate_job_name(name)
        spec = self._spec(name)
        targets = [p for p in [local_job.running_supervisor(self.store, name)] if p]
        try:
            status: state.JobStatus | None = self.store.read_status(name)
        except LocalStateError:
            status = None  # the supervisor and the marker still find the processes
        if status is not None:
            targets += [r.process for r in status.ranks if r.exit_code is None]
        left = procs.terminate(targets, spec.grace_period)
        # Ranks the supervisor recorded while being stopped, and what the ranks left running
        # in other groups or sessions.
        try:
            late = [
                r.process
                for r in self.store.read_status(name).ranks
                if r.exit_code is None and r.process not in targets
            ]
        except LocalStateError:
            late = []
        left += procs.terminate(late, spec.grace_period)
        left += procs.sweep(local_job.marker(self.store, name), spec.grace_period)
        if left:
            raise LocalStateError(
                f"Cannot delete TrainJob {name}: processes {sorted(p.pid for p in left)} are "
                "still running after SIGKILL",
                file=str(self.store.job_dir(name)),
                name=name,
            )
        self.store.remove(name)
        logger.info("Deleted local TrainJob %s", name)
