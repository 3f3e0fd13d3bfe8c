"""Public dataclasses and enums of the Trainer SDK (upstream's names, fields and defaults)."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from kubeflow.common.constants import UNKNOWN
from kubeflow.trainer.constants import constants


@dataclass
class CustomTrainer:
    """A training function run on every node of the runtime.

    Args:
        func: The function to run. Its source is shipped, so it must be self-contained: import
            inside the function what it uses.
        func_args: Keyword arguments for ``func``; their ``repr`` must be valid Python.
        image: Container image overriding the runtime's trainer image.
        packages_to_install: Python packages pip-installs before ``func`` runs.
        pip_index_urls: Package indexes; the first is ``--index-url``, the rest extra indexes.
        num_nodes: Number of training nodes; the runtime's default when None.
        resources_per_node: Resources per node, e.g. ``{"gpu": 4, "cpu": 5, "memory": "10G"}``.
        env: Environment variables for the training containers.
    """

    func: Callable[..., Any]
    func_args: dict[str, Any] | None = None
    image: str | None = None
    packages_to_install: list[str] | None = None
    pip_index_urls: list[str] = field(
        default_factory=lambda: list(constants.DEFAULT_PIP_INDEX_URLS)
    )
    num_nodes: int | None = None
    resources_per_node: dict[str, Any] | None = None
    env: dict[str, str] | None = None


@dataclass
class CustomTrainerContainer:
    """A training container image run with its own entrypoint on every node.

    Args:
        image: The container image (required).
        num_nodes: Number of training nodes; the runtime's default when None.
        resources_per_node: Resources per node, same keys as ``CustomTrainer``.
        env: Environment variables for the training containers.
    """

    image: str
    num_nodes: int | None = None
    resources_per_node: dict[str, Any] | None = None
    env: dict[str, str] | None = None


class DataType(Enum):
    """Precision used by TorchTune recipes."""

    BF16 = "bf16"
    FP32 = "fp32"


class Loss(Enum):
    """Loss functions for TorchTune recipes."""

    CEWithChunkedOutputLoss = "torchtune.modules.loss.CEWithChunkedOutputLoss"


class DataFormat(Enum):
    """Dataset file formats understood by TorchTune's instruct dataset."""

    JSON = "json"
    CSV = "csv"
    PARQUET = "parquet"
    ARROW = "arrow"
    TEXT = "text"
    XML = "xml"


@dataclass
class LoraConfig:
    """LoRA fine-tuning settings for TorchTune."""

    apply_lora_to_mlp: bool | None = None
    apply_lora_to_output: bool | None = None
    lora_attn_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "v_proj", "output_proj"]
    )
    lora_rank: int | None = None
    lora_alpha: int | None = None
    lora_dropout: float | None = None
    quantize_base: bool | None = None
    use_dora: bool | None = None


@dataclass
class TorchTuneInstructDataset:
    """Preprocessing of an instruct dataset for TorchTune."""

    source: DataFormat | None = None
    split: str | None = None
    train_on_input: bool | None = None
    new_system_prompt: str | None = None
    column_map: dict[str, str] | None = None


@dataclass
class TorchTuneConfig:
    """Configuration of the TorchTune LLM fine-tuning BuiltinTrainer."""

    dtype: DataType | None = None
    batch_size: int | None = None
    epochs: int | None = None
    loss: Loss | None = None
    num_nodes: int | None = None
    peft_config: LoraConfig | None = None
    dataset_preprocess_config: TorchTuneInstructDataset | None = None
    resources_per_node: dict[str, Any] | None = None


@dataclass
class BuiltinTrainer:
    """A trainer whose code ships in the runtime image (TorchTune)."""

    config: TorchTuneConfig


# Upstream derives this from the annotation name of BuiltinTrainer.config.
TORCH_TUNE = "torchtune"


class TrainerType(Enum):
    """Which trainer class a runtime accepts."""

    CUSTOM_TRAINER = CustomTrainer.__name__
    BUILTIN_TRAINER = BuiltinTrainer.__name__


class RuntimeKind(Enum):
    """Scope of a training runtime."""

    CLUSTER_TRAINING_RUNTIME = "ClusterTrainingRuntime"
    TRAINING_RUNTIME = "TrainingRuntime"


@dataclass
class RuntimeTrainer:
    """The trainer a runtime provides: type, framework, image, node count and devices."""

    trainer_type: TrainerType
    framework: str
    image: str
    num_nodes: int = 1
    device: str = UNKNOWN
    device_count: str = UNKNOWN
    __command: tuple[str, ...] = field(init=False, repr=False, default=())

    @property
    def command(self) -> tuple[str, ...]:
        """The command template used to launch a CustomTrainer's function."""
        return self.__command

    def set_command(self, command: tuple[str, ...]) -> None:
        """Set the launch command template."""
        self.__command = command


