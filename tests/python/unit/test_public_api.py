"""The public surface matches upstream kubeflow 0.5 (kubeflow-sdk.md §2.2, §3.2, §5): import
paths, dataclass fields (names, order, defaults) and TrainerClient signatures."""

from __future__ import annotations

import abc
import dataclasses
import enum
import inspect

import pytest

import kubeflow.trainer
from kubeflow.trainer import TrainerClient, options
from kubeflow.trainer.constants import constants
from kubeflow.trainer.types import types

REQUIRED = object()  # marks a field without a default

# §2.2: kubeflow.trainer's __all__ upstream.
TOP_LEVEL = {
    "TrainerClient",
    "CustomTrainer",
    "CustomTrainerContainer",
    "BuiltinTrainer",
    "TorchTuneConfig",
    "TorchTuneInstructDataset",
    "LoraConfig",
    "DataFormat",
    "DataType",
    "Loss",
    "Initializer",
    "HuggingFaceDatasetInitializer",
    "HuggingFaceModelInitializer",
    "S3DatasetInitializer",
    "S3ModelInitializer",
    "DataCacheInitializer",
    "Runtime",
    "RuntimeKind",
    "RuntimeTrainer",
    "TrainerType",
    "TrainJobTemplate",
    "Event",
    "DATASET_PATH",
    "MODEL_PATH",
    "LocalProcessBackendConfig",
    "ContainerBackendConfig",
    "KubernetesBackendConfig",
    "TrainingRuntimeSource",
    "get_tpu_num_nodes",
    "update_trainjob_status",
}

OPTIONS = {
    "Name",
    "ActiveDeadlineSeconds",
    "Annotations",
    "Labels",
    "TrainerCommand",
    "TrainerArgs",
    "RuntimePatch",
    "TrainingRuntimeSpecPatch",
    "JobSetTemplatePatch",
    "JobSetSpecPatch",
    "ReplicatedJobPatch",
    "JobTemplatePatch",
    "JobSpecPatch",
    "PodTemplatePatch",
    "PodSpecPatch",
    "ContainerPatch",
}

IGNORE = ["*.msgpack", "*.h5", "*.bin", "*.pt", "*.pth"]

