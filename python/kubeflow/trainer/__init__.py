"""Kubeflow Trainer SDK: run distributed training on Kubernetes or on this machine.

The package is lazy (PEP 562): ``import kubeflow.trainer`` loads no submodule, and each public
name imports its module on first access. A notebook kernel or a CLI that imports the SDK pays
only for what it touches (``from kubeflow.trainer import TrainerClient, CustomTrainer`` loads the
client and the dataclasses, not the v1 types, manifests or migration). ``__all__``, ``dir()``,
type checkers and IDEs see every name as before (the imports under ``TYPE_CHECKING``). No
``from __future__ import annotations`` here: it would load ``__future__``, the one module a bare
``import kubeflow.trainer`` can otherwise do without.
"""

from kubeflow.trainer import _lazy

# typing.TYPE_CHECKING without importing typing (a few ms); type checkers read the name as True.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from kubeflow.common.types import KubernetesBackendConfig
    from kubeflow.trainer.api.trainer_client import TrainerClient
    from kubeflow.trainer.backends.container.types import (
        ContainerBackendConfig,
        TrainingRuntimeSource,
    )
    from kubeflow.trainer.backends.kubernetes.manifests import manifest_from_yaml, manifest_to_yaml
    from kubeflow.trainer.backends.kubernetes.migration import migrate_v1_jobs
    from kubeflow.trainer.backends.kubernetes.utils import (
        get_tpu_num_nodes,
        update_trainjob_status,
    )
    from kubeflow.trainer.backends.localprocess.types import LocalProcessBackendConfig
    from kubeflow.trainer.constants.constants import DATASET_PATH, MODEL_PATH
    from kubeflow.trainer.types.types import (
        BuiltinTrainer,
        CustomTrainer,
        CustomTrainerContainer,
        DataCacheInitializer,
        DataFormat,
        DataType,
        Event,
        HuggingFaceDatasetInitializer,
        HuggingFaceModelInitializer,
        Initializer,
        LoraConfig,
        Loss,
        Runtime,
        RuntimeKind,
        RuntimeTrainer,
        S3DatasetInitializer,
        S3ModelInitializer,
        Step,
        TorchTuneConfig,
        TorchTuneInstructDataset,
        TrainerType,
        TrainJob,
        TrainJobTemplate,
    )
    from kubeflow.trainer.types.v1 import Migration, MigrationNote, V1Job, V1ReplicaSpec

__all__ = [
    "DATASET_PATH",
    "MODEL_PATH",
    "BuiltinTrainer",
    "ContainerBackendConfig",
    "CustomTrainer",
    "CustomTrainerContainer",
    "DataCacheInitializer",
    "DataFormat",
    "DataType",
    "Event",
    "HuggingFaceDatasetInitializer",
    "HuggingFaceModelInitializer",
    "Initializer",
    "KubernetesBackendConfig",
    "LocalProcessBackendConfig",
    "LoraConfig",
    "Loss",
    "Migration",
    "MigrationNote",
    "Runtime",
    "RuntimeKind",
    "RuntimeTrainer",
    "S3DatasetInitializer",
    "S3ModelInitializer",
    "Step",
    "TorchTuneConfig",
    "TorchTuneInstructDataset",
    "TrainJob",
    "TrainJobTemplate",
    "TrainerClient",
    "TrainerType",
    "TrainingRuntimeSource",
    "V1Job",
    "V1ReplicaSpec",
    "get_tpu_num_nodes",
    "manifest_from_yaml",
    "manifest_to_yaml",
    "migrate_v1_jobs",
    "update_trainjob_status",
]

# Where each public name lives (the same modules as the TYPE_CHECKING imports above; a unit test
# checks that the two agree and that every name of __all__ resolves).
_TYPES = "kubeflow.trainer.types.types"
_V1 = "kubeflow.trainer.types.v1"
_K8S = "kubeflow.trainer.backends.kubernetes"
_LAZY: dict[str, str] = {
    "KubernetesBackendConfig": "kubeflow.common.types",
    "TrainerClient": "kubeflow.trainer.api.trainer_client",
    "ContainerBackendConfig": "kubeflow.trainer.backends.container.types",
    "TrainingRuntimeSource": "kubeflow.trainer.backends.container.types",
    "manifest_from_yaml": f"{_K8S}.manifests",
    "manifest_to_yaml": f"{_K8S}.manifests",
    "migrate_v1_jobs": f"{_K8S}.migration",
    "get_tpu_num_nodes": f"{_K8S}.utils",
    "update_trainjob_status": f"{_K8S}.utils",
    "LocalProcessBackendConfig": "kubeflow.trainer.backends.localprocess.types",
    "DATASET_PATH": "kubeflow.trainer.constants.constants",
    "MODEL_PATH": "kubeflow.trainer.constants.constants",
    **dict.fromkeys(("Migration", "MigrationNote", "V1Job", "V1ReplicaSpec"), _V1),
    **dict.fromkeys(
        (
            "BuiltinTrainer",
            "CustomTrainer",
            "CustomTrainerContainer",
            "DataCacheInitializer",
            "DataFormat",
            "DataType",
            "Event",
            "HuggingFaceDatasetInitializer",
            "HuggingFaceModelInitializer",
            "Initializer",
            "LoraConfig",
            "Loss",
            "Runtime",
            "RuntimeKind",
            "RuntimeTrainer",
            "S3DatasetInitializer",
            "S3ModelInitializer",
            "Step",
            "TorchTuneConfig",
            "TorchTuneInstructDataset",
            "TrainerType",
            "TrainJob",
            "TrainJobTemplate",
        ),
        _TYPES,
    ),
}


# Submodules the eager package used to load, reached as attributes (``kubeflow.trainer.errors``).
_SUBMODULES = ("api", "backends", "constants", "errors", "types")
_submodule = _lazy.submodules(__name__, _SUBMODULES)

# Hidden from type checkers: with a module __getattr__ in sight they would accept any name
# (``from kubeflow.trainer import Typo``); the imports above give them the real ones.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> "Any":
        """Import the module of a public name on first access and cache the name here."""
        module = _LAZY.get(name)
        if module is None:
            return _submodule(name)  # a submodule, else AttributeError
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later accesses skip this function
        return value


def __dir__() -> list[str]:
    """Every public name and subpackage, loaded or not, besides the module's own attributes."""
    return sorted({*globals(), *__all__, *_SUBMODULES})