@dataclass
class Runtime:
    """A TrainingRuntime or ClusterTrainingRuntime.

    Its ``repr`` is one short line; in a notebook it renders as a table (``_repr_html_``).
    """

    name: str
    trainer: RuntimeTrainer
    kind: RuntimeKind
    pretrained_model: str | None = None

    def __repr__(self) -> str:
        from kubeflow.trainer import display

        return display.runtime_repr(self)

    def _repr_html_(self) -> str:
        from kubeflow.trainer import display

        return display.runtimes_html([self])


@dataclass
class Step:
    """One step (pod or process) of a TrainJob.

    ``waiting_reason`` and ``waiting_message`` are ours: why the pod is not running (yet), e.g.
    ``Unschedulable`` with the scheduler's message or ``ImagePullBackOff``; empty when nothing
    holds it back. They change from one moment to the next, so ``==`` ignores them.
    """

    name: str
    status: str | None
    pod_name: str
    device: str = UNKNOWN
    device_count: str = UNKNOWN
    waiting_reason: str = field(default="", compare=False)
    waiting_message: str = field(default="", compare=False)

    def __repr__(self) -> str:
        from kubeflow.trainer import display

        return display.step_repr(self)

    def _repr_html_(self) -> str:
        from kubeflow.trainer import display

        return display.steps_html([self])


@dataclass
class Condition:
    """One condition of a TrainJob's status (ours: upstream does not expose them)."""

    type: str
    status: str
    reason: str = ""
    message: str = ""
    last_transition_time: datetime | None = None


@dataclass
class TrainerStatus:
    """What the training code reported (``status.trainerStatus``, Trainer v2.2+ with the
    ``TrainJobStatus`` feature gate; see ``update_trainjob_status``). Ours."""

    progress_percentage: int | None = None
    estimated_remaining_seconds: int | None = None
    metrics: dict[str, str] = field(default_factory=dict)
    last_updated_time: datetime | None = None


@dataclass
class TrainJob:
    """A TrainJob as seen by the SDK.

    ``conditions``, ``trainer_status`` and ``queue_name`` (the Kueue LocalQueue of its
    ``kueue.x-k8s.io/queue-name`` label) are ours, after upstream's fields, defaulted. Its
    ``repr`` is one short line; in a notebook it renders as a table (``_repr_html_``).
    """

    name: str
    runtime: Runtime
    steps: list[Step]
    num_nodes: int
    creation_timestamp: datetime
    status: str = UNKNOWN
    conditions: list[Condition] = field(default_factory=list)
    trainer_status: TrainerStatus | None = None
    queue_name: str | None = None

    def __repr__(self) -> str:
        from kubeflow.trainer import display

        return display.trainjob_repr(self)

    def _repr_html_(self) -> str:
        from kubeflow.trainer import display

        return display.trainjob_html(self)


@dataclass
class Event:
    """A Kubernetes event about a TrainJob or one of its parts."""

    involved_object_kind: str
    involved_object_name: str
    message: str
    reason: str
    event_time: datetime

    def __repr__(self) -> str:
        from kubeflow.trainer import display

        return display.event_repr(self)

    def _repr_html_(self) -> str:
        from kubeflow.trainer import display

        return display.events_html([self])


class _ShownAsTable:
    """Mixed into the list types below: a plain ``list`` (``==``, pickling, ``copy``,
    ``isinstance(x, list)`` and slicing as usual) that a notebook shows as one table and
    ``print`` as an aligned text table. ``repr`` stays a list's."""

    def __str__(self) -> str:
        from kubeflow.trainer import display

        return display.list_text(self)  # type: ignore[arg-type]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # IPython's terminal shell: the text table instead of one long list repr.
        printer.text("[...]" if cycle else str(self))

    def _repr_html_(self) -> str:
        from kubeflow.trainer import display

        return display.list_html(self)  # type: ignore[arg-type]


class RuntimeList(_ShownAsTable, list[Runtime]):
    """What ``list_runtimes`` returns: a ``list[Runtime]`` shown as a table. Ours."""


class TrainJobList(_ShownAsTable, list[TrainJob]):
    """What ``list_jobs`` returns: a ``list[TrainJob]`` shown as a table. Ours."""


class EventList(_ShownAsTable, list[Event]):
    """What ``get_job_events`` returns: a ``list[Event]`` shown as a table. Ours."""


class StepList(_ShownAsTable, list[Step]):
    """``TrainJob.steps`` as the backends fill it: a ``list[Step]`` shown as a table. Ours."""


@dataclass
class BaseInitializer(abc.ABC):
    """Common fields of dataset and model initializers."""

    storage_uri: str


