"""Kubeflow Trainer SDK: run distributed training on Kubernetes or on this machine."""

from __future__ import annotations

from kubeflow.common.types import KubernetesBackendConfig
from kubeflow.trainer.api.trainer_client import TrainerClient
from kubeflow.trainer.backends.container.types import ContainerBackendConfig, TrainingRuntimeSource
from kubeflow.trainer.backends.kubernetes.manifests import manifest_from_yaml, manifest_to_yaml
from kubeflow.trainer.backends.kubernetes.migration import migrate_v1_jobs
from kubeflow.trainer.backends.kubernetes.utils import get_tpu_num_nodes, update_trainjob_status
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
