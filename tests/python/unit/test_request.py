"""train() on the Kubernetes backend builds its request in one pass: options are read as values,
the launcher comes from the core once, and every local check runs before the first request
(counted by a loopback server that answers every request)."""

from __future__ import annotations

import copy
import json
import pathlib
import sys
from types import SimpleNamespace
from typing import Any

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3]))

from kubeflow.common.types import KubernetesBackendConfig
from kubeflow.trainer import CustomTrainer, CustomTrainerContainer, _core
from kubeflow.trainer.backends.kubernetes import _convert, trainer_spec
from kubeflow.trainer.backends.kubernetes.backend import KubernetesBackend
from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.options import (
    ActiveDeadlineSeconds,
    Annotations,
    Labels,
    Name,
    RuntimePatch,
    TrainerArgs,
    TrainerCommand,
)
from kubeflow.trainer.options._parts import collect
from kubeflow.trainer.types import types
from tests.support.fault_server import FaultServer

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "cpp" / "fixtures" / "runtimes"


def train_fn() -> None:
    print("trained")


def _core_runtime(fixture: str) -> types.Runtime:
    info = _core.parse_runtime(json.loads((FIXTURES / fixture).read_text()), "")
    return _convert.runtime_from_info(info)


def _hand_made(command: tuple[str, ...], trainer_type: Any = None) -> types.Runtime:
    trainer = types.RuntimeTrainer(
        trainer_type=trainer_type or types.TrainerType.CUSTOM_TRAINER,
        framework="any",
        image="img",
    )
    trainer.set_command(command)
    return types.Runtime(
        name="hand-made", trainer=trainer, kind=types.RuntimeKind.CLUSTER_TRAINING_RUNTIME
    )


# --- the launcher -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture,launcher",
    [
        ("torch-distributed.json", _core.Launcher.torchrun),
        ("deepspeed-distributed.json", _core.Launcher.mpirun),
        ("jax-distributed.json", _core.Launcher.python),
        ("torchtune-llama3.2-1b.json", _core.Launcher.torchtune),
    ],
)
def test_a_hand_made_runtime_and_the_cores_give_the_same_launcher(
    fixture: str, launcher: Any
) -> None:
    from_core = _core_runtime(fixture)
    assert _convert.launcher(from_core) == launcher
    hand_made = _hand_made(from_core.trainer.command, from_core.trainer.trainer_type)
    assert _convert.launcher(hand_made) == launcher


def test_the_cores_launcher_is_kept_outside_the_public_fields() -> None:
    runtime = _core_runtime("deepspeed-distributed.json")
    twin = _hand_made(runtime.trainer.command)
    twin.name, twin.trainer.framework = runtime.name, runtime.trainer.framework
    twin.trainer.image = runtime.trainer.image
    twin.trainer.num_nodes = runtime.trainer.num_nodes
    twin.trainer.device, twin.trainer.device_count = runtime.trainer.device, "Unknown"
    assert "launcher" not in repr(runtime)
    assert set(vars(runtime)) - {"_kubeflow_launcher"} == {
        "name",
        "trainer",
        "kind",
        "pretrained_model",
    }
    # A deep copy (get_runtime_packages probes one with a rewritten mpirun command) keeps it,
    # even after the command changed.
    probe = copy.deepcopy(runtime)
    probe.trainer.set_command(("mpirun", "-np", "1", *constants.MPI_COMMAND[3:]))
    assert _convert.launcher(probe) == _core.Launcher.mpirun


def test_the_function_command_is_the_same_for_a_core_and_a_hand_made_runtime() -> None:
    from_core = _core_runtime("deepspeed-distributed.json")
    hand_made = _hand_made(from_core.trainer.command)
    commands = [
        trainer_spec.command_for_function(
            _convert.launcher(r).name, train_fn, template=r.trainer.command
        )
        for r in (from_core, hand_made)
    ]
    assert commands[0] == commands[1]
    assert constants.DEFAULT_MPI_USER_HOME in commands[0][-1]


# --- the options as values --------------------------------------------------------------------

ALL_OPTIONS = [
    Name("my-job"),
    Labels({"team": "ml"}),
    Annotations({"by": "sdk"}),
    ActiveDeadlineSeconds(60),
    RuntimePatch(),
    TrainerCommand(["python", "train.py"]),
    TrainerArgs(["--epochs", "1"]),
]


class _Impostor:  # like Mock(spec=KubernetesBackend): the options check the class only
    __class__ = KubernetesBackend  # type: ignore[assignment]


def test_calling_the_options_still_writes_the_dict_their_values_describe() -> None:
    backend = _Impostor()
    job_spec: dict[str, Any] = {}
    for option in ALL_OPTIONS:
        option(job_spec, None, backend)
    assert job_spec == {
        "metadata": {"name": "my-job", "labels": {"team": "ml"}, "annotations": {"by": "sdk"}},
        "spec": {
            "activeDeadlineSeconds": 60,
            "runtimePatches": [{"manager": constants.RUNTIME_PATCH_MANAGER}],
            "trainer": {"command": ["python", "train.py"], "args": ["--epochs", "1"]},
        },
    }
    parts = collect(ALL_OPTIONS, None, backend)
    written: dict[str, Any] = {}
    parts.write_into(written)
    assert written == job_spec