# (class, [(field, default)], a constructor call with upstream's required arguments).
# Only init fields are listed; each list is in declaration order.
DATACLASSES = [
    (
        types.CustomTrainer,
        [
            ("func", REQUIRED),
            ("func_args", None),
            ("image", None),
            ("packages_to_install", None),
            ("pip_index_urls", list(constants.DEFAULT_PIP_INDEX_URLS)),
            ("num_nodes", None),
            ("resources_per_node", None),
            ("env", None),
        ],
        lambda: types.CustomTrainer(func=print),
    ),
    (
        types.CustomTrainerContainer,
        [("image", REQUIRED), ("num_nodes", None), ("resources_per_node", None), ("env", None)],
        lambda: types.CustomTrainerContainer(image="img"),
    ),
    (
        types.BuiltinTrainer,
        [("config", REQUIRED)],
        lambda: types.BuiltinTrainer(config=types.TorchTuneConfig()),
    ),
    (
        types.TorchTuneConfig,
        [
            ("dtype", None),
            ("batch_size", None),
            ("epochs", None),
            ("loss", None),
            ("num_nodes", None),
            ("peft_config", None),
            ("dataset_preprocess_config", None),
            ("resources_per_node", None),
        ],
        types.TorchTuneConfig,
    ),
    (
        types.LoraConfig,
        [
            ("apply_lora_to_mlp", None),
            ("apply_lora_to_output", None),
            ("lora_attn_modules", ["q_proj", "v_proj", "output_proj"]),
            ("lora_rank", None),
            ("lora_alpha", None),
            ("lora_dropout", None),
            ("quantize_base", None),
            ("use_dora", None),
        ],
        types.LoraConfig,
    ),
    (
        types.TorchTuneInstructDataset,
        [
            ("source", None),
            ("split", None),
            ("train_on_input", None),
            ("new_system_prompt", None),
            ("column_map", None),
        ],
        types.TorchTuneInstructDataset,
    ),
    (
        types.RuntimeTrainer,
        [
            ("trainer_type", REQUIRED),
            ("framework", REQUIRED),
            ("image", REQUIRED),
            ("num_nodes", 1),
            ("device", "Unknown"),
            ("device_count", "Unknown"),
        ],
        lambda: types.RuntimeTrainer(
            trainer_type=types.TrainerType.CUSTOM_TRAINER, framework="torch", image="img"
        ),
    ),
    (
        types.Runtime,
        [("name", REQUIRED), ("trainer", REQUIRED), ("kind", REQUIRED), ("pretrained_model", None)],
        lambda: types.Runtime(
            "r",
            types.RuntimeTrainer(types.TrainerType.CUSTOM_TRAINER, "torch", "img"),
            types.RuntimeKind.CLUSTER_TRAINING_RUNTIME,
        ),
    ),
    (
        types.Step,
        [
            ("name", REQUIRED),
            ("status", REQUIRED),
            ("pod_name", REQUIRED),
            ("device", "Unknown"),
            ("device_count", "Unknown"),
            ("waiting_reason", ""),  # ours, after upstream's and defaulted
            ("waiting_message", ""),
        ],
        lambda: types.Step("node-0", "Running", "pod"),
    ),
    (
        types.TrainJob,
        [
            ("name", REQUIRED),
            ("runtime", REQUIRED),
            ("steps", REQUIRED),
            ("num_nodes", REQUIRED),
            ("creation_timestamp", REQUIRED),
            ("status", "Unknown"),
            ("conditions", []),  # ours, after upstream's and defaulted
            ("trainer_status", None),
            ("queue_name", None),
        ],
        None,
    ),
    (
        types.Event,
        [
            ("involved_object_kind", REQUIRED),
            ("involved_object_name", REQUIRED),
            ("message", REQUIRED),
            ("reason", REQUIRED),
            ("event_time", REQUIRED),
        ],
        None,
    ),
    (
        types.HuggingFaceDatasetInitializer,
        [
            ("storage_uri", REQUIRED),
            ("ignore_patterns", None),
            ("access_token", None),
            ("secret_ref", None),  # ours, last and defaulted: upstream calls still work
        ],
        lambda: types.HuggingFaceDatasetInitializer(storage_uri="hf://dataset"),
    ),
    (
        types.HuggingFaceModelInitializer,
        [
            ("storage_uri", REQUIRED),
            ("ignore_patterns", IGNORE),
            ("access_token", None),
            ("secret_ref", None),
        ],
        lambda: types.HuggingFaceModelInitializer(storage_uri="hf://user/model"),
    ),
    (
        types.S3DatasetInitializer,
        [
            ("storage_uri", REQUIRED),
            ("ignore_patterns", None),
            ("endpoint", None),
            ("access_key_id", None),
            ("secret_access_key", None),
            ("region", None),
            ("role_arn", None),
            ("secret_ref", None),
        ],
        lambda: types.S3DatasetInitializer(storage_uri="s3://bucket/data"),
    ),
    (
        types.S3ModelInitializer,
        [
            ("storage_uri", REQUIRED),
            ("ignore_patterns", IGNORE),
            ("endpoint", None),
            ("access_key_id", None),
            ("secret_access_key", None),
            ("region", None),
            ("role_arn", None),
            ("secret_ref", None),
        ],
        lambda: types.S3ModelInitializer(storage_uri="s3://bucket/model"),
    ),
    (
        types.DataCacheInitializer,
        [
            ("storage_uri", REQUIRED),
            ("metadata_loc", REQUIRED),
            ("num_data_nodes", REQUIRED),
            ("head_cpu", None),
            ("head_mem", None),
            ("worker_cpu", None),
            ("worker_mem", None),
            ("iam_role", None),
        ],
        lambda: types.DataCacheInitializer(
            storage_uri="cache://schema/table", metadata_loc="s3://bucket/meta", num_data_nodes=2
        ),
    ),
    (types.Initializer, [("dataset", None), ("model", None)], types.Initializer),
    (
        types.TrainJobTemplate,
        [("trainer", REQUIRED), ("runtime", None), ("initializer", None)],
        lambda: types.TrainJobTemplate(trainer=types.CustomTrainer(func=print)),
    ),
    (
        kubeflow.trainer.KubernetesBackendConfig,
        [
            ("namespace", None),
            ("config_file", None),
            ("context", None),
            ("client_configuration", None),
        ],
        kubeflow.trainer.KubernetesBackendConfig,
    ),
    (
        kubeflow.trainer.TrainingRuntimeSource,
        [("sources", ["github://kubeflow/trainer"])],
        kubeflow.trainer.TrainingRuntimeSource,
    ),
    (options.Name, [("name", REQUIRED)], lambda: options.Name("n")),
    (options.Labels, [("labels", REQUIRED)], lambda: options.Labels({"a": "b"})),
    (options.Annotations, [("annotations", REQUIRED)], lambda: options.Annotations({"a": "b"})),
    (options.TrainerCommand, [("command", REQUIRED)], lambda: options.TrainerCommand(["x"])),
    (options.TrainerArgs, [("args", REQUIRED)], lambda: options.TrainerArgs(["x"])),
    (
        options.ActiveDeadlineSeconds,
        [("seconds", REQUIRED)],
        lambda: options.ActiveDeadlineSeconds(60),
    ),
    (options.RuntimePatch, [("training_runtime_spec", None)], options.RuntimePatch),
    (options.TrainingRuntimeSpecPatch, [("template", None)], options.TrainingRuntimeSpecPatch),
    (
        options.JobSetTemplatePatch,
        [("metadata", None), ("spec", None)],
        options.JobSetTemplatePatch,
    ),
    (options.JobSetSpecPatch, [("replicated_jobs", None)], options.JobSetSpecPatch),
    (
        options.ReplicatedJobPatch,
        [("name", REQUIRED), ("template", None)],
        lambda: options.ReplicatedJobPatch(name="node"),
    ),
    (options.JobTemplatePatch, [("metadata", None), ("spec", None)], options.JobTemplatePatch),
    (options.JobSpecPatch, [("template", None)], options.JobSpecPatch),
    (options.PodTemplatePatch, [("metadata", None), ("spec", None)], options.PodTemplatePatch),
    (
        options.PodSpecPatch,
        [
            ("service_account_name", None),
            ("volumes", None),
            ("init_containers", None),
            ("containers", None),
            ("image_pull_secrets", None),
            ("security_context", None),
            ("node_selector", None),
            ("affinity", None),
            ("tolerations", None),
            ("scheduling_gates", None),
        ],
        options.PodSpecPatch,
    ),
    (
        options.ContainerPatch,
        [("name", REQUIRED), ("env", None), ("volume_mounts", None), ("security_context", None)],
        lambda: options.ContainerPatch(name="node"),
    ),
]

