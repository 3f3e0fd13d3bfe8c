"""The runtimes the local process backend knows, and which of them it can run.

The names are those of the ClusterTrainingRuntimes shipped with Kubeflow Trainer, so that code
written against a cluster finds the same names here. Not all of them can be emulated on one
machine; :func:`check_runnable` says why for those that cannot.
"""

from __future__ import annotations

from kubeflow.common.constants import UNKNOWN
from kubeflow.trainer.backends import controller_env
from kubeflow.trainer.backends.localprocess.errors import RuntimeNotFoundError
from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.types import types

LOCAL_IMAGE = "local"
LOCAL_DEVICE = "cpu"
LOCAL_COMMAND = ("python", "-u")

TORCH = controller_env.TORCH
JAX = controller_env.JAX
XGBOOST = controller_env.XGBOOST
DEEPSPEED = "deepspeed"
MLX = "mlx"

#: (name, framework, trainer type) of every runtime listed by the local backend.
_RUNTIMES: tuple[tuple[str, str, types.TrainerType], ...] = (
    ("torch-distributed", TORCH, types.TrainerType.CUSTOM_TRAINER),
    ("deepspeed-distributed", DEEPSPEED, types.TrainerType.CUSTOM_TRAINER),
    ("mlx-distributed", MLX, types.TrainerType.CUSTOM_TRAINER),
    ("jax-distributed", JAX, types.TrainerType.CUSTOM_TRAINER),
    ("xgboost-distributed", XGBOOST, types.TrainerType.CUSTOM_TRAINER),
    ("torchtune-llama3.2-1b", types.TORCH_TUNE, types.TrainerType.BUILTIN_TRAINER),
    ("torchtune-llama3.2-3b", types.TORCH_TUNE, types.TrainerType.BUILTIN_TRAINER),
    ("torchtune-qwen2.5-1.5b", types.TORCH_TUNE, types.TrainerType.BUILTIN_TRAINER),
)

#: Frameworks whose runtimes start the function through mpirun on a launcher pod.
MPI_FRAMEWORKS = frozenset({DEEPSPEED, MLX})


def _make_runtime(name: str, framework: str, trainer_type: types.TrainerType) -> types.Runtime:
    trainer = types.RuntimeTrainer(
        trainer_type=trainer_type,
        framework=framework,
        image=LOCAL_IMAGE,
        num_nodes=1,
        device=LOCAL_DEVICE,
        device_count=UNKNOWN,
    )
    if trainer_type == types.TrainerType.BUILTIN_TRAINER:
        trainer.set_command(constants.TORCH_TUNE_COMMAND)
    elif framework in MPI_FRAMEWORKS:
        trainer.set_command(constants.MPI_COMMAND)
    else:
        trainer.set_command(LOCAL_COMMAND)
    return types.Runtime(name=name, trainer=trainer, kind=types.RuntimeKind.TRAINING_RUNTIME)


def runtime_names() -> list[str]:
    """Names of the local runtimes, in listing order."""
    return [name for name, _, _ in _RUNTIMES]


def list_runtimes() -> list[types.Runtime]:
    """Fresh ``Runtime`` objects for every local runtime (callers may mutate them)."""
    return [_make_runtime(*entry) for entry in _RUNTIMES]


def get_runtime(name: str) -> types.Runtime:
    """The local runtime called ``name``.

    Raises:
        RuntimeNotFoundError: (a ``ValueError``) no local runtime has that name.
    """
    for entry in _RUNTIMES:
        if entry[0] == name:
            return _make_runtime(*entry)
    raise RuntimeNotFoundError(
        f"Runtime '{name}' not found. Local runtimes: {', '.join(runtime_names())}",
        status=404,
        reason="NotFound",
        kind="TrainingRuntime",
        name=str(name),
    )


def resolve(runtime: str | types.Runtime | None) -> types.Runtime:
    """Turn ``train``'s ``runtime`` argument into a Runtime.

    None means ``DEFAULT_TRAINING_RUNTIME`` (torch-distributed); a name must be a local runtime; a
    ``Runtime`` object (for instance one listed by a Kubernetes client) is used as given, so that
    its framework decides the environment of the processes.

    Raises:
        RuntimeNotFoundError: an unknown name.
        ValidationError: ``runtime`` is neither None, a str nor a Runtime.
    """
    if runtime is None:
        return get_runtime(constants.DEFAULT_TRAINING_RUNTIME)
    if isinstance(runtime, str):
        return get_runtime(runtime)
    if isinstance(runtime, types.Runtime):
        return runtime
    raise ValidationError(
        f"runtime must be a runtime name, a Runtime or None, got {type(runtime).__name__}",
        field="runtime",
    )


def check_runnable(runtime: types.Runtime) -> None:
    """Raise when the local backend cannot emulate ``runtime``.

    Raises:
        ValidationError: (a ``ValueError``) a BuiltinTrainer (TorchTune) runtime, or an MPI
            runtime (DeepSpeed, MLX); the message names the runtime and the reason.
    """
    trainer = runtime.trainer
    if (
        trainer.trainer_type == types.TrainerType.BUILTIN_TRAINER
        or trainer.framework == types.TORCH_TUNE
    ):
        raise ValidationError(
            f"Runtime '{runtime.name}' is a BuiltinTrainer (TorchTune) runtime: it runs "
            "'tune run' in the torchtune image after dataset and model initializers have "
            "downloaded the data and the model, which LocalProcessBackend cannot do. Run it on "
            "a Kubernetes cluster, or use a CustomTrainer with the torch-distributed runtime",
            field="runtime",
        )
    if trainer.framework in MPI_FRAMEWORKS:
        raise ValidationError(
            f"Runtime '{runtime.name}' ({trainer.framework}) starts the training function with "
            "mpirun from a launcher pod that reaches the node pods over SSH (OpenMPI); "
            "LocalProcessBackend cannot emulate MPI. Use torch-distributed locally (DeepSpeed "
            "can initialise from the torch.distributed environment), or run this runtime on a "
            "Kubernetes cluster",
            field="runtime",
        )