@dataclass
class HuggingFaceDatasetInitializer(BaseInitializer):
    """Download a dataset from HuggingFace (``hf://``).

    Attributes:
        ignore_patterns: File patterns the initializer skips.
        access_token: A HuggingFace token, sent as a plain env value in the TrainJob; anyone who
            can read the TrainJob can read it. Prefer ``secret_ref``.
        secret_ref: The name of a Secret in the job's namespace whose keys become the
            initializer's environment (e.g. ``ACCESS_TOKEN``); the token never enters the
            TrainJob. Ours: upstream has no such field.
    """

    ignore_patterns: list[str] | None = None
    access_token: str | None = field(default=None, repr=False)
    secret_ref: str | None = None


@dataclass
class HuggingFaceModelInitializer(BaseInitializer):
    """Download a model from HuggingFace (``hf://``).

    Attributes:
        ignore_patterns: File patterns the initializer skips (weights in formats other than
            safetensors by default).
        access_token: A HuggingFace token, sent as a plain env value in the TrainJob. Prefer
            ``secret_ref``.
        secret_ref: The name of a Secret in the job's namespace whose keys become the
            initializer's environment (e.g. ``ACCESS_TOKEN``). Ours: upstream has no such field.
    """

    ignore_patterns: list[str] | None = field(
        default_factory=lambda: list(constants.INITIALIZER_DEFAULT_IGNORE_PATTERNS)
    )
    access_token: str | None = field(default=None, repr=False)
    secret_ref: str | None = None


def _require_s3(storage_uri: str) -> None:
    if not storage_uri.startswith("s3://"):
        raise ValueError(
            f"storage_uri must start with 's3://', got {storage_uri!r}: "
            "use an S3 URI such as 's3://bucket/path'"
        )


@dataclass
class S3DatasetInitializer(BaseInitializer):
    """Download a dataset from S3 (``s3://``).

    ``access_key_id`` and ``secret_access_key`` go into the TrainJob as plain env values;
    prefer ``secret_ref``, the name of a Secret in the job's namespace whose keys
    (``ACCESS_KEY_ID``, ``SECRET_ACCESS_KEY``, ...) become the initializer's environment. The
    secret key is never shown in a repr.
    """

    ignore_patterns: list[str] | None = None
    endpoint: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    region: str | None = None
    role_arn: str | None = None
    secret_ref: str | None = None

    def __post_init__(self) -> None:
        _require_s3(self.storage_uri)


@dataclass
class S3ModelInitializer(BaseInitializer):
    """Download a model from S3 (``s3://``).

    ``access_key_id`` and ``secret_access_key`` go into the TrainJob as plain env values;
    prefer ``secret_ref``, the name of a Secret in the job's namespace whose keys
    (``ACCESS_KEY_ID``, ``SECRET_ACCESS_KEY``, ...) become the initializer's environment. The
    secret key is never shown in a repr.
    """

    ignore_patterns: list[str] | None = field(
        default_factory=lambda: list(constants.INITIALIZER_DEFAULT_IGNORE_PATTERNS)
    )
    endpoint: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    region: str | None = None
    role_arn: str | None = None
    secret_ref: str | None = None

    def __post_init__(self) -> None:
        _require_s3(self.storage_uri)


@dataclass
class DataCacheInitializer(BaseInitializer):
    """Serve a dataset from the distributed data cache (``cache://<SCHEMA>/<TABLE>``)."""

    metadata_loc: str
    num_data_nodes: int
    head_cpu: str | None = None
    head_mem: str | None = None
    worker_cpu: str | None = None
    worker_mem: str | None = None
    iam_role: str | None = None

    def __post_init__(self) -> None:
        if self.num_data_nodes <= 1:
            raise ValueError(f"num_data_nodes must be greater than 1, got {self.num_data_nodes}")
        if not self.storage_uri.startswith("cache://"):
            raise ValueError(f"storage_uri must start with 'cache://', got {self.storage_uri!r}")
        parts = self.storage_uri[len("cache://") :].split("/")
        if len(parts) != 2 or not all(parts):
            raise ValueError(
                f"storage_uri must be 'cache://<SCHEMA>/<TABLE>', got {self.storage_uri!r}"
            )


@dataclass
class Initializer:
    """Dataset and model initializers that run before training."""

    dataset: HuggingFaceDatasetInitializer | S3DatasetInitializer | DataCacheInitializer | None = (
        None
    )
    model: HuggingFaceModelInitializer | S3ModelInitializer | None = None


@dataclass
class TrainJobTemplate:
    """Arguments of ``TrainerClient.train`` kept for reuse (``train(**template)``)."""

    trainer: CustomTrainer
    runtime: str | Runtime | None = None
    initializer: Initializer | None = None

    def keys(self) -> list[str]:
        """The argument names, so that ``**template`` works."""
        return ["trainer", "runtime", "initializer"]

    def __getitem__(self, key: str) -> object:
        return getattr(self, key)
