"""Trainer spec builders: TorchTune args and initializer env (conformance cases 8, 9 and
32-37). Commands and pip scripts are in test_trainer_spec.py."""

from __future__ import annotations

from typing import Any

import pytest

from kubeflow.trainer import (
    DataCacheInitializer,
    DataFormat,
    DataType,
    HuggingFaceDatasetInitializer,
    HuggingFaceModelInitializer,
    Initializer,
    LoraConfig,
    Loss,
    S3DatasetInitializer,
    S3ModelInitializer,
    TorchTuneConfig,
    TorchTuneInstructDataset,
)
from kubeflow.trainer.backends.kubernetes.trainer_spec import (
    dataset_initializer_spec,
    dataset_preprocess_args,
    model_initializer_spec,
    peft_args,
    torchtune_args,
)

# --- cases 8, 9, 34-37: TorchTune args ---------------------------------------------------------


def test_case_8_batch_epochs_loss() -> None:
    config = TorchTuneConfig(num_nodes=2, batch_size=2, epochs=2, loss=Loss.CEWithChunkedOutputLoss)
    assert torchtune_args(config, None) == [
        "batch_size=2",
        "epochs=2",
        "loss=torchtune.modules.loss.CEWithChunkedOutputLoss",
    ]


def test_case_9_lora() -> None:
    config = TorchTuneConfig(
        num_nodes=2,
        peft_config=LoraConfig(
            apply_lora_to_mlp=True, lora_rank=8, lora_alpha=16, lora_dropout=0.1
        ),
    )
    assert torchtune_args(config, None) == [
        "model.apply_lora_to_mlp=True",
        "model.lora_rank=8",
        "model.lora_alpha=16",
        "model.lora_dropout=0.1",
        "model.lora_attn_modules=[q_proj,v_proj,output_proj]",
    ]


@pytest.mark.parametrize(
    "config,expected",
    [
        (TorchTuneConfig(), []),
        (TorchTuneConfig(dtype=DataType.BF16), ["dtype=bf16"]),
        (
            TorchTuneConfig(
                dtype=DataType.FP32, batch_size=8, epochs=3, loss=Loss.CEWithChunkedOutputLoss
            ),
            [
                "dtype=fp32",
                "batch_size=8",
                "epochs=3",
                "loss=torchtune.modules.loss.CEWithChunkedOutputLoss",
            ],
        ),
        (TorchTuneConfig(batch_size=0, epochs=0), []),
    ],
    ids=["empty", "bf16", "all", "zeros"],
)
def test_torchtune_args(config: TorchTuneConfig, expected: list[str]) -> None:
    assert torchtune_args(config) == expected


@pytest.mark.parametrize(
    "config,match",
    [
        (TorchTuneConfig(dtype="invalid"), "Invalid dtype"),  # type: ignore[arg-type]
        (TorchTuneConfig(dtype="bf16"), "Invalid dtype"),  # type: ignore[arg-type]
        (TorchTuneConfig(loss="x"), "Invalid loss"),  # type: ignore[arg-type]
        (TorchTuneConfig(peft_config={"lora_rank": 8}), "must be a LoraConfig"),  # type: ignore[arg-type]
        (TorchTuneConfig(dataset_preprocess_config={}), "TorchTuneInstructDataset"),  # type: ignore[arg-type]
    ],
)
def test_torchtune_args_errors(config: TorchTuneConfig, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        torchtune_args(config)


def test_torchtune_config_type_checked() -> None:
    with pytest.raises(ValueError, match="TorchTuneConfig"):
        torchtune_args(LoraConfig())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "uri,arg",
    [
        ("hf://tatsu-lab/alpaca", "dataset.data_dir=/workspace/dataset/."),
        ("hf://tatsu-lab/alpaca/data.json", "dataset.data_files=/workspace/dataset/data.json"),
        ("hf://tatsu-lab/alpaca/train", "dataset.data_dir=/workspace/dataset/train"),
        ("tatsu-lab/alpaca/train", "dataset.data_dir=/workspace/dataset/train"),
        ("hf://alpaca", "dataset.data_dir=/workspace/dataset/."),
        (
            "hf://org/ds/sub/dir/file.parquet",
            "dataset.data_files=/workspace/dataset/sub/dir/file.parquet",
        ),
        ("hf://org/ds/sub/dir/", "dataset.data_dir=/workspace/dataset/sub/dir"),
    ],
)
def test_dataset_path(uri: str, arg: str) -> None:
    initializer = Initializer(dataset=HuggingFaceDatasetInitializer(storage_uri=uri))
    config = TorchTuneConfig(batch_size=1, peft_config=LoraConfig(lora_attn_modules=[]))
    assert torchtune_args(config, initializer) == ["batch_size=1", arg]