ENUMS = {
    types.DataType: {"BF16": "bf16", "FP32": "fp32"},
    types.Loss: {"CEWithChunkedOutputLoss": "torchtune.modules.loss.CEWithChunkedOutputLoss"},
    types.DataFormat: {
        "JSON": "json",
        "CSV": "csv",
        "PARQUET": "parquet",
        "ARROW": "arrow",
        "TEXT": "text",
        "XML": "xml",
    },
    types.RuntimeKind: {
        "CLUSTER_TRAINING_RUNTIME": "ClusterTrainingRuntime",
        "TRAINING_RUNTIME": "TrainingRuntime",
    },
    types.TrainerType: {"CUSTOM_TRAINER": "CustomTrainer", "BUILTIN_TRAINER": "BuiltinTrainer"},
}

# §3.2, in upstream's parameter order.
EMPTY = inspect.Parameter.empty
CLIENT_METHODS = {
    "list_runtimes": [],
    "get_runtime": [("name", EMPTY)],
    "get_runtime_packages": [("runtime", EMPTY)],
    "train": [("runtime", None), ("initializer", None), ("trainer", None), ("options", None)],
    "list_jobs": [("runtime", None)],
    "get_job": [("name", EMPTY)],
    "get_job_logs": [("name", EMPTY), ("step", "node-0"), ("follow", False)],
    "get_job_events": [("name", EMPTY)],
    "wait_for_job_status": [
        ("name", EMPTY),
        ("status", {"Complete"}),
        ("timeout", 600),
        ("polling_interval", 2),
        ("callbacks", None),
    ],
    "delete_job": [("name", EMPTY)],
}