@pytest.mark.parametrize("junk", [5, "Name", None])
def test_options_must_be_callable(junk: Any) -> None:
    with pytest.raises(ValidationError, match="not an option object") as info:
        collect([Name("a"), junk], None, None)
    assert info.value.field == "options"


def test_a_hand_made_option_sees_and_edits_upstreams_dict() -> None:
    seen: list[dict[str, Any]] = []

    def hand_made(job_spec: dict[str, Any], trainer: Any, backend: Any) -> None:
        seen.append(copy.deepcopy(job_spec))
        job_spec["metadata"]["labels"]["extra"] = "1"
        job_spec["spec"]["activeDeadlineSeconds"] = 5

    parts = collect(
        [Labels({"team": "ml"}), hand_made, Annotations({"by": "sdk"})], None, _Impostor()
    )
    assert seen == [{"metadata": {"labels": {"team": "ml"}}, "spec": {}}]
    assert parts.labels == {"team": "ml", "extra": "1"}
    assert parts.annotations == {"by": "sdk"}
    assert parts.active_deadline_seconds == 5


@pytest.mark.parametrize(
    "key,value,field",
    [
        ("activeDeadlineSeconds", "60", "spec.activeDeadlineSeconds"),
        ("activeDeadlineSeconds", True, "spec.activeDeadlineSeconds"),
        ("runtimePatches", {"manager": "x"}, "spec.runtimePatches"),
        ("trainer", {"command": "python"}, "spec.trainer.command"),
    ],
)
def test_a_hand_made_option_writing_a_wrong_type_is_named(key: str, value: Any, field: str) -> None:
    def hand_made(job_spec: dict[str, Any], trainer: Any, backend: Any) -> None:
        job_spec["spec"][key] = value

    with pytest.raises(ValidationError) as info:
        collect([hand_made], None, None)
    assert info.value.field == field


# --- every local check before the first request -----------------------------------------------


@pytest.fixture
def served() -> Any:
    with FaultServer("ok") as server:
        settings = SimpleNamespace(host=server.url, api_key={"authorization": "Bearer t"})
        backend = KubernetesBackend(
            KubernetesBackendConfig(namespace="team-a", client_configuration=settings)
        )
        yield backend, server


RUNTIME = _hand_made(constants.TORCH_COMMAND)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"runtime": ""}, "spec.runtimeRef.name"),
        ({"runtime": "Not A Name"}, "spec.runtimeRef.name"),
        ({"runtime": 5}, "runtime"),
        ({"trainer": CustomTrainer(func=train_fn, num_nodes=0)}, "spec.trainer.numNodes"),
        ({"trainer": CustomTrainer(func=train_fn, num_nodes=True)}, "trainer.num_nodes"),
        ({"trainer": CustomTrainer(func=train_fn, image=" ")}, "spec.trainer.image"),
        ({"trainer": CustomTrainerContainer(image="")}, "spec.trainer.image"),
        ({"trainer": CustomTrainer(func=train_fn, env={"A": "x\0"})}, "spec.trainer.env[0].value"),
        ({"trainer": CustomTrainer(func=train_fn, env={"1A": "x"})}, "spec.trainer.env[0].name"),
        (
            {"trainer": CustomTrainer(func=train_fn, resources_per_node={"cpu": True})},
            'resources_per_node["cpu"]',
        ),
        ({"options": [Labels({"team": 1})]}, 'metadata.labels["team"]'),  # type: ignore[dict-item]
        ({"options": [Name("Bad_Name")]}, "metadata.name"),
        ({"options": [5]}, "options"),
    ],
    ids=repr,
)
def test_a_bad_argument_is_refused_before_any_request(
    served: Any, kwargs: dict[str, Any], field: str
) -> None:
    backend, server = served
    with pytest.raises(ValidationError) as info:
        backend.train(**{"runtime": RUNTIME, **kwargs})
    assert info.value.field == field, str(info.value)
    assert server.paths == [], "a request was made before the check"
    assert backend.request_count == 0


def test_with_a_runtime_object_the_only_request_creates_the_trainjob(served: Any) -> None:
    backend, server = served
    name = backend.train(
        runtime=RUNTIME,
        trainer=CustomTrainer(func=train_fn, num_nodes=2, env={"A": "1"}),
        options=[Name("my-job"), Labels({"team": "ml"})],
    )
    assert name == "my-job"
    assert [p.split("?")[0] for p in server.paths] == [
        "/apis/trainer.kubeflow.org/v1alpha1/namespaces/team-a/trainjobs"
    ]


def test_a_runtime_kind_is_required_to_build_but_not_to_check() -> None:
    request = _core.JobRequest()
    request.name, request.runtime_name = "job", "torch-distributed"
    assert request.runtime_kind is None
    _core.validate_job_request(request)
    with pytest.raises(ValidationError) as info:
        _core.build_trainjob(request)
    assert info.value.field == "spec.runtimeRef.kind"
