"""TrainerClient: the entry point of the Trainer SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

from kubeflow.common import utils as common_utils
from kubeflow.common.types import KubernetesBackendConfig
from kubeflow.trainer.constants import constants
from kubeflow.trainer.types import types

# Only what construction needs is imported above: the backend interface, the other backends'
# configs, the v1 types and logging load when used (the import-cost test lists what stays out).
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from kubeflow.trainer.backends.base import RuntimeBackend
    from kubeflow.trainer.backends.container.types import ContainerBackendConfig
    from kubeflow.trainer.backends.localprocess.types import LocalProcessBackendConfig
    from kubeflow.trainer.types.v1 import Migration, V1Job

    BackendConfig = KubernetesBackendConfig | LocalProcessBackendConfig | ContainerBackendConfig


class TrainerClient:
    """Create, inspect and manage TrainJobs on a cluster or on this machine."""

    def __init__(self, backend_config: BackendConfig | None = None) -> None:
        """Choose the backend from the type of ``backend_config``.

        Args:
            backend_config: ``KubernetesBackendConfig`` (the default),
                ``LocalProcessBackendConfig`` or ``ContainerBackendConfig``. With no config and
                no kubeconfig or in-cluster service account on this machine, the local process
                backend is used (upstream fails instead).

        Raises:
            ValueError: the config is of an unknown type.
            kubeflow.trainer.errors.ConfigError: the kubeconfig is missing or malformed.
        """
        if not backend_config:
            if common_utils.kubeconfig_available():
                backend_config = KubernetesBackendConfig()
            else:
                import logging

                from kubeflow.trainer.backends.localprocess.types import LocalProcessBackendConfig

                logging.getLogger(__name__).info(
                    "No kubeconfig or in-cluster config found: using the local backend"
                )
                backend_config = LocalProcessBackendConfig()

        self.backend: RuntimeBackend
        if isinstance(backend_config, KubernetesBackendConfig):
            from kubeflow.trainer.backends.kubernetes.backend import KubernetesBackend

            self.backend = KubernetesBackend(backend_config)
            return
        from kubeflow.trainer.backends.container.types import ContainerBackendConfig
        from kubeflow.trainer.backends.localprocess.types import LocalProcessBackendConfig

        if isinstance(backend_config, LocalProcessBackendConfig):
            from kubeflow.trainer.backends.localprocess.backend import LocalProcessBackend

            self.backend = LocalProcessBackend(backend_config)
        elif isinstance(backend_config, ContainerBackendConfig):
            from kubeflow.trainer.backends.container.backend import ContainerBackend

            self.backend = ContainerBackend(backend_config)
        else:
            raise ValueError(f"Invalid backend config '{backend_config}'")

    def list_runtimes(self) -> list[types.Runtime]:
        """List the training runtimes; a namespaced runtime hides a cluster one of that name.

        Raises:
            TimeoutError: the API did not answer in time.
            RuntimeError: the API call failed (an ``ApiError`` subclass says why).
        """
        return types.RuntimeList(self.backend.list_runtimes())

    def get_runtime(self, name: str) -> types.Runtime:
        """Get a runtime by name: the namespaced TrainingRuntime, else the cluster one.

        Raises:
            TimeoutError, RuntimeError: as for ``list_runtimes``; ``NotFoundError`` when neither
                exists.
        """
        return self.backend.get_runtime(name=name)

    def get_runtime_packages(self, runtime: types.Runtime) -> list[str] | None:
        """Print the Python packages (and GPUs) available in a runtime's trainer image.

        Raises:
            ValueError: the runtime is a BuiltinTrainer runtime.
            RuntimeError: the probing job failed.
        """
        return self.backend.get_runtime_packages(runtime=runtime)

    def train(
        self,
        runtime: str | types.Runtime | None = None,
        initializer: types.Initializer | None = None,
        trainer: (
            types.CustomTrainer | types.CustomTrainerContainer | types.BuiltinTrainer | None
        ) = None,
        options: list[Any] | None = None,
    ) -> str:
        """Create a TrainJob and return its name.

        Args:
            runtime: Runtime name or object; ``DEFAULT_TRAINING_RUNTIME`` (torch-distributed)
                when None.
            initializer: Dataset and model initializers.
            trainer: ``CustomTrainer``, ``CustomTrainerContainer`` or ``BuiltinTrainer``.
            options: Options such as ``Name``, ``Labels`` or ``RuntimePatch``.

        Raises:
            ValueError: an argument is invalid (the message names the field).
            TimeoutError, RuntimeError: the API call failed.
        """
        return self.backend.train(
            runtime=runtime, initializer=initializer, trainer=trainer, options=options
        )

    @overload
    def list_jobs(
        self, runtime: types.Runtime | None = None, *, include_v1: Literal[False] = False
    ) -> list[types.TrainJob]: ...

    @overload
    def list_jobs(
        self, runtime: types.Runtime | None = None, *, include_v1: bool
    ) -> list[types.TrainJob | V1Job]: ...

    def list_jobs(
        self, runtime: types.Runtime | None = None, *, include_v1: bool = False
    ) -> list[types.TrainJob] | list[types.TrainJob | V1Job]:
        """List the TrainJobs in the namespace, optionally only those using ``runtime``.

        The list is a plain ``list`` that a notebook shows as a table (so does ``print``); with
        ``include_v1`` it is an ordinary list.

        Args:
            runtime: Only the TrainJobs of this runtime.
            include_v1: Ours. Also list the Training Operator v1 jobs (PyTorchJob, TFJob, ...)
                of every kind whose CRD the cluster serves, after the TrainJobs; kinds that are
                not installed are skipped. Costs one request per v1 kind and one for their
                pods; without it nothing about v1 is requested.
        """
        jobs = types.TrainJobList(self.backend.list_jobs(runtime=runtime))
        if include_v1 is not True:
            return jobs
        from kubeflow.trainer.errors import NotFoundError

        try:
            v1_jobs = self.backend.list_v1_jobs()
        except NotFoundError:
            return jobs  # no v1 kind is installed
        mixed: list[types.TrainJob | V1Job] = [*jobs, *v1_jobs]
        return mixed

    def list_v1_jobs(self, kind: str | None = None) -> list[V1Job]:
        """List the Training Operator v1 jobs in the namespace. Ours.

        Args:
            kind: ``PyTorchJob``, ``TFJob``, ``XGBoostJob``, ``JAXJob``, ``PaddleJob`` or
                ``MPIJob`` (singular or plural, any case); None: every kind the cluster serves.

        Raises:
            ValidationError: an unknown kind; for ``MXJob``, why it is gone and the ways forward.
            NotFoundError: the kind's CRD (or, for None, every v1 CRD) is not installed; the
                message names it.
        """
        return self.backend.list_v1_jobs(kind=kind)

    def get_v1_job(self, name: str, kind: str) -> V1Job:
        """Get one Training Operator v1 job with its steps (pods). Ours.

        Raises:
            ValidationError: as for ``list_v1_jobs``.
            NotFoundError: no such job, or its CRD is not installed (the message says which).
        """
        return self.backend.get_v1_job(name=name, kind=kind)

    def get_v1_job_logs(self, name: str, kind: str, step: str | None = None) -> Iterator[str]:
        """Yield the log lines of one step of a v1 job (``master-0``, ``worker-1``; default: its
        first step), read from the framework container (``pytorch``, ``tensorflow``, ...). Ours.
        """
        return self.backend.get_v1_job_logs(name=name, kind=kind, step=step)

    def get_v1_job_manifest(
        self, name: str, kind: str, allow_mxjob: bool = False
    ) -> dict[str, Any]:
        """A v1 job as the cluster stores it (with apiVersion and kind). Ours.

        ``allow_mxjob`` reads an MXJob too, for ``migrate_v1_jobs(..., allow_mxjob=True)``.
        """
        return self.backend.get_v1_job_manifest(name=name, kind=kind, allow_mxjob=allow_mxjob)

    def migrate_v1_job(self, name: str, kind: str, allow_mxjob: bool = False) -> Migration:
        """Read a v1 job from the cluster and convert it (see ``kubeflow.trainer.
        migrate_v1_jobs``); nothing is created. Ours."""
        return self.backend.migrate_v1_job(name=name, kind=kind, allow_mxjob=allow_mxjob)

    def create_migration(self, migration: Migration, dry_run: bool = False) -> list[dict[str, Any]]:
        """Create the manifests of a Migration in order (each generated TrainingRuntime before
        its TrainJob), with strict field validation. Ours.

        Args:
            migration: From ``migrate_v1_jobs`` or ``migrate_v1_job``.
            dry_run: Only validate them on the API server (``dryRun=All``): schema, strict field
                validation and admission webhooks; nothing is stored.

        Returns:
            The objects as the server answered, in order.

        Raises:
            ValueError: the server refused one (``InvalidError`` names the field); the ones
                before it were created.
        """
        return self.backend.create_migration(migration=migration, dry_run=dry_run)

    def get_job(self, name: str) -> types.TrainJob:
        """Get a TrainJob with its steps and status."""
        return self.backend.get_job(name=name)

    def get_job_logs(
        self,
        name: str,
        step: str = constants.NODE + "-0",
        follow: bool | None = False,
        *,
        all_nodes: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        previous: bool = False,
    ) -> Iterator[str]:
        """Yield the log lines of one step (``node-0`` by default), or of every node.

        Lines come without their line ending, as upstream's Kubernetes backend yields them:
        print them with ``print(line)`` (see docs/logs.md). Memory stays bounded however long
        the log is: lines are read as a stream, and a line over 64 KiB is cut.

        Args:
            name: The TrainJob.
            step: The step to read, ``node-<i>``, ``dataset-initializer`` or
                ``model-initializer``.
            follow: Keep yielding lines as they are written until the step ends; waits for a
                step that has not started yet.
            all_nodes: Read every node instead of ``step``; each line starts with
                ``[node-<i>]`` and a space. Following, the nodes' lines are merged as they arrive;
                otherwise node after node.
            tail_lines: Only the last N lines of each log.
            since_seconds: Only the lines written in the last N seconds (Kubernetes and container
                backends; the local backend refuses it).
            previous: The log of the container's previous run, after it restarted
                (Kubernetes only).

        Raises:
            ValidationError: (a ``ValueError``) a bad option, or ``all_nodes`` with a ``step``.
            NotFoundError: the job, or (without follow) a started step, does not exist.
        """
        return self.backend.get_job_logs(
            name=name,
            follow=follow,
            step=step,
            all_nodes=all_nodes,
            tail_lines=tail_lines,
            since_seconds=since_seconds,
            previous=previous,
        )

    def get_job_events(self, name: str) -> list[types.Event]:
        """List the events of a TrainJob and its JobSet, Jobs and Pods, oldest first."""
        return types.EventList(self.backend.get_job_events(name=name))

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
        """Wait until the TrainJob reaches one of ``status`` and return it.

        While waiting, a live line (a widget in a notebook) shows the job's phase, its nodes
        ready out of the total, the trainer's progress and ETA when it reports them, and what
        holds a job back that is not running (unschedulable, image pull, Kueue quota). It
        changes when the job does: the Kubernetes backend watches the TrainJob and its pods.

        Args:
            name: The TrainJob.
            status: The statuses to wait for.
            timeout: Seconds before ``TimeoutError``.
            polling_interval: Upstream's poll period; validated, unused by the watch.
            callbacks: Called with the TrainJob on every change.
            progress: Ours. True shows the live display, False never; None (the default) shows
                it only when the output is interactive (a terminal or a Jupyter kernel).

        Raises:
            ValueError: bad ``status``, ``timeout`` or ``polling_interval``.
            RuntimeError: the job reached Failed and Failed was not awaited.
            TimeoutError: ``timeout`` seconds passed.
        """
        # The backend checks the arguments (kubeflow.trainer._validation.wait_arguments).
        return self.backend.wait_for_job_status(
            name=name,
            status=status,
            timeout=timeout,
            polling_interval=polling_interval,
            callbacks=callbacks,
            progress=progress,
        )

    def delete_job(self, name: str) -> None:
        """Delete a TrainJob."""
        return self.backend.delete_job(name=name)

    def build_job_manifest(
        self,
        runtime: str | types.Runtime | None = None,
        initializer: types.Initializer | None = None,
        trainer: (
            types.CustomTrainer | types.CustomTrainerContainer | types.BuiltinTrainer | None
        ) = None,
        options: list[Any] | None = None,
        *,
        validate_on_server: bool = False,
    ) -> dict[str, Any]:
        """The TrainJob ``train`` would create with the same arguments, without creating it.

        Ours (upstream has no dry run). Render it with ``manifest_to_yaml``; create it later,
        unchanged or edited, with ``submit_job``.

        Args:
            runtime, initializer, trainer, options: As for ``train``.
            validate_on_server: Send it to the API server as a dry run (``dryRun=All``): the
                schema and the admission webhooks (e.g. the Trainer's TrainJob validator) check
                it and the answer carries the server's defaults. Nothing is stored.

        Returns:
            The manifest: apiVersion, kind, metadata (name, namespace, labels, annotations)
            and spec.

        Raises:
            ValueError: an argument is invalid, or the server refused the TrainJob.
            TimeoutError, RuntimeError: a call to the API server failed.
        """
        return self.backend.build_job_manifest(
            runtime=runtime,
            initializer=initializer,
            trainer=trainer,
            options=options,
            validate_on_server=validate_on_server,
        )

    def get_job_manifest(self, name: str) -> dict[str, Any]:
        """The TrainJob ``name`` as the cluster stores it: metadata, spec and status, what
        ``kubectl get trainjob -o json`` shows. Ours.

        Raises:
            ValueError: ``name`` is not a valid TrainJob name.
            RuntimeError: no such TrainJob (``NotFoundError``), or the call failed.
        """
        return self.backend.get_job_manifest(name=name)

    def submit_job(self, manifest: Mapping[str, Any] | str) -> str:
        """Create the TrainJob of a manifest and return its name. Ours.

        Args:
            manifest: A ``trainer.kubeflow.org/v1alpha1`` TrainJob with a ``metadata.name``, as
                a dict or as YAML or JSON text (e.g. from ``build_job_manifest`` or
                ``manifest_to_yaml``). Fields the server sets on an object read back (status,
                uid, resourceVersion, creationTimestamp, generation, managedFields) are dropped,
                so a job's own manifest can be submitted again under a new name.

        Raises:
            ValueError: not a TrainJob manifest (the field is named), a namespace other than
                the client's, or the server refused it.
            TimeoutError, RuntimeError: the call to the API server failed.
        """
        return self.backend.submit_job(manifest=manifest)
