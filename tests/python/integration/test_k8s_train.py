"""TrainerClient.train on the Kubernetes backend, read back from the API server (kubeflow-sdk.md
§3.3-3.6, conformance cases 6-17)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import pytest

from kubeflow.trainer import (
    BuiltinTrainer,
    CustomTrainer,
    CustomTrainerContainer,
    HuggingFaceDatasetInitializer,
    HuggingFaceModelInitializer,
    Initializer,
    LoraConfig,
    Loss,
    RuntimeKind,
    S3DatasetInitializer,
    TorchTuneConfig,
)
from kubeflow.trainer.backends.kubernetes import trainer_spec
from kubeflow.trainer.options import (
    ActiveDeadlineSeconds,
    Annotations,
    JobSetSpecPatch,
    JobSetTemplatePatch,
    JobSpecPatch,
    JobTemplatePatch,
    Labels,
    Name,
    PodSpecPatch,
    PodTemplatePatch,
    ReplicatedJobPatch,
    RuntimePatch,
    TrainerArgs,
    TrainerCommand,
    TrainingRuntimeSpecPatch,
)
from tests.python.integration.k8s_sim import (
    client,
    create_training_runtime,
    get_trainjob,
    trainjob_names,
)

SDK_MANAGER = "trainer.kubeflow.org/kubeflow-sdk"
TORCHTUNE = "torchtune-llama3.2-1b"


def train_fn(learning_rate: float, batch_size: int):
    print(f"training with lr={learning_rate} batch={batch_size}")


def _literal_printer():
    print("home=$HOME")
    print("tick=`echo expanded`")
    print("sub=$(echo expanded)")
    print("backslash=a\\nb\\\\c")


def _trainer(cluster, namespace, name) -> dict:
    return get_trainjob(cluster, namespace, name)["spec"].get("trainer")


def test_train_without_arguments_uses_torch_distributed_and_sends_no_trainer(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train()
    # Upstream's generated name: one of [a-z], then 11 hex digits.
    assert re.fullmatch(r"[a-z][0-9a-f]{11}", name)
    job = get_trainjob(cluster, namespace, name)
    assert job["metadata"]["name"] == name
    assert job["spec"]["runtimeRef"]["name"] == "torch-distributed"
    assert job["spec"]["runtimeRef"]["kind"] == "ClusterTrainingRuntime"
    assert "trainer" not in job["spec"]
    assert "initializer" not in job["spec"]
    assert "runtimePatches" not in job["spec"]
    assert "labels" not in job["metadata"]
    # Namespaced runtime lookup (404), cluster lookup, create.
    assert c.backend.request_count == 3


def test_train_with_a_namespaced_runtime_name_references_the_training_runtime(cluster, namespace):
    create_training_runtime(cluster, namespace, "runtime-1", like="torch-distributed")
    c = client(cluster, namespace)
    name = c.train(runtime="runtime-1")
    assert get_trainjob(cluster, namespace, name)["spec"]["runtimeRef"] == {
        "name": "runtime-1",
        "kind": "TrainingRuntime",
        "apiGroup": "trainer.kubeflow.org",
    }


def test_train_with_a_runtime_object_makes_no_runtime_request(cluster, namespace):
    c = client(cluster, namespace)
    runtime = c.get_runtime("jax-distributed")
    before = c.backend.request_count
    name = c.train(
        runtime=runtime,
        trainer=CustomTrainer(func=train_fn, func_args={"learning_rate": 0.1, "batch_size": 4}),
    )
    assert c.backend.request_count == before + 1
    trainer = _trainer(cluster, namespace, name)
    # jax has no torch/mpi policy: plain python.
    assert trainer["command"][:2] == ["bash", "-c"]
    assert trainer["command"][2].rstrip().endswith('python "test_k8s_train.py"')


def test_custom_trainer_cases_10_and_11(cluster, namespace):
    c = client(cluster, namespace)
    trainer = CustomTrainer(
        func=train_fn,
        func_args={"learning_rate": 0.001, "batch_size": 32},
        packages_to_install=["torch", "numpy"],
        num_nodes=2,
        env={"TEST_ENV": "test_value", "ANOTHER_ENV": "another_value"},
        image="my-custom-image",
        resources_per_node={"gpu": 1},
    )
    name = c.train(runtime="torch-distributed", trainer=trainer)
    spec = _trainer(cluster, namespace, name)
    assert set(spec) == {"command", "numNodes", "env", "image", "resourcesPerNode"}
    assert spec["numNodes"] == 2
    assert spec["image"] == "my-custom-image"
    assert spec["env"] == [
        {"name": "TEST_ENV", "value": "test_value"},
        {"name": "ANOTHER_ENV", "value": "another_value"},
    ]
    assert spec["resourcesPerNode"] == {
        "requests": {"nvidia.com/gpu": 1},
        "limits": {"nvidia.com/gpu": 1},
    }

    command = spec["command"]
    assert command[:2] == ["bash", "-c"] and len(command) == 3
    script = command[2]
    assert "PACKAGES=(torch numpy)" in script
    assert "pip_install.log" in script
    assert "def train_fn(learning_rate: float, batch_size: int):" in script
    assert "train_fn(**{'learning_rate': 0.001, 'batch_size': 32})" in script
    assert script.rstrip().endswith('torchrun "test_k8s_train.py"')
    # What reached the server is exactly what the spec builder makes for this runtime.
    assert command == trainer_spec.command_for_function(
        "torchrun", train_fn, trainer.func_args, trainer.packages_to_install, trainer.pip_index_urls
    )


def test_custom_trainer_on_an_mpi_runtime_writes_under_the_mpi_home(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(
        runtime="deepspeed-distributed",
        trainer=CustomTrainer(func=train_fn, func_args={"learning_rate": 1.0, "batch_size": 1}),
    )
    command = _trainer(cluster, namespace, name)["command"]
    assert command[:5] == ["mpirun", "--hostfile", "/etc/mpi/hostfile", "bash", "-c"]
    assert command[-1].rstrip().endswith('python "/home/mpiuser/test_k8s_train.py"')


def test_custom_trainer_container_case_12(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(
        trainer=CustomTrainerContainer(
            image="example.com/my-image",
            num_nodes=2,
            resources_per_node={"cpu": 5, "gpu": 3},
            env={"A": "1", "B": "2"},
        )
    )
    spec = _trainer(cluster, namespace, name)
    assert spec == {
        "image": "example.com/my-image",
        "numNodes": 2,
        "resourcesPerNode": {
            "requests": {"cpu": 5, "nvidia.com/gpu": 3},
            "limits": {"cpu": 5, "nvidia.com/gpu": 3},
        },
        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
    }


def test_builtin_trainer_torchtune_case_8(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(
        runtime=TORCHTUNE,
        trainer=BuiltinTrainer(
            config=TorchTuneConfig(
                num_nodes=2, batch_size=2, epochs=2, loss=Loss.CEWithChunkedOutputLoss
            )
        ),
    )
    assert _trainer(cluster, namespace, name) == {
        "command": ["tune", "run"],
        "args": ["batch_size=2", "epochs=2", "loss=torchtune.modules.loss.CEWithChunkedOutputLoss"],
        "numNodes": 2,
    }


def test_builtin_trainer_with_lora_case_9(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(
        runtime=TORCHTUNE,
        trainer=BuiltinTrainer(
            config=TorchTuneConfig(
                num_nodes=2,
                peft_config=LoraConfig(
                    apply_lora_to_mlp=True, lora_rank=8, lora_alpha=16, lora_dropout=0.1
                ),
            )
        ),
    )
    assert _trainer(cluster, namespace, name) == {
        "command": ["tune", "run"],
        "args": [
            "model.apply_lora_to_mlp=True",
            "model.lora_rank=8",
            "model.lora_alpha=16",
            "model.lora_dropout=0.1",
            "model.lora_attn_modules=[q_proj,v_proj,output_proj]",
        ],
        "numNodes": 2,
    }


def test_huggingface_initializers_are_sent_with_their_env(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(
        runtime=TORCHTUNE,
        initializer=Initializer(
            dataset=HuggingFaceDatasetInitializer(storage_uri="hf://tatsu-lab/alpaca/data.json"),
            model=HuggingFaceModelInitializer(
                storage_uri="hf://meta-llama/Llama-3.2-1B-Instruct",
                access_token="hf_secret",
                ignore_patterns=["*.bin", "*.safetensors"],
            ),
        ),
        trainer=BuiltinTrainer(config=TorchTuneConfig(resources_per_node={"gpu": 2})),
    )
    spec = get_trainjob(cluster, namespace, name)["spec"]
    dataset = spec["initializer"]["dataset"]
    assert dataset["storageUri"] == "hf://tatsu-lab/alpaca/data.json"
    assert dataset.get("env", []) == []  # no token, no patterns
    model = spec["initializer"]["model"]
    assert model["storageUri"] == "hf://meta-llama/Llama-3.2-1B-Instruct"
    assert {e["name"]: e["value"] for e in model["env"]} == {
        "ACCESS_TOKEN": "hf_secret",
        "IGNORE_PATTERNS": "*.bin,*.safetensors",
    }
    # The dataset URI also shapes the TorchTune args (case 37).
    assert spec["trainer"]["args"] == ["dataset.data_files=/workspace/dataset/data.json"]
    assert spec["trainer"]["resourcesPerNode"]["limits"] == {"nvidia.com/gpu": 2}


def test_default_model_ignore_patterns_and_s3_dataset_env(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(
        runtime=TORCHTUNE,
        initializer=Initializer(
            dataset=S3DatasetInitializer(
                storage_uri="s3://bucket/data",
                endpoint="http://minio",
                access_key_id="id",
                secret_access_key="key",
                region="eu",
                role_arn="arn:role",
            ),
            model=HuggingFaceModelInitializer(storage_uri="hf://org/model"),
        ),
    )
    initializer = get_trainjob(cluster, namespace, name)["spec"]["initializer"]
    assert {e["name"]: e["value"] for e in initializer["dataset"]["env"]} == {
        "ENDPOINT": "http://minio",
        "ACCESS_KEY_ID": "id",
        "SECRET_ACCESS_KEY": "key",
        "REGION": "eu",
        "ROLE_ARN": "arn:role",
    }
    assert initializer["model"]["env"] == [
        {"name": "IGNORE_PATTERNS", "value": "*.msgpack,*.h5,*.bin,*.pt,*.pth"}
    ]


@pytest.mark.parametrize(
    "runtime,trainer",
    [
        (TORCHTUNE, CustomTrainer(func=train_fn)),
        (TORCHTUNE, CustomTrainerContainer(image="example.com/x")),
        ("torch-distributed", BuiltinTrainer(config=TorchTuneConfig())),
    ],
)
def test_wrong_trainer_type_for_the_runtime_raises_value_error_and_creates_nothing(
    cluster, namespace, runtime, trainer
):
    c = client(cluster, namespace)
    with pytest.raises(ValueError, match="can't be used with"):
        c.train(runtime=runtime, trainer=trainer)
    assert c.list_jobs() == []
    assert trainjob_names(cluster, namespace) == []


def test_unsupported_trainer_object_is_rejected_before_any_request(cluster, namespace):
    c = client(cluster, namespace)
    with pytest.raises(ValueError, match="not supported"):
        c.train(trainer="python train.py")  # type: ignore[arg-type]
    assert c.backend.request_count == 0
    assert trainjob_names(cluster, namespace) == []


def test_labels_and_annotations_case_14(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(options=[Labels({"team": "ml-platform"}), Annotations({"created-by": "sdk"})])
    metadata = get_trainjob(cluster, namespace, name)["metadata"]
    assert metadata["labels"] == {"team": "ml-platform"}
    assert metadata["annotations"] == {"created-by": "sdk"}


def test_runtime_patch_node_selector_case_15(cluster, namespace):
    c = client(cluster, namespace)
    pod = PodTemplatePatch(spec=PodSpecPatch(node_selector={"node-type": "gpu-a100"}))
    node = ReplicatedJobPatch(
        name="node", template=JobTemplatePatch(spec=JobSpecPatch(template=pod))
    )
    patch = RuntimePatch(
        training_runtime_spec=TrainingRuntimeSpecPatch(
            template=JobSetTemplatePatch(spec=JobSetSpecPatch(replicated_jobs=[node]))
        )
    )
    name = c.train(options=[patch])
    patches = get_trainjob(cluster, namespace, name)["spec"]["runtimePatches"]
    assert len(patches) == 1
    # The mutating webhook would add "time"; there is none on this server.
    assert {k: v for k, v in patches[0].items() if k != "time"} == {
        "manager": SDK_MANAGER,
        "trainingRuntimeSpec": {
            "template": {
                "spec": {
                    "replicatedJobs": [
                        {
                            "name": "node",
                            "template": {
                                "spec": {
                                    "template": {
                                        "spec": {"nodeSelector": {"node-type": "gpu-a100"}}
                                    }
                                }
                            },
                        }
                    ]
                }
            }
        },
    }


def test_active_deadline_seconds_with_labels_case_16(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(options=[ActiveDeadlineSeconds(3600), Labels({"team": "a"})])
    job = get_trainjob(cluster, namespace, name)
    assert job["spec"]["activeDeadlineSeconds"] == 3600
    assert job["metadata"]["labels"] == {"team": "a"}


def test_labels_annotations_and_jobset_metadata_patch_case_17(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(
        options=[
            Labels({"owner": "ml-team"}),
            Annotations({"description": "Fine-tuning job"}),
            RuntimePatch(
                training_runtime_spec=TrainingRuntimeSpecPatch(
                    template=JobSetTemplatePatch(metadata={"labels": {"app": "training"}})
                )
            ),
        ]
    )
    job = get_trainjob(cluster, namespace, name)
    assert job["metadata"]["labels"] == {"owner": "ml-team"}
    assert job["metadata"]["annotations"] == {"description": "Fine-tuning job"}
    [patch] = job["spec"]["runtimePatches"]
    assert patch["manager"] == SDK_MANAGER
    assert patch["trainingRuntimeSpec"] == {
        "template": {"metadata": {"labels": {"app": "training"}}}
    }


def test_trainer_command_and_args_with_custom_trainer_container(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(
        trainer=CustomTrainerContainer(image="example.com/img"),
        options=[TrainerCommand(["python", "train.py"]), TrainerArgs(["--epochs", "10"])],
    )
    assert _trainer(cluster, namespace, name) == {
        "image": "example.com/img",
        "command": ["python", "train.py"],
        "args": ["--epochs", "10"],
    }


def test_trainer_command_without_a_trainer_sends_only_the_command(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(options=[TrainerCommand(["sleep", "1"])])
    assert _trainer(cluster, namespace, name) == {"command": ["sleep", "1"]}


def test_trainer_command_with_custom_trainer_is_a_value_error(cluster, namespace):
    c = client(cluster, namespace)
    with pytest.raises(ValueError, match="CustomTrainerContainer"):
        c.train(trainer=CustomTrainer(func=train_fn), options=[TrainerCommand(["x"])])
    assert trainjob_names(cluster, namespace) == []


def test_name_option_sets_the_trainjob_name(cluster, namespace):
    c = client(cluster, namespace)
    assert c.train(options=[Name("custom-job-name")]) == "custom-job-name"
    assert trainjob_names(cluster, namespace) == ["custom-job-name"]
    assert (
        get_trainjob(cluster, namespace, "custom-job-name")["spec"]["runtimeRef"]["kind"]
        == RuntimeKind.CLUSTER_TRAINING_RUNTIME.value
    )


def test_shipped_function_prints_dollar_backtick_and_backslash_literally(
    cluster, namespace, tmp_path
):
    """Upstream's unquoted here-document lets bash expand these (kubeflow-sdk.md §9)."""
    c = client(cluster, namespace)
    name = c.train(runtime="torch-distributed", trainer=CustomTrainer(func=_literal_printer))
    command = _trainer(cluster, namespace, name)["command"]
    assert command[:2] == ["bash", "-c"]

    # A fake torchrun: the script runs the file with this Python instead.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    torchrun = bin_dir / "torchrun"
    torchrun.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    torchrun.chmod(torchrun.stat().st_mode | stat.S_IXUSR)
    work = tmp_path / "work"
    work.mkdir()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": "/home/should-not-appear",
    }
    result = subprocess.run(
        command, cwd=work, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "home=$HOME",
        "tick=`echo expanded`",
        "sub=$(echo expanded)",
        "backslash=a\\nb\\\\c",
    ]