def test_dataset_path_only_for_huggingface_datasets() -> None:
    s3 = Initializer(dataset=S3DatasetInitializer(storage_uri="s3://bucket/data"))
    model_only = Initializer(model=HuggingFaceModelInitializer(storage_uri="hf://org/model"))
    assert torchtune_args(TorchTuneConfig(), s3) == []
    assert torchtune_args(TorchTuneConfig(), model_only) == []


def test_full_order() -> None:
    config = TorchTuneConfig(
        dtype=DataType.BF16,
        epochs=1,
        peft_config=LoraConfig(use_dora=True, lora_attn_modules=["q_proj"]),
        dataset_preprocess_config=TorchTuneInstructDataset(source=DataFormat.JSON),
    )
    initializer = Initializer(
        dataset=HuggingFaceDatasetInitializer(storage_uri="hf://a/b/data.json")
    )
    assert torchtune_args(config, initializer) == [
        "dtype=bf16",
        "epochs=1",
        "dataset.data_files=/workspace/dataset/data.json",
        "model.use_dora=True",
        "model.lora_attn_modules=[q_proj]",
        "dataset=torchtune.datasets.instruct_dataset",
        "dataset.source=json",
    ]


@pytest.mark.parametrize(
    "lora,expected",
    [
        (
            LoraConfig(lora_dropout=0.0),
            ["model.lora_dropout=0.0", "model.lora_attn_modules=[q_proj,v_proj,output_proj]"],
        ),
        (
            LoraConfig(apply_lora_to_mlp=False, lora_attn_modules=[]),
            ["model.apply_lora_to_mlp=False"],
        ),
        (
            LoraConfig(
                apply_lora_to_mlp=True,
                apply_lora_to_output=False,
                lora_rank=4,
                lora_alpha=8,
                lora_dropout=0.05,
                quantize_base=True,
                use_dora=False,
                lora_attn_modules=["q_proj", "k_proj"],
            ),
            [
                "model.apply_lora_to_mlp=True",
                "model.apply_lora_to_output=False",
                "model.lora_rank=4",
                "model.lora_alpha=8",
                "model.lora_dropout=0.05",
                "model.quantize_base=True",
                "model.use_dora=False",
                "model.lora_attn_modules=[q_proj,k_proj]",
            ],
        ),
    ],
)
def test_peft_args(lora: LoraConfig, expected: list[str]) -> None:
    assert peft_args(lora) == expected


def test_peft_args_type() -> None:
    with pytest.raises(ValueError, match="LoraConfig"):
        peft_args(TorchTuneInstructDataset())  # type: ignore[arg-type]