def _declared(cls) -> list[tuple[str, object]]:
    """(name, default) of the init fields, a factory default evaluated."""
    result = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = REQUIRED
        result.append((f.name, default))
    return result


def test_every_upstream_top_level_name_is_exported():
    missing = TOP_LEVEL - set(dir(kubeflow.trainer))
    assert not missing, f"missing from kubeflow.trainer: {sorted(missing)}"
    assert set(kubeflow.trainer.__all__) >= TOP_LEVEL
    for name in kubeflow.trainer.__all__:
        assert hasattr(kubeflow.trainer, name), name


def test_types_not_exported_upstream_are_importable_from_the_types_module():
    from kubeflow.trainer.types.types import BaseInitializer, Step, TrainJob  # noqa: F401

    assert issubclass(BaseInitializer, abc.ABC)
    assert [f.name for f in dataclasses.fields(BaseInitializer)] == ["storage_uri"]
    for cls in (
        types.HuggingFaceDatasetInitializer,
        types.HuggingFaceModelInitializer,
        types.S3DatasetInitializer,
        types.S3ModelInitializer,
        types.DataCacheInitializer,
    ):
        assert issubclass(cls, BaseInitializer), cls.__name__
    assert not hasattr(kubeflow.trainer, "BaseInitializer")


def test_constants_module_and_paths():
    from kubeflow.trainer.constants import constants as module

    assert kubeflow.trainer.DATASET_PATH == module.DATASET_PATH == "/workspace/dataset"
    assert kubeflow.trainer.MODEL_PATH == module.MODEL_PATH == "/workspace/model"


def test_options_exports_exactly_its_sixteen_names():
    assert set(options.__all__) == OPTIONS
    assert len(options.__all__) == 16
    assert set(dir(options)) >= OPTIONS


@pytest.mark.parametrize(
    "cls,expected,make", DATACLASSES, ids=[c.__name__ for c, _, _ in DATACLASSES]
)
def test_dataclass_fields_order_and_defaults(cls, expected, make):
    assert dataclasses.is_dataclass(cls)
    assert _declared(cls) == expected
    if make is None:
        return
    instance = make()
    for name, default in expected:
        if default is not REQUIRED:
            assert getattr(instance, name) == default, name


def test_list_defaults_are_fresh_copies():
    a, b = types.CustomTrainer(func=print), types.CustomTrainer(func=print)
    assert a.pip_index_urls is not b.pip_index_urls
    assert a.pip_index_urls is not constants.DEFAULT_PIP_INDEX_URLS
    assert types.LoraConfig().lora_attn_modules is not types.LoraConfig().lora_attn_modules


def test_runtime_trainer_keeps_its_command_private():
    trainer = types.RuntimeTrainer(types.TrainerType.CUSTOM_TRAINER, "torch", "img")
    assert trainer.command == ()
    trainer.set_command(constants.TORCH_COMMAND)
    assert trainer.command == constants.TORCH_COMMAND
    # Upstream's tests compare asdict() output, which carries the mangled name.
    assert dataclasses.asdict(trainer)["_RuntimeTrainer__command"] == constants.TORCH_COMMAND
    assert "command" not in repr(trainer)
    with pytest.raises(TypeError):
        types.RuntimeTrainer(types.TrainerType.CUSTOM_TRAINER, "torch", "img", command=("x",))  # type: ignore[call-arg]


def test_runtime_patch_manager_is_fixed():
    patch = options.RuntimePatch()
    assert patch.manager == "trainer.kubeflow.org/kubeflow-sdk"
    with pytest.raises(TypeError):
        options.RuntimePatch(manager="x")  # type: ignore[call-arg]


