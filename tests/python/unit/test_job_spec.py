"""TrainJob bodies, validation and runtime parsing through ``_core``: the facade's parts."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import pytest

from kubeflow.trainer import _core, _validation
from kubeflow.trainer.errors import ValidationError

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "cpp" / "fixtures" / "runtimes"

# What the facade computes for CustomTrainer(func=f, func_args={"lr": 0.1}) on a torch runtime;
# the exact text is not this module's concern, only that it is passed through untouched.
COMMAND = [
    "bash",
    "-c",
    "\nread -r -d '' SCRIPT << EOM\n\ndef f(lr):\n    print(lr)\n\nf(**{'lr': 0.1})\n\nEOM\n"
    'printf "%s" "$SCRIPT" > "test_job_spec.py"\ntorchrun "test_job_spec.py"',
]


def _request(runtime: str = "torch-distributed", kind: str = "ClusterTrainingRuntime") -> Any:
    request = _core.JobRequest()
    request.name = _validation.generate_job_name()
    request.runtime_name = runtime
    request.runtime_kind = kind
    return request


def test_custom_trainer_body_matches_upstream_field_for_field() -> None:
    request = _request()
    trainer = _core.TrainerSpec()
    trainer.command = COMMAND
    trainer.num_nodes = 2
    trainer.resources_per_node = {"cpu": 2, "memory": "4Gi"}
    request.trainer = trainer

    body = _core.build_trainjob(request)

    assert body == {
        "apiVersion": "trainer.kubeflow.org/v1alpha1",
        "kind": "TrainJob",
        "metadata": {"name": request.name},
        "spec": {
            "runtimeRef": {"name": "torch-distributed", "kind": "ClusterTrainingRuntime"},
            "trainer": {
                "command": COMMAND,
                "numNodes": 2,
                "resourcesPerNode": {
                    "requests": {"cpu": 2, "memory": "4Gi"},
                    "limits": {"cpu": 2, "memory": "4Gi"},
                },
            },
        },
    }
    assert type(body["spec"]["trainer"]["resourcesPerNode"]["limits"]["cpu"]) is int


def test_default_train_body_has_no_trainer() -> None:
    request = _request("torch", "TrainingRuntime")
    request.trainer = _core.TrainerSpec()
    assert _core.build_trainjob(request)["spec"] == {
        "runtimeRef": {"name": "torch", "kind": "TrainingRuntime"}
    }


def test_request_fields_default_to_unset() -> None:
    request = _core.JobRequest()
    assert (request.trainer, request.dataset, request.labels, request.runtime_patches) == (
        None,
        None,
        None,
        None,
    )
    assert request.active_deadline_seconds is None


def test_initializer_and_metadata_round_trip() -> None:
    request = _request()
    dataset = _core.InitializerSpec()
    dataset.storage_uri = "hf://tatsu-lab/alpaca"
    request.dataset = dataset
    request.labels = {"team": "ml-platform"}
    request.active_deadline_seconds = 3600
    body = _core.build_trainjob(request)
    assert body["metadata"]["labels"] == {"team": "ml-platform"}
    assert body["spec"]["initializer"] == {
        "dataset": {"storageUri": "hf://tatsu-lab/alpaca", "env": []}
    }
    assert body["spec"]["activeDeadlineSeconds"] == 3600


def test_resources_per_node_normalizes_keys() -> None:
    assert _core.resources_per_node({"MiG-1G.5GB": 2, "cpu": "500m"}) == {
        "requests": {"cpu": "500m", "nvidia.com/mig-1g.5gb": 2},
        "limits": {"cpu": "500m", "nvidia.com/mig-1g.5gb": 2},
    }


def _bad_name(r: Any) -> None:
    r.name = "My-Job"


def _bad_kind(r: Any) -> None:
    r.runtime_kind = "Runtime"


def _bad_env(r: Any) -> None:
    t = _core.TrainerSpec()
    t.env = [_core.EnvVar("OK", "1"), _core.EnvVar("1BAD", "2")]
    r.trainer = t


def _bad_nodes(r: Any) -> None:
    t = _core.TrainerSpec()
    t.num_nodes = -1
    r.trainer = t


def _bad_memory(r: Any) -> None:
    t = _core.TrainerSpec()
    t.resources_per_node = {"cpu": 2, "memory": "4GB"}
    r.trainer = t


def _bad_deadline(r: Any) -> None:
    r.active_deadline_seconds = 0


@pytest.mark.parametrize(
    "mutate,field",
    [
        (_bad_name, "metadata.name"),
        (_bad_kind, "spec.runtimeRef.kind"),
        (_bad_env, "spec.trainer.env[1].name"),
        (_bad_nodes, "spec.trainer.numNodes"),
        (_bad_memory, 'resources_per_node["memory"]'),
        (_bad_deadline, "spec.activeDeadlineSeconds"),
    ],
    ids=["name", "kind", "env", "num_nodes", "memory", "deadline"],
)
def test_invalid_requests_raise_validation_error_naming_the_field(
    mutate: Callable[[Any], None], field: str
) -> None:
    request = _request()
    mutate(request)
    with pytest.raises(ValidationError) as info:
        _core.build_trainjob(request)
    assert isinstance(info.value, ValueError)
    assert info.value.field == field
    assert info.value.hint
    assert str(info.value).endswith(info.value.hint)


def test_bad_name_message_says_what_and_how() -> None:
    request = _request()
    request.name = "My-Job"
    expected = r'^invalid TrainJob name "My-Job": must be a lowercase RFC 1035 label'
    with pytest.raises(ValidationError, match=expected):
        _core.validate_job_request(request)


def test_parse_runtime_of_a_shipped_runtime() -> None:
    runtime = json.loads((FIXTURES / "torchtune-llama3.2-1b.json").read_text())
    info = _core.parse_runtime(runtime)
    assert (info.name, info.kind, info.trainer_type, info.framework) == (
        "torchtune-llama3.2-1b",
        "ClusterTrainingRuntime",
        "BuiltinTrainer",
        "torchtune",
    )
    assert (info.num_nodes, info.device, info.device_count) == (1, "gpu", "2")
    assert info.launcher == _core.Launcher.torchtune
    assert info.launcher.name == "torchtune"


def test_parse_runtime_uses_kind_hint_and_names_missing_fields() -> None:
    runtime = json.loads((FIXTURES / "torch-distributed.json").read_text())
    del runtime["kind"]
    assert _core.parse_runtime(runtime, kind_hint="TrainingRuntime").kind == "TrainingRuntime"
    del runtime["spec"]["mlPolicy"]
    with pytest.raises(ValidationError) as info:
        _core.parse_runtime(runtime, "TrainingRuntime")
    assert info.value.field == "spec.mlPolicy"
