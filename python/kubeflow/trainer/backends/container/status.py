"""A container job read back from the engine: its labels, its containers, and their status.

Nothing is kept in memory or in files between calls: the labels of the job's network and
containers are its whole record, so any client of the same engine sees the same jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from kubeflow.common.constants import UNKNOWN
from kubeflow.trainer.backends.container import runtimes
from kubeflow.trainer.backends.container.engine import Engine
from kubeflow.trainer.constants import constants
from kubeflow.trainer.types import types

_PREFIX = "trainer.kubeflow.org/"
JOB_LABEL = _PREFIX + "trainjob-name"
STEP_LABEL = _PREFIX + "step"
RUNTIME_LABEL = _PREFIX + "runtime-name"
KIND_LABEL = _PREFIX + "runtime-kind"
FRAMEWORK_LABEL = _PREFIX + "framework"
IMAGE_LABEL = _PREFIX + "image"
NODES_LABEL = _PREFIX + "num-nodes"
WORKDIR_LABEL = _PREFIX + "workdir"
CREATED_LABEL = _PREFIX + "created"

CREATED = constants.TRAINJOB_CREATED
RUNNING = constants.TRAINJOB_RUNNING
COMPLETE = constants.TRAINJOB_COMPLETE
FAILED = constants.TRAINJOB_FAILED
#: What ``wait_for_job_status`` may wait for.
STATUSES = (CREATED, RUNNING, COMPLETE, FAILED)


@dataclass
class Node:
    """One container of a job."""

    name: str
    step: str
    state: str
    exit_code: int | None

    @property
    def status(self) -> str:
        """The step's status, mapped from the engine's container state."""
        if self.state in ("running", "paused"):
            return RUNNING
        if self.state in ("created", "configured", "initialized"):
            return CREATED
        if self.state in ("exited", "stopped"):
            return COMPLETE if self.exit_code == 0 else FAILED
        return UNKNOWN


def _rank(step: str) -> int:
    tail = step.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else -1


@dataclass
class JobRecord:
    """A job as the engine shows it: the network's labels (else a container's) and its nodes."""

    name: str
    labels: dict[str, str]
    network: str | None
    nodes: list[Node] = field(default_factory=list)

    @property
    def workdir(self) -> str | None:
        """The host work directory recorded at creation."""
        return self.labels.get(WORKDIR_LABEL)

    def num_nodes(self) -> int:
        """The node count asked for at creation (else the containers seen)."""
        text = self.labels.get(NODES_LABEL, "")
        return int(text) if text.isdigit() else len(self.nodes)

    def step_names(self) -> list[str]:
        """The steps in rank order."""
        return [n.step for n in self._sorted()]

    def container_names(self) -> list[str]:
        """The names of the job's containers."""
        return [n.name for n in self.nodes]

    def container_of(self, step: str) -> str | None:
        """The container running ``step``, or None."""
        return next((n.name for n in self.nodes if n.step == step), None)

    def _sorted(self) -> list[Node]:
        return sorted(self.nodes, key=lambda n: _rank(n.step))

    def status(self) -> str:
        """The job's status from its nodes' (as upstream): any Failed → Failed, else any
        Running → Running, else all known Complete → Complete, else Created. Ours: Complete only
        once every node has a container, so a job still being created is never Complete."""
        statuses = [n.status for n in self.nodes]
        if FAILED in statuses:
            return FAILED
        if RUNNING in statuses:
            return RUNNING
        known = [s for s in statuses if s != UNKNOWN]
        if known and all(s == COMPLETE for s in known) and len(self.nodes) >= self.num_nodes():
            return COMPLETE
        if CREATED in statuses or len(self.nodes) < self.num_nodes():
            return CREATED
        return UNKNOWN

    def failed_node(self) -> tuple[str, str, int | None]:
        """(step, container, exit code) of the first failed node in rank order."""
        for node in self._sorted():
            if node.status == FAILED:
                return node.step, node.name, node.exit_code
        first = self._sorted()[0] if self.nodes else None
        return (first.step, first.name, first.exit_code) if first else ("node-0", "", None)

    def runtime(self) -> types.Runtime:
        """The runtime recorded at creation (a built-in one when the name and framework match)."""
        name = self.labels.get(RUNTIME_LABEL, UNKNOWN)
        framework = self.labels.get(FRAMEWORK_LABEL, UNKNOWN)
        try:
            known = runtimes.get_runtime(name)
        except ValueError:
            known = None
        if known is not None and known.trainer.framework == framework:
            return known
        kind_text = self.labels.get(KIND_LABEL, "")
        kind = (
            types.RuntimeKind(kind_text)
            if kind_text in {k.value for k in types.RuntimeKind}
            else types.RuntimeKind.TRAINING_RUNTIME
        )
        trainer = types.RuntimeTrainer(
            trainer_type=types.TrainerType.CUSTOM_TRAINER,
            framework=framework,
            image=self.labels.get(IMAGE_LABEL, UNKNOWN),
        )
        return types.Runtime(name=name, trainer=trainer, kind=kind)

    def created(self) -> datetime:
        """The creation time recorded at creation (else the epoch)."""
        try:
            return datetime.fromisoformat(self.labels.get(CREATED_LABEL, ""))
        except ValueError:
            return datetime.fromtimestamp(0, tz=timezone.utc)

    def to_trainjob(self) -> types.TrainJob:
        """The public TrainJob: one step per node, in rank order."""
        steps = [
            types.Step(name=n.step, status=n.status, pod_name=n.name, device="cpu")
            for n in self._sorted()
        ]
        return types.TrainJob(
            name=self.name,
            runtime=self.runtime(),
            steps=steps,
            num_nodes=self.num_nodes(),
            creation_timestamp=self.created(),
            status=self.status(),
        )


def _node(item: dict[str, Any]) -> tuple[str, Node] | None:
    config = item.get("Config") or {}
    labels = config.get("Labels") or {}
    job = labels.get(JOB_LABEL)
    if not job:
        return None
    state = item.get("State") or {}
    status = str(state.get("Status", "")).lower()
    code = state.get("ExitCode")
    return job, Node(
        name=str(item.get("Name", "")).lstrip("/"),
        step=labels.get(STEP_LABEL, ""),
        state=status,
        exit_code=int(code) if isinstance(code, int) else None,
    )


def records(engine: Engine, name: str | None = None) -> list[JobRecord]:
    """Every job on ``engine`` (or the job ``name`` only), from network and container labels."""
    selector = JOB_LABEL if name is None else f"{JOB_LABEL}={name}"
    found: dict[str, JobRecord] = {}
    for network in engine.networks(selector):
        labels = {str(k): str(v) for k, v in network["labels"].items()}
        job = labels.get(JOB_LABEL)
        if job:
            found[job] = JobRecord(name=job, labels=labels, network=network["name"])
    for item in engine.containers(selector):
        parsed = _node(item)
        if parsed is None:
            continue
        job, node = parsed
        if job not in found:
            labels = dict(((item.get("Config") or {}).get("Labels")) or {})
            found[job] = JobRecord(name=job, labels=labels, network=None)
        found[job].nodes.append(node)
    return [found[k] for k in sorted(found)]