def test_backend_configs_start_with_upstream_fields():
    local = [(n, d) for n, d in _declared(kubeflow.trainer.LocalProcessBackendConfig)]
    assert local[0] == ("cleanup_venv", True)
    # Any field of ours comes after upstream's and has a default, so upstream calls still work.
    assert all(default is not REQUIRED for _, default in local)

    container = dict(_declared(kubeflow.trainer.ContainerBackendConfig))
    assert list(container)[:8] == [
        "pull_policy",
        "auto_remove",
        "container_host",
        "container_runtime",
        "runtime_source",
        "dataset_initializer_image",
        "model_initializer_image",
        "initializer_timeout",
    ]
    assert container["pull_policy"] == "IfNotPresent"
    assert container["auto_remove"] is True
    assert container["container_host"] is None and container["container_runtime"] is None
    assert container["runtime_source"] == kubeflow.trainer.TrainingRuntimeSource()
    assert container["dataset_initializer_image"].endswith(
        "/kubeflow/trainer/dataset-initializer:latest"
    )
    assert container["model_initializer_image"].endswith(
        "/kubeflow/trainer/model-initializer:latest"
    )
    assert container["initializer_timeout"] == 600


@pytest.mark.parametrize("enum_cls,members", ENUMS.items(), ids=[e.__name__ for e in ENUMS])
def test_enums(enum_cls, members):
    assert issubclass(enum_cls, enum.Enum)
    assert {m.name: m.value for m in enum_cls} == members


# Ours, documented in docs/differences.md: upstream code never calls them.
OUR_CLIENT_METHODS = {
    "build_job_manifest",
    "get_job_manifest",
    "submit_job",
    # Training Operator v1 (docs/migrating-from-v1.md)
    "list_v1_jobs",
    "get_v1_job",
    "get_v1_job_logs",
    "get_v1_job_manifest",
    "migrate_v1_job",
    "create_migration",
}
# Ours, keyword-only after upstream's parameters, so upstream's calls bind as before.
OUR_KEYWORD_ONLY = {
    "wait_for_job_status": [("progress", None)],
    "list_jobs": [("include_v1", False)],
    # docs/logs.md
    "get_job_logs": [
        ("all_nodes", False),
        ("tail_lines", None),
        ("since_seconds", None),
        ("previous", False),
    ],
}


def test_trainer_client_has_upstreams_methods_and_signatures():
    public = {n for n, v in vars(TrainerClient).items() if callable(v) and not n.startswith("_")}
    assert public == set(CLIENT_METHODS) | OUR_CLIENT_METHODS
    for name, expected in CLIENT_METHODS.items():
        parameters = list(inspect.signature(getattr(TrainerClient, name)).parameters.values())
        assert parameters[0].name == "self"
        upstream = [p for p in parameters[1:] if p.kind is not inspect.Parameter.KEYWORD_ONLY]
        ours = [p for p in parameters[1:] if p.kind is inspect.Parameter.KEYWORD_ONLY]
        assert [(p.name, p.default) for p in upstream] == expected, name
        assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in upstream), name
        assert [(p.name, p.default) for p in ours] == OUR_KEYWORD_ONLY.get(name, []), name


def test_trainer_client_constructor_signature():
    parameters = list(inspect.signature(TrainerClient.__init__).parameters.values())
    assert [(p.name, p.default) for p in parameters[1:]] == [("backend_config", None)]
    with pytest.raises(ValueError, match="Invalid backend config"):
        TrainerClient(backend_config=object())  # type: ignore[arg-type]


def test_train_job_template_unpacks_into_train():
    template = types.TrainJobTemplate(
        trainer=types.CustomTrainer(func=print), runtime="torch-distributed"
    )
    assert dict(**template) == {
        "trainer": template.trainer,
        "runtime": "torch-distributed",
        "initializer": None,
    }
    assert set(template.keys()) <= {CLIENT_METHODS["train"][i][0] for i in range(4)}
