"""The runtimes the container backend knows: those Kubeflow Trainer ships that run a
``CustomTrainer`` function on plain nodes, with the same names and images.

Upstream reads runtime definitions from GitHub at run time; this backend carries the table of the
Trainer release the SDK is tested against instead (no network access needed, nothing to go
stale in a cache). The framework decides the launcher and the environment every node gets, as
the Trainer controller's ML policy plugins do on Kubernetes.
"""

from __future__ import annotations

from kubeflow.common.constants import UNKNOWN
from kubeflow.trainer.backends import controller_env
from kubeflow.trainer.backends.container.errors import ContainerJobNotFoundError
from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import NotFoundError, ValidationError
from kubeflow.trainer.types import types

TORCH = controller_env.TORCH
JAX = controller_env.JAX
XGBOOST = controller_env.XGBOOST
#: The port of the rendezvous (torch), the coordinator (JAX) or the tracker (XGBoost) on node 0,
#: as on Kubernetes.
MASTER_PORT = 29500

#: name -> (framework, image) of Kubeflow Trainer v2.3.0's ClusterTrainingRuntimes that take a
#: CustomTrainer without MPI.
_RUNTIMES: dict[str, tuple[str, str]] = {
    "torch-distributed": (TORCH, "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime"),
    "jax-distributed": (JAX, "nvcr.io/nvidia/jax:25.10-py3"),
    "xgboost-distributed": (XGBOOST, "ghcr.io/kubeflow/trainer/xgboost-runtime:v2.3.0"),
}


class RuntimeNotFoundError(NotFoundError, ValueError):
    """No runtime of that name is known to the container backend."""


def _make(name: str) -> types.Runtime:
    framework, image = _RUNTIMES[name]
    trainer = types.RuntimeTrainer(
        trainer_type=types.TrainerType.CUSTOM_TRAINER,
        framework=framework,
        image=image,
        num_nodes=1,
        device=UNKNOWN,
        device_count=UNKNOWN,
    )
    trainer.set_command(
        constants.TORCH_COMMAND if framework == TORCH else constants.DEFAULT_COMMAND
    )
    return types.Runtime(
        name=name, trainer=trainer, kind=types.RuntimeKind.CLUSTER_TRAINING_RUNTIME
    )


def list_runtimes() -> list[types.Runtime]:
    """Fresh Runtime objects, one per known runtime."""
    return [_make(name) for name in _RUNTIMES]


def get_runtime(name: str) -> types.Runtime:
    """The runtime ``name``.

    Raises:
        RuntimeNotFoundError: (a ``ValueError``) unknown name; the message lists the known ones.
    """
    if name not in _RUNTIMES:
        raise RuntimeNotFoundError(
            f"Runtime '{name}' not found. Container runtimes: {', '.join(_RUNTIMES)}",
            status=404,
            reason="NotFound",
            kind="ClusterTrainingRuntime",
            name=str(name),
        )
    return _make(name)


def resolve(runtime: str | types.Runtime | None) -> types.Runtime:
    """``train``'s ``runtime`` argument as a Runtime: None is torch-distributed, a name is looked
    up, a Runtime (e.g. one listed by a Kubernetes client) is used as given.

    Raises:
        RuntimeNotFoundError, ValidationError: unknown name, wrong type, or a framework this
            backend cannot launch (the message says which ones it can).
    """
    if runtime is None:
        resolved = get_runtime(constants.DEFAULT_TRAINING_RUNTIME)
    elif isinstance(runtime, str):
        resolved = get_runtime(runtime)
    elif isinstance(runtime, types.Runtime):
        resolved = runtime
    else:
        raise ValidationError(
            f"runtime must be a runtime name, a Runtime or None, got {type(runtime).__name__}",
            field="runtime",
        )
    trainer = resolved.trainer
    if trainer.trainer_type != types.TrainerType.CUSTOM_TRAINER or trainer.framework not in (
        TORCH,
        JAX,
        XGBOOST,
    ):
        raise ValidationError(
            f"Runtime '{resolved.name}' ({trainer.framework}) cannot run on the container "
            f"backend: it runs CustomTrainer functions of the {', '.join(_RUNTIMES)} runtimes "
            "(MPI launchers and TorchTune need a Kubernetes cluster)",
            field="runtime",
        )
    return resolved


def node_env(framework: str, job: str, num_nodes: int, rank: int, procs: int) -> dict[str, str]:
    """The variables the Trainer controller injects into node ``rank`` of a job, with node 0's
    container name as the master address (containers of a job resolve each other by name).

    Args:
        framework: ``torch``, ``jax`` or ``xgboost``.
        job: The job name.
        num_nodes: Number of nodes (containers).
        rank: This node's index.
        procs: Processes per node (torchrun's ``--nproc-per-node``).
    """
    return controller_env.injected_env(
        framework,
        num_nodes=num_nodes,
        procs_per_node=procs,
        node_rank=rank,
        # One launcher per node container, as in a node pod: JAX and XGBoost ranks are nodes.
        process_rank=rank,
        process_count=num_nodes,
        master_addr=node_name(job, 0),
        master_port=MASTER_PORT,
    )


def node_name(job: str, rank: int) -> str:
    """The container (and host) name of node ``rank``: ``<job>-node-<rank>``."""
    return f"{job}-{constants.NODE}-{rank}"


def not_found(name: str) -> ContainerJobNotFoundError:
    """The error for a job that has neither a network nor a container."""
    return ContainerJobNotFoundError(
        f"No TrainJob with name {name} on the container engine",
        status=404,
        reason="NotFound",
        kind=constants.TRAINJOB_KIND,
        name=name,
        hint="list_jobs() shows the jobs of this engine",
    )
