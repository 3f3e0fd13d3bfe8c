"""Configuration types of the container (Docker/Podman) backend, kept for API compatibility."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class TrainingRuntimeSource:
    """Where the container backend reads runtime definitions from, in priority order."""

    sources: list[str] = field(default_factory=lambda: ["github://kubeflow/trainer"])


@dataclass
class ContainerBackendConfig:
    """Run TrainJobs as local Docker or Podman containers (upstream's fields)."""

    pull_policy: str = "IfNotPresent"
    auto_remove: bool = True
    container_host: str | None = None
    container_runtime: Literal["docker", "podman"] | None = None
    runtime_source: TrainingRuntimeSource = field(default_factory=TrainingRuntimeSource)
    dataset_initializer_image: str = "ghcr.io/kubeflow/trainer/dataset-initializer:latest"
    model_initializer_image: str = "ghcr.io/kubeflow/trainer/model-initializer:latest"
    initializer_timeout: int = 600
