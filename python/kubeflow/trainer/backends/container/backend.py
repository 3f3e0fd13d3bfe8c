"""ContainerBackend: run each node of a TrainJob as a Docker or Podman container.

A job is a network of its own (``<job>-net``) plus one container per node
(``<job>-node-<rank>``) on it, so nodes reach node 0 by its container name, as pods reach each
other by DNS name on Kubernetes. Everything a job is (name, runtime, node count, work
directory, creation time) is written in labels on the network and the containers, so every
method works from any client of the same engine: another notebook, a restarted kernel, a shell.
See ``docs/container-backend.md``.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kubeflow.trainer import _log_options, _validation
from kubeflow.trainer.backends import controller_env
from kubeflow.trainer.backends.base import RuntimeBackend
from kubeflow.trainer.backends.container import detect, runtimes
from kubeflow.trainer.backends.container import status as job_status
from kubeflow.trainer.backends.container.engine import Engine
from kubeflow.trainer.backends.container.errors import ContainerEngineError, ImageNotFoundError
from kubeflow.trainer.backends.container.logs import merged_lines
from kubeflow.trainer.backends.container.types import ContainerBackendConfig
from kubeflow.trainer.backends.kubernetes import trainer_spec
from kubeflow.trainer.constants import constants
from kubeflow.trainer.display_wait import WaitDisplay
from kubeflow.trainer.errors import (
    AlreadyExistsError,
    JobFailedError,
    JobTimeoutError,
    ValidationError,
)
from kubeflow.trainer.options._parts import collect
from kubeflow.trainer.types import types

logger = logging.getLogger(__name__)

#: How many log lines of the failed node a JobFailedError carries.
FAILURE_LOG_LINES = 10
#: Seconds a node gets between SIGTERM and SIGKILL on delete_job.
STOP_GRACE_SECONDS = 10
#: Where every node sees the job's work directory (shared by the nodes of the job).
WORKSPACE = constants.WORKSPACE_PATH


def workdir_root() -> Path:
    """The directory holding the jobs' work directories (as upstream's)."""
    return Path.home() / ".kubeflow" / "trainer" / "containers"


class ContainerBackend(RuntimeBackend):
    """Runs a ``CustomTrainer`` function in one container per node on Docker or Podman.

    Args:
        cfg: The backend configuration; defaults to ``ContainerBackendConfig()``.

    Raises:
        ContainerEngineError: (a ``RuntimeError``) no engine CLI is installed or none answers;
            the message lists what was tried and how to fix it.
    """

    def __init__(self, cfg: ContainerBackendConfig | None = None) -> None:
        self.cfg = cfg if cfg is not None else ContainerBackendConfig()
        self.pull_policy = detect.pull_policy(self.cfg.pull_policy)
        self.engine: Engine = detect.connect(self.cfg)

    # ------------------------------------------------------------------------------ runtimes
    def list_runtimes(self) -> list[types.Runtime]:
        """The runtimes this backend can run (names and images of Kubeflow Trainer's)."""
        return runtimes.list_runtimes()

    def get_runtime(self, name: str) -> types.Runtime:
        """The runtime ``name``; raises RuntimeNotFoundError (a ``ValueError``) if unknown."""
        return runtimes.get_runtime(name)

    def get_runtime_packages(self, runtime: types.Runtime) -> list[str] | None:
        """Not available: it would run the runtime's image, which is rarely present locally.

        Raises:
            NotImplementedError: always; run ``pip list`` in a CustomTrainer function instead.
        """
        raise NotImplementedError(
            "get_runtime_packages is not supported by ContainerBackend: train a function that "
            "prints `pip list` (or runs importlib.metadata) instead"
        )

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
        """Start ``trainer.func`` in one container per node and return the job's name.

        Raises:
            ValidationError: (a ``ValueError``) no CustomTrainer, an initializer, an unknown
                or unsupported runtime, a Kubernetes-only option, a bad argument.
            ImageNotFoundError: (a ``RuntimeError``) the image is absent and could not be
                pulled (or ``pull_policy`` is ``Never``).
            AlreadyExistsError: (a ``RuntimeError``) a job of that name exists on the engine.
            ContainerEngineError: (a ``RuntimeError``) the engine refused a command; whatever
                was created for the job is removed again.
        """
        if not isinstance(trainer, types.CustomTrainer):
            raise ValidationError(
                "ContainerBackend runs a CustomTrainer function, got "
                f"{type(trainer).__name__ if trainer is not None else None}",
                field="trainer",
                hint="pass trainer=CustomTrainer(func=...)",
            )
        if initializer is not None:
            raise ValidationError(
                "Initializers are not supported by ContainerBackend: download the dataset or "
                "model inside the training function (the nodes share /workspace), or run on "
                "Kubernetes",
                field="initializer",
            )
        resolved = runtimes.resolve(runtime)
        name = collect(options, trainer, self).name or _validation.generate_job_name()
        _validation.validate_job_name(name, "metadata.name")
        num_nodes = _validation.num_nodes(trainer.num_nodes, "trainer.num_nodes")
        num_nodes = num_nodes or resolved.trainer.num_nodes or 1
        env = _validation.env_map(trainer.env, "trainer.env") or {}
        resources = _validation.resources(trainer.resources_per_node, "trainer.resources_per_node")
        image = _validation.image(trainer.image, "trainer.image") or resolved.trainer.image
        framework = resolved.trainer.framework
        procs = _processes_per_node(resources)
        reserved = sorted(controller_env.reserved_names(framework) & env.keys())
        if reserved:
            raise ValidationError(
                f"trainer.env must not set {', '.join(reserved)}: the {framework} runtime "
                "injects them",
                field="trainer.env",
            )
        command = trainer_spec.command_for_function(
            "torchrun" if framework == runtimes.TORCH else "python",
            trainer.func,
            trainer.func_args,
            trainer.packages_to_install,
            trainer.pip_index_urls,
        )
        if resources:
            logger.info("ContainerBackend does not limit resources; ignoring %r", resources)
        if self._find(name):
            raise AlreadyExistsError(
                f"A TrainJob named {name} already exists on the container engine",
                status=409,
                reason="AlreadyExists",
                kind=constants.TRAINJOB_KIND,
                name=name,
                hint=f"delete it with delete_job({name!r}) or choose another Name",
            )
        self._ensure_image(image)

        workdir = workdir_root() / name
        network = f"{name}-net"
        labels = {
            job_status.JOB_LABEL: name,
            job_status.RUNTIME_LABEL: resolved.name,
            job_status.FRAMEWORK_LABEL: framework,
            job_status.KIND_LABEL: resolved.kind.value,
            job_status.IMAGE_LABEL: image,
            job_status.NODES_LABEL: str(num_nodes),
            job_status.WORKDIR_LABEL: str(workdir),
            job_status.CREATED_LABEL: datetime.now(timezone.utc).isoformat(),
        }
        created: list[str] = []
        network_made = False
        try:
            for rank in range(num_nodes):
                (workdir / f"{constants.NODE}-{rank}").mkdir(parents=True, exist_ok=True)
            self.engine.create_network(network, labels)
            network_made = True
            for rank in range(num_nodes):
                node = runtimes.node_name(name, rank)
                step = f"{constants.NODE}-{rank}"
                self.engine.run_container(
                    name=node,
                    image=image,
                    command=command,
                    network=network,
                    labels={**labels, job_status.STEP_LABEL: step},
                    env={**env, **runtimes.node_env(framework, name, num_nodes, rank, procs)},
                    mounts=[(str(workdir), WORKSPACE)],
                    # Each node writes the shipped file in a directory of its own: a shared one
                    # would let node 1 truncate the file while node 0's launcher reads it.
                    workdir=f"{WORKSPACE}/{step}",
                )
                created.append(node)
        except BaseException:
            # A network of that name that was not made here (the user's own) is left alone.
            self._remove(name, created, network if network_made else None, workdir)
            raise
        logger.info("Started TrainJob %s: %d container(s) on %s", name, num_nodes, network)
        return name

    def _ensure_image(self, image: str) -> None:
        policy = self.pull_policy
        present = policy != detect.PULL_ALWAYS and self.engine.image_exists(image)
        if present:
            return
        if policy == detect.PULL_NEVER:
            raise ImageNotFoundError(
                f"Image {image} is not in the {self.engine.kind} engine's storage and "
                "pull_policy is Never",
                image=image,
                field="trainer.image",
                hint=f"load or build it ({self.engine.kind} load -i IMAGE.tar, then "
                f"{self.engine.kind} tag), or set CustomTrainer.image to an image you have",
            )
        try:
            self.engine.pull(image)
        except ContainerEngineError as error:
            raise ImageNotFoundError(
                f"Image {image} is not in the {self.engine.kind} engine's storage and pulling it "
                f"failed: {error.message}",
                image=image,
                field="trainer.image",
                hint=f"check the registry is reachable, or load the image ({self.engine.kind} "
                "load -i IMAGE.tar) and tag it with this name, or set CustomTrainer.image",
            ) from None

    # ------------------------------------------------------------------------------ jobs
    def _find(self, name: str) -> job_status.JobRecord | None:
        records = job_status.records(self.engine, name)
        return records[0] if records else None

    def _record(self, name: str) -> job_status.JobRecord:
        _validation.validate_job_name(name)
        record = self._find(name)
        if record is None:
            raise runtimes.not_found(name)
        return record

    def list_jobs(self, runtime: types.Runtime | None = None) -> list[types.TrainJob]:
        """Every job on the engine (from any client), oldest first; or those of ``runtime``."""
        if runtime is not None and not isinstance(runtime, types.Runtime):
            raise ValidationError(
                f"runtime must be a Runtime or None, got {type(runtime).__name__}",
                field="runtime",
            )
        jobs = [r.to_trainjob() for r in job_status.records(self.engine)]
        if runtime is not None:
            jobs = [j for j in jobs if j.runtime.name == runtime.name]
        return sorted(jobs, key=lambda j: j.creation_timestamp)

    def get_job(self, name: str) -> types.TrainJob:
        """The job ``name`` with one step per node.

        Raises:
            ContainerJobNotFoundError: (a ``ValueError``) no such job on the engine.
        """
        return self._record(name).to_trainjob()

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
        """The log lines of one node (its stdout and stderr) or of every node, without line
        endings; with ``follow``, lines as they are written until the containers stop. With
        ``all_nodes`` each line starts with ``[node-<i>] `` and, following, the nodes' lines
        come as they are written. A node's container runs once, so ``previous`` is refused.

        Raises:
            ContainerJobNotFoundError: (a ``ValueError``) no such job.
            ValidationError: (a ``ValueError``) no such step (the message lists the steps), or
                a bad option.
        """
        _validation.step_name(step)
        options = _log_options.log_options(step, all_nodes, tail_lines, since_seconds, previous)
        if options.previous:
            raise ValidationError(
                "previous is not available on the container backend: a node's container is "
                "never restarted, so there is no previous run",
                field="previous",
            )
        record = self._record(name)
        steps = record.step_names() if options.all_nodes else [step]
        containers = [record.container_of(s) for s in steps]
        if not options.all_nodes and containers[0] is None:
            raise ValidationError(
                f"TrainJob {name} has no step {step!r}; its steps are: "
                f"{', '.join(record.step_names()) or 'none yet'}",
                field="step",
            )
        window = (options.tail_lines, options.since_seconds)
        prefixes = [f"[{s}] " if options.all_nodes else "" for s in steps]
        sources = list(zip(prefixes, containers, strict=True))
        if follow:
            streams = [(p, self.engine.follow_logs(c, *window)) for p, c in sources if c]
            return streams[0][1] if not options.all_nodes else merged_lines(streams)
        return (
            prefix + line
            for prefix, container in sources
            if container
            for line in self.engine.logs(container, *window).splitlines()
        )

    def get_job_events(self, name: str) -> list[types.Event]:
        """The engine's events about the job's containers (create, start, died...), oldest
        first. Ours: upstream raises NotImplementedError.

        Raises:
            ContainerJobNotFoundError: (a ``ValueError``) no such job.
        """
        record = self._record(name)
        since = record.created().timestamp() - 1
        events = []
        for event in self.engine.events(f"{job_status.JOB_LABEL}={name}", since):
            message = f"Container {event['name']}: {event['action']}"
            if event["exit_code"] is not None:
                message += f" (exit code {event['exit_code']})"
            events.append(
                types.Event(
                    involved_object_kind="Container",
                    involved_object_name=event["name"],
                    message=message,
                    reason=event["action"],
                    event_time=datetime.fromtimestamp(event["time"], tz=timezone.utc),
                )
            )
        return events

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
        """Poll the job until it reaches one of ``status`` and return it.

        The live display (``progress``, as in TrainerClient) is redrawn when the job changed,
        not at every poll.

        Raises:
            ValidationError: (a ``ValueError``) a bad status, timeout or polling interval.
            ContainerJobNotFoundError: (a ``ValueError``) no such job.
            JobFailedError: (a ``RuntimeError``) the job failed and Failed was not awaited; the
                message has the failed node, its exit code and its last log lines.
            JobTimeoutError: (a ``TimeoutError``) ``timeout`` seconds passed.
        """
        _validation.validate_job_name(name)
        wanted = _validation.wait_arguments(status, timeout, polling_interval, job_status.STATUSES)
        deadline = time.monotonic() + float(timeout)
        with WaitDisplay(name, progress) as live:
            shown: types.TrainJob | None = None
            while True:
                record = self._record(name)
                trainjob = record.to_trainjob()
                if trainjob != shown:
                    live.update(trainjob)
                    shown = trainjob
                for callback in callbacks or []:
                    callback(trainjob)
                if trainjob.status in wanted:
                    return trainjob
                if trainjob.status == constants.TRAINJOB_FAILED:
                    raise self._failure(record)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise JobTimeoutError(
                        f"Timeout waiting for TrainJob {name} to reach status {sorted(wanted)}: "
                        f"it is {trainjob.status}",
                        name=name,
                    )
                time.sleep(min(float(polling_interval), left))

    def _failure(self, record: job_status.JobRecord) -> JobFailedError:
        step, container, exit_code = record.failed_node()
        try:
            tail = self.engine.logs(container).splitlines()[-FAILURE_LOG_LINES:]
        except ContainerEngineError:
            tail = []
        text = "\n".join("  " + line for line in tail) or "  (no output)"
        return JobFailedError(
            f"TrainJob {record.name} is Failed: {step} exited with code {exit_code}. "
            f"Last lines of {step}:\n{text}",
            name=record.name,
            step=step,
            exit_code=exit_code,
            log_tail=tail,
            hint=f"all logs: get_job_logs({record.name!r}, step=...)",
        )

    def delete_job(self, name: str) -> None:
        """Stop and remove the job's containers and network, and its work directory when
        ``auto_remove`` is set.

        Raises:
            ContainerJobNotFoundError: (a ``ValueError``) no such job.
            ContainerEngineError: (a ``RuntimeError``) a container or the network could not be
                removed; the message names it.
        """
        record = self._record(name)
        workdir = record.workdir
        self._remove(
            name,
            record.container_names(),
            record.network or f"{name}-net",
            Path(workdir) if workdir else None,
        )
        logger.info("Deleted TrainJob %s", name)

    def _remove(
        self, name: str, containers: list[str], network: str | None, workdir: Path | None
    ) -> None:
        self.engine.stop_and_remove(containers, STOP_GRACE_SECONDS)
        if network is not None:
            self.engine.remove_network(network)
        # Only a directory this backend made for this job: a label is not trusted with rmtree.
        if (
            self.cfg.auto_remove
            and workdir is not None
            and workdir == workdir_root() / name
            and workdir.is_dir()
        ):
            shutil.rmtree(workdir)


def _processes_per_node(resources: dict[str, Any] | None) -> int:
    """torchrun's processes per node: the GPU count when one is asked for, else 1 (as upstream;
    no GPU is attached to the containers)."""
    for key in ("gpu", constants.GPU_LABEL):
        value = (resources or {}).get(key)
        if value is not None:
            try:
                return max(1, int(str(value)))
            except ValueError:
                return 1
    return 1


__all__ = ["ContainerBackend"]
