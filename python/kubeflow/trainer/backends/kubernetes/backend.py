"""The Kubernetes backend: TrainerClient operations through the C++ core."""

from __future__ import annotations

import copy
import itertools
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kubeflow.common.constants import DEFAULT_TIMEOUT
from kubeflow.common.types import KubernetesBackendConfig
from kubeflow.trainer import _core, _validation
from kubeflow.trainer.backends.base import RuntimeBackend
from kubeflow.trainer.backends.kubernetes import _convert
from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import (
    InsecureConnectionWarning,
    JobFailedError,
    JobTimeoutError,
    ValidationError,
)
from kubeflow.trainer.types import types

if TYPE_CHECKING:
    from kubeflow.trainer.backends.kubernetes.request import TrainerTypes
    from kubeflow.trainer.types.v1 import Migration, V1Job

# Building a job (request, options, trainer_spec), printing (display_wait), manifests, v1 jobs
# and migration, log options and logging are imported by the calls that need them:
# TrainerClient() is constructed in every notebook kernel and pipeline step, most of which only
# list, get or wait.

# Statuses a job can be waited for. Upstream knows the first four; Suspended is ours.
WAITABLE_STATUSES = {
    constants.TRAINJOB_CREATED,
    constants.TRAINJOB_RUNNING,
    constants.TRAINJOB_COMPLETE,
    constants.TRAINJOB_FAILED,
    "Suspended",
}


def _explicit_settings(configuration: Any) -> Any:
    """Reads a ``kubernetes.client.Configuration``-like object into core settings."""
    settings = _core.ExplicitSettings()
    settings.server = getattr(configuration, "host", "") or ""
    api_key = getattr(configuration, "api_key", None) or {}
    token = api_key.get("authorization") or api_key.get("BearerToken") or ""
    settings.token = token.split(" ", 1)[1] if token.lower().startswith("bearer ") else token
    settings.ca_file = getattr(configuration, "ssl_ca_cert", None) or ""
    settings.cert_file = getattr(configuration, "cert_file", None) or ""
    settings.key_file = getattr(configuration, "key_file", None) or ""
    settings.verify_ssl = bool(getattr(configuration, "verify_ssl", True))
    settings.tls_server_name = getattr(configuration, "tls_server_name", None) or ""
    return settings


def _close_soon(stream: Any) -> None:
    """Close a core stream without waiting for it.

    Closing joins the stream's producer, which notices the cancel only at libcurl's next
    progress callback, up to a second later on an idle watch. The caller has its answer already,
    so the join happens on a daemon thread instead of delaying the return.
    """
    threading.Thread(target=stream.close, name="kubeflow-stream-close", daemon=True).start()


def _runtime_argument(runtime: object) -> str | types.Runtime | None:
    # The type is what pybind11 needs; the name is the core's rule (validate_job_request).
    if runtime is None or isinstance(runtime, types.Runtime):
        return runtime
    return _validation.str_type(runtime, "runtime")