def test_dataset_preprocess_args() -> None:
    assert dataset_preprocess_args(TorchTuneInstructDataset(train_on_input=False)) == [
        "dataset=torchtune.datasets.instruct_dataset",
        "dataset.train_on_input=False",
    ]
    full = TorchTuneInstructDataset(
        source=DataFormat.PARQUET,
        split="train[:10%]",
        train_on_input=True,
        new_system_prompt="You are helpful.",
        column_map={"input": "question", "output": "answer"},
    )
    assert dataset_preprocess_args(full) == [
        "dataset=torchtune.datasets.instruct_dataset",
        "dataset.source=parquet",
        "dataset.split=train[:10%]",
        "dataset.train_on_input=True",
        "dataset.new_system_prompt=You are helpful.",
        "dataset.column_map={'input': 'question', 'output': 'answer'}",
    ]
    with pytest.raises(ValueError, match="DataFormat"):
        dataset_preprocess_args(TorchTuneInstructDataset(source="json"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="TorchTuneInstructDataset"):
        dataset_preprocess_args(LoraConfig())  # type: ignore[arg-type]


# --- cases 32 and 33: initializers --------------------------------------------------------------


def env(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": n, "value": v} for n, v in pairs]


@pytest.mark.parametrize(
    "initializer,expected_env",
    [
        (
            DataCacheInitializer(
                storage_uri="cache://test_schema/test_table",
                num_data_nodes=3,
                metadata_loc="s3://bucket/metadata",
                head_cpu="1",
                head_mem="1Gi",
                worker_cpu="2",
                worker_mem="2Gi",
                iam_role="arn:aws:iam::123:role/r",
            ),
            env(
                ("CLUSTER_SIZE", "4"),
                ("METADATA_LOC", "s3://bucket/metadata"),
                ("HEAD_CPU", "1"),
                ("HEAD_MEM", "1Gi"),
                ("WORKER_CPU", "2"),
                ("WORKER_MEM", "2Gi"),
                ("IAM_ROLE", "arn:aws:iam::123:role/r"),
            ),
        ),
        (
            DataCacheInitializer(
                storage_uri="cache://s/t", num_data_nodes=2, metadata_loc="s3://bucket/metadata"
            ),
            env(("CLUSTER_SIZE", "3"), ("METADATA_LOC", "s3://bucket/metadata")),
        ),
        (HuggingFaceDatasetInitializer(storage_uri="hf://user/dataset"), []),
        (
            HuggingFaceDatasetInitializer(
                storage_uri="hf://dataset", access_token="hf_tok", ignore_patterns=["*.md", "*.txt"]
            ),
            env(("ACCESS_TOKEN", "hf_tok"), ("IGNORE_PATTERNS", "*.md,*.txt")),
        ),
        (
            S3DatasetInitializer(
                storage_uri="s3://bucket/data",
                endpoint="https://s3.example",
                access_key_id="AK",
                secret_access_key="SK",
                region="us-east-1",
                role_arn="arn:role",
            ),
            env(
                ("ENDPOINT", "https://s3.example"),
                ("ACCESS_KEY_ID", "AK"),
                ("SECRET_ACCESS_KEY", "SK"),
                ("REGION", "us-east-1"),
                ("ROLE_ARN", "arn:role"),
            ),
        ),
        (
            S3DatasetInitializer(storage_uri="s3://bucket/data", ignore_patterns=["*.log"]),
            env(("IGNORE_PATTERNS", "*.log")),
        ),
    ],
    ids=["cache-full", "cache-min", "hf-min", "hf-full", "s3-full", "s3-ignore"],
)
def test_dataset_initializer_spec(initializer: Any, expected_env: list[dict[str, str]]) -> None:
    assert dataset_initializer_spec(initializer) == {
        "storage_uri": initializer.storage_uri,
        "env": expected_env,
        "secret_ref": None,
    }


@pytest.mark.parametrize(
    "initializer,expected_env",
    [
        (
            HuggingFaceModelInitializer(
                storage_uri="hf://user/model",
                access_token="tok",
                ignore_patterns=["*.bin", "*.safetensors"],
            ),
            env(("ACCESS_TOKEN", "tok"), ("IGNORE_PATTERNS", "*.bin,*.safetensors")),
        ),
        (
            HuggingFaceModelInitializer(storage_uri="hf://model"),
            env(("IGNORE_PATTERNS", "*.msgpack,*.h5,*.bin,*.pt,*.pth")),
        ),
        (HuggingFaceModelInitializer(storage_uri="hf://model", ignore_patterns=None), []),
        (
            S3ModelInitializer(
                storage_uri="s3://bucket/model",
                endpoint="https://s3.example",
                access_key_id="AK",
                secret_access_key="SK",
                region="eu-west-1",
                role_arn="arn:role",
                ignore_patterns=["*.txt", "*.log"],
            ),
            env(
                ("ENDPOINT", "https://s3.example"),
                ("ACCESS_KEY_ID", "AK"),
                ("SECRET_ACCESS_KEY", "SK"),
                ("REGION", "eu-west-1"),
                ("ROLE_ARN", "arn:role"),
                ("IGNORE_PATTERNS", "*.txt,*.log"),
            ),
        ),
        (
            S3ModelInitializer(storage_uri="s3://bucket/model"),
            env(("IGNORE_PATTERNS", "*.msgpack,*.h5,*.bin,*.pt,*.pth")),
        ),
    ],
    ids=["hf-full", "hf-default", "hf-none", "s3-full", "s3-default"],
)
def test_model_initializer_spec(initializer: Any, expected_env: list[dict[str, str]]) -> None:
    assert model_initializer_spec(initializer) == {
        "storage_uri": initializer.storage_uri,
        "env": expected_env,
        "secret_ref": None,
    }


@pytest.mark.parametrize(
    "bad",
    [
        HuggingFaceModelInitializer(storage_uri="hf://model"),
        S3ModelInitializer(storage_uri="s3://b/m"),
        "hf://dataset",
        None,
    ],
)
def test_invalid_dataset_initializer(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"^Dataset initializer type is invalid"):
        dataset_initializer_spec(bad)


@pytest.mark.parametrize(
    "bad",
    [
        HuggingFaceDatasetInitializer(storage_uri="hf://d"),
        S3DatasetInitializer(storage_uri="s3://b/d"),
        DataCacheInitializer(storage_uri="cache://a/b", num_data_nodes=2, metadata_loc="x"),
        {"storage_uri": "hf://m"},
    ],
)
def test_invalid_model_initializer(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"^Model initializer type is invalid"):
        model_initializer_spec(bad)