class KubernetesBackend(RuntimeBackend):
    """Runs TrainJobs on a Kubernetes cluster with Kubeflow Trainer installed."""

    def __init__(self, cfg: KubernetesBackendConfig) -> None:
        """Connect using ``cfg`` (kubeconfig, in-cluster, or an explicit configuration).

        Raises:
            kubeflow.trainer.errors.ConfigError: the configuration is missing or malformed;
                the message names the file and the field.
        """
        namespace = cfg.namespace or ""
        if cfg.client_configuration is not None:
            self._api = _core.TrainerApi(
                _explicit_settings(cfg.client_configuration), namespace, float(DEFAULT_TIMEOUT)
            )
        else:
            self._api = _core.TrainerApi(
                cfg.config_file, cfg.context, namespace, float(DEFAULT_TIMEOUT)
            )
        self.namespace: str = self._api.namespace
        cfg.namespace = self.namespace
        if self._api.skips_tls_verification:
            warnings.warn(
                f"TLS verification is off for {self._api.server} (insecure-skip-tls-verify or "
                "verify_ssl=False): anyone on the network path can read and alter the requests, "
                "credentials included. Give the cluster's CA instead (certificate-authority).",
                InsecureConnectionWarning,
                stacklevel=4,
            )

    # Runtimes ------------------------------------------------------------------------------

    def list_runtimes(self) -> list[types.Runtime]:
        """See TrainerClient.list_runtimes."""
        return [_convert.runtime_from_info(r) for r in self._api.list_runtimes()]

    def get_runtime(self, name: str) -> types.Runtime:
        """See TrainerClient.get_runtime."""
        _validation.require_str(name, "name")
        return _convert.runtime_from_info(self._api.get_runtime(name))

    def get_runtime_packages(self, runtime: types.Runtime) -> None:
        """Run a one-node probe job on ``runtime`` and print its Python packages and GPUs."""
        if runtime.trainer.trainer_type == types.TrainerType.BUILTIN_TRAINER:
            raise ValueError("Cannot get Runtime packages for BuiltinTrainer")
        from kubeflow.trainer.backends.kubernetes import trainer_spec

        probe_runtime = copy.deepcopy(runtime)
        if probe_runtime.trainer.command and probe_runtime.trainer.command[0] == "mpirun":
            mpi = list(constants.MPI_COMMAND)
            probe_runtime.trainer.set_command((mpi[0], "-np", "1", *mpi[3:]))
        resources = None if runtime.trainer.device == "gpu" else {"cpu": 1}
        name = None
        try:
            name = self.train(
                runtime=probe_runtime,
                trainer=types.CustomTrainer(
                    func=trainer_spec.get_runtime_packages_function(),
                    num_nodes=1,
                    resources_per_node=resources,
                ),
            )
            self.wait_for_job_status(name)
            print("\n".join(self.get_job_logs(name)))
        finally:
            if name is not None:
                try:
                    self.delete_job(name)
                except Exception as error:  # noqa: BLE001 - the probe's result matters more
                    import logging

                    logging.getLogger(__name__).warning(
                        "Could not delete probe TrainJob %s: %s", name, error
                    )

    # Jobs ----------------------------------------------------------------------------------

    def train(
        self,
        runtime: str | types.Runtime | None = None,
        initializer: types.Initializer | None = None,
        trainer: TrainerTypes | None = None,
        options: list[Any] | None = None,
    ) -> str:
        """See TrainerClient.train.

        Everything that can be checked locally is checked before the first request: the trainer
        type, the options, then the request built from them and the other arguments (see
        ``request.job_request``). Only then is the runtime resolved and the command (which
        depends on it) built and sent.
        """
        job = self._job_request(runtime, initializer, trainer, options)
        self._check_server_supports(job)
        created: str = self._api.train(job)
        return created

    def build_job_manifest(
        self,
        runtime: str | types.Runtime | None = None,
        initializer: types.Initializer | None = None,
        trainer: TrainerTypes | None = None,
        options: list[Any] | None = None,
        validate_on_server: bool = False,
    ) -> dict[str, Any]:
        """See TrainerClient.build_job_manifest."""
        if not isinstance(validate_on_server, bool):
            raise ValidationError(
                f"validate_on_server must be True or False, got {validate_on_server!r}",
                field="validate_on_server",
            )
        job = self._job_request(runtime, initializer, trainer, options)
        self._check_server_supports(job)
        manifest: dict[str, Any] = self._api.job_manifest(job, validate_on_server)
        return manifest

    def get_job_manifest(self, name: str) -> dict[str, Any]:
        """See TrainerClient.get_job_manifest."""
        _validation.validate_job_name(name)
        manifest: dict[str, Any] = self._api.stored_job_manifest(name)
        return manifest

    def submit_job(self, manifest: Mapping[str, Any] | str) -> str:
        """See TrainerClient.submit_job."""
        if isinstance(manifest, str):
            from kubeflow.trainer.backends.kubernetes import manifests

            parsed = manifests.manifest_from_yaml(manifest)
        elif isinstance(manifest, Mapping):
            parsed = dict(manifest)
        else:
            raise ValidationError(
                f"manifest must be a dict or YAML/JSON text, got {type(manifest).__name__}",
                field="manifest",
                hint="pass build_job_manifest()'s result, or Path('job.yaml').read_text()",
            )
        name: str = self._api.submit_job(parsed)
        return name

    def _job_request(
        self,
        runtime: str | types.Runtime | None,
        initializer: types.Initializer | None,
        trainer: TrainerTypes | None,
        options: list[Any] | None,
    ) -> Any:
        runtime = _runtime_argument(runtime)
        if trainer is not None and not isinstance(
            trainer, (types.CustomTrainer, types.CustomTrainerContainer, types.BuiltinTrainer)
        ):
            raise ValidationError(
                f"The trainer type {type(trainer).__name__} is not supported: use CustomTrainer, "
                "CustomTrainerContainer or BuiltinTrainer",
                field="trainer",
            )
        from kubeflow.trainer.backends.kubernetes import request
        from kubeflow.trainer.options._parts import collect

        parts = collect(options, trainer, self)
        return request.job_request(runtime, initializer, trainer, parts, self.get_runtime)

    def _check_server_supports(self, job: Any) -> None:
        """Refuse options a v2.0/v2.1 Trainer would silently drop (read once per client)."""
        if job.runtime_patches is None and job.active_deadline_seconds is None:
            return
        version = self._api.trainer_version(constants.KUBEFLOW_SYSTEM_NAMESPACE)
        if version and version.lstrip("v").split(".")[:2] in (["2", "0"], ["2", "1"]):
            option = "RuntimePatch" if job.runtime_patches is not None else "ActiveDeadlineSeconds"
            raise ValidationError(
                f"{option} needs Kubeflow Trainer v2.2 or newer, but the cluster runs {version}",
                field="options",
                hint="upgrade Kubeflow Trainer, or drop the option",
            )

    def list_jobs(self, runtime: types.Runtime | None = None) -> list[types.TrainJob]:
        """See TrainerClient.list_jobs."""
        if runtime is not None and not isinstance(runtime, types.Runtime):
            raise ValidationError(
                f"runtime must be a Runtime or None, got {type(runtime).__name__}",
                field="runtime",
                hint="pass an object from get_runtime() or list_runtimes()",
            )
        if runtime is None:
            infos = self._api.list_jobs(None)
        else:
            infos = self._api.list_jobs(runtime.name, runtime.kind.value)
        return [_convert.job_from_info(i) for i in infos]

    def get_job(self, name: str) -> types.TrainJob:
        """See TrainerClient.get_job."""
        _validation.validate_job_name(name)
        return _convert.job_from_info(self._api.get_job(name))

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
        """See TrainerClient.get_job_logs."""
        _validation.validate_job_name(name)
        _validation.step_name(step)
        from kubeflow.trainer import _log_options

        options = _log_options.log_options(step, all_nodes, tail_lines, since_seconds, previous)
        if options.all_nodes:
            steps = self._node_steps(name, started_only=not follow)
        else:
            if follow:
                self._check_step_can_appear(name, step)
            steps = [step]
        stream = self._api.stream_job_logs(
            name,
            steps,
            follow=bool(follow),
            tail_lines=options.tail_lines,
            since_seconds=options.since_seconds,
            previous=options.previous,
        )
        lines = self._drain(stream)
        if follow:
            return lines
        # Without follow the first line is awaited here, so that a missing job or step raises
        # from this call (as the whole log once did) while the rest still streams.
        first = next(lines, None)
        return iter(()) if first is None else itertools.chain([first], lines)

    def _node_steps(self, name: str, started_only: bool) -> list[str]:
        """The job's node steps: all it will have (to follow), or those that have started."""
        job = self.get_job(name)
        if started_only:
            started = [
                s.name
                for s in job.steps
                if s.name.startswith(constants.NODE + "-") and s.status not in (None, "Pending")
            ]
            # None started: reading node-0 raises the error that says why.
            from kubeflow.trainer import _log_options

            return sorted(started, key=_log_options.node_index) or [constants.NODE + "-0"]
        # With mpirun a launcher runs besides the numNodes workers, as node-0.
        extra = 1 if _convert.launcher(job.runtime) == _core.Launcher.mpirun else 0
        return [f"{constants.NODE}-{i}" for i in range((job.num_nodes or 1) + extra)]

    def _check_step_can_appear(self, name: str, step: str) -> None:
        """Refuse a step the job can never have, which following would wait for forever."""
        job = self.get_job(name)
        known = {s.name for s in job.steps}
        # With mpirun a launcher runs besides the numNodes workers, as node-0.
        extra = 1 if _convert.launcher(job.runtime) == _core.Launcher.mpirun else 0
        nodes = [f"{constants.NODE}-{i}" for i in range((job.num_nodes or 0) + extra)]
        initializers = [constants.DATASET_INITIALIZER, constants.MODEL_INITIALIZER]
        if step in known or step in nodes or step in initializers:
            return
        raise ValidationError(
            f"TrainJob {name} has no step {step!r}: its steps are "
            f"{', '.join(sorted(known | set(nodes)))}",
            field="step",
            hint="pass one of the listed step names",
        )

    def _drain(self, stream: Any) -> Iterator[str]:
        try:
            # Lines cross from the core in batches (one GIL round trip each), not one by one.
            while batch := stream.next_batch():
                yield from batch
        finally:
            _close_soon(stream)

    def get_job_events(self, name: str) -> list[types.Event]:
        """See TrainerClient.get_job_events."""
        _validation.validate_job_name(name)
        return [_convert.event_from_info(e) for e in self._api.get_job_events(name)]

    def wait_for_job_status(
        self,
        name: str,
        status: set[str] = {constants.TRAINJOB_COMPLETE},  # noqa: B006 - never mutated
        timeout: int = 600,
        polling_interval: int = 2,
        callbacks: list[Callable[[types.TrainJob], None]] | None = None,
        *,
        progress: bool | None = None,
    ) -> types.TrainJob:
        """See TrainerClient.wait_for_job_status."""
        _validation.validate_job_name(name)
        wanted = _validation.wait_arguments(status, timeout, polling_interval, WAITABLE_STATUSES)
        from kubeflow.trainer.display_wait import WaitDisplay

        live = WaitDisplay(name, progress)
        # A watch on the TrainJob and its pods replaces upstream's polling; polling_interval is
        # still validated for compatibility but not needed. Each change the watch delivers
        # redraws the live display and reaches the callbacks.
        deadline = time.monotonic() + timeout
        last_status = "Unknown"
        stream = self._api.watch_job(name)
        try:
            while True:
                remaining = deadline - time.monotonic()
                info = stream.next(remaining) if remaining > 0 else None
                if info is None:
                    raise JobTimeoutError(
                        f"Timeout waiting for TrainJob {name} to reach status: {sorted(wanted)} "
                        f"(last status: {last_status})",
                        name=name,
                    )
                job = _convert.job_from_info(info)
                last_status = job.status
                live.update(job)
                for callback in callbacks or []:
                    callback(job)
                if job.status == constants.TRAINJOB_FAILED and (
                    constants.TRAINJOB_FAILED not in wanted
                ):
                    detail = f": {info.message}" if info.message else ""
                    raise JobFailedError(f"TrainJob {name} is Failed{detail}", name=name)
                if job.status in wanted:
                    return job
        finally:
            live.close()
            _close_soon(stream)

    def delete_job(self, name: str) -> None:
        """See TrainerClient.delete_job."""
        _validation.validate_job_name(name)
        self._api.delete_job(name)

    # Training Operator v1 ----------------------------------------------------------------------

    def list_v1_jobs(self, kind: str | None = None) -> list[V1Job]:
        """See TrainerClient.list_v1_jobs."""
        if kind is not None:
            _validation.require_str(kind, "kind")
        from kubeflow.trainer.backends.kubernetes import v1

        return [v1.v1_job_from_info(i) for i in self._api.list_v1_jobs(kind)]

    def get_v1_job(self, name: str, kind: str) -> V1Job:
        """See TrainerClient.get_v1_job."""
        _validation.require_str(name, "name")
        _validation.require_str(kind, "kind")
        from kubeflow.trainer.backends.kubernetes import v1

        return v1.v1_job_from_info(self._api.get_v1_job(kind, name))

    def get_v1_job_logs(self, name: str, kind: str, step: str | None = None) -> Iterator[str]:
        """See TrainerClient.get_v1_job_logs."""
        if step is None:
            steps = self.get_v1_job(name, kind).steps
            if not steps:
                raise ValidationError(
                    f"{kind} {name} has no pods yet, so no logs", field="step", name=name
                )
            step = steps[0].name
        _validation.require_str(step, "step")
        return iter(self._api.get_v1_job_logs(kind, name, step))

    def get_v1_job_manifest(
        self, name: str, kind: str, allow_mxjob: bool = False
    ) -> dict[str, Any]:
        """See TrainerClient.get_v1_job_manifest."""
        _validation.require_str(name, "name")
        _validation.require_str(kind, "kind")
        manifest: dict[str, Any] = self._api.stored_v1_job_manifest(kind, name, allow_mxjob)
        return manifest

    def migrate_v1_job(self, name: str, kind: str, allow_mxjob: bool = False) -> Migration:
        """See TrainerClient.migrate_v1_job."""
        job = self.get_v1_job_manifest(name, kind, allow_mxjob=allow_mxjob is True)
        from kubeflow.trainer.backends.kubernetes.migration import migrate_v1_jobs

        return migrate_v1_jobs(job, allow_mxjob=allow_mxjob)

    def create_migration(self, migration: Migration, dry_run: bool = False) -> list[dict[str, Any]]:
        """See TrainerClient.create_migration."""
        from kubeflow.trainer.types.v1 import Migration

        if not isinstance(migration, Migration):
            raise ValidationError(
                f"migration must be a Migration, got {type(migration).__name__}",
                field="migration",
                hint="pass the result of migrate_v1_jobs() or migrate_v1_job()",
            )
        if not isinstance(dry_run, bool):
            raise ValidationError(
                f"dry_run must be True or False, got {dry_run!r}", field="dry_run"
            )
        return [self._api.create_migrated(m, dry_run) for m in migration.manifests]

    @property
    def request_count(self) -> int:
        """HTTP requests made by this backend so far."""
        return int(self._api.request_count)
