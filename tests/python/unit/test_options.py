"""Simple options applied to a TrainJob dict (conformance cases 14, 16, 43-45 and 48).

The runtime-patch options (cases 15, 17, 46, 47 and our merge) are in test_runtime_patch.py.
"""

from __future__ import annotations

from typing import Any

import pytest

import kubeflow.trainer.options as options_package
import kubeflow.trainer.options.kubernetes as kubernetes_options
import kubeflow.trainer.options.runtime_patch as runtime_patch_module
from kubeflow.trainer import (
    BuiltinTrainer,
    CustomTrainer,
    CustomTrainerContainer,
    TorchTuneConfig,
)
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


class KubernetesBackend:
    """Stands in for the real backend: the options check the class name only."""


class LocalProcessBackend:
    pass


class SubclassedKubernetesBackend(KubernetesBackend):
    pass


K8S = KubernetesBackend()
LOCAL = LocalProcessBackend()


def train_func() -> None:
    pass


def apply(*options: Any, trainer: Any = None, backend: Any = K8S) -> dict[str, Any]:
    job_spec: dict[str, Any] = {}
    for option in options:
        option(job_spec, trainer, backend)
    return job_spec


def test_every_option_keeps_both_import_paths() -> None:
    # The runtime-patch tree moved to its own module; kubernetes.py re-exports it.
    assert set(kubernetes_options.__all__) == set(options_package.__all__) - {"Name"}
    for name in kubernetes_options.__all__:
        assert getattr(kubernetes_options, name) is getattr(options_package, name), name
    assert kubernetes_options.RuntimePatch is runtime_patch_module.RuntimePatch
    assert kubernetes_options.ContainerPatch is runtime_patch_module.ContainerPatch


# --- case 43: backend rejection --------------------------------------------------------------

KUBERNETES_ONLY = [
    Labels({"a": "b"}),
    Annotations({"a": "b"}),
    TrainerCommand(["python", "train.py"]),
    TrainerArgs(["--epochs", "10"]),
    ActiveDeadlineSeconds(60),
    RuntimePatch(),
]


@pytest.mark.parametrize("option", KUBERNETES_ONLY, ids=lambda o: type(o).__name__)
def test_kubernetes_only_options_reject_local_backend(option: Any) -> None:
    job_spec: dict[str, Any] = {}
    with pytest.raises(ValueError) as info:
        option(job_spec, None, LOCAL)
    name = type(option).__name__
    assert str(info.value) == (
        f"{name} option is not compatible with LocalProcessBackend. "
        "Supported backends: KubernetesBackend"
    )
    assert job_spec == {}


@pytest.mark.parametrize("option", KUBERNETES_ONLY, ids=lambda o: type(o).__name__)
def test_kubernetes_backend_subclass_and_declared_class_accepted(option: Any) -> None:
    class Impostor:  # like Mock(spec=KubernetesBackend): __class__ claims the real class
        __class__ = KubernetesBackend  # type: ignore[assignment]

    expected: dict[str, Any] = {}
    option(expected, None, K8S)
    assert expected, "the option wrote nothing into the job spec"
    for backend in (SubclassedKubernetesBackend(), Impostor()):
        job_spec: dict[str, Any] = {}
        option(job_spec, None, backend)
        assert job_spec == expected, type(backend).__name__


def test_name_works_with_every_backend() -> None:
    assert apply(Name("custom-job-name"), backend=LOCAL) == {
        "metadata": {"name": "custom-job-name"}
    }


# --- cases 44 and 14: application ------------------------------------------------------------


@pytest.mark.parametrize(
    "option,expected",
    [
        (Labels({"team": "ml-platform"}), {"metadata": {"labels": {"team": "ml-platform"}}}),
        (
            Annotations({"created-by": "sdk"}),
            {"metadata": {"annotations": {"created-by": "sdk"}}},
        ),
        (Name("custom-job-name"), {"metadata": {"name": "custom-job-name"}}),
        (
            TrainerCommand(["python", "train.py"]),
            {"spec": {"trainer": {"command": ["python", "train.py"]}}},
        ),
        (TrainerArgs(["--epochs", "10"]), {"spec": {"trainer": {"args": ["--epochs", "10"]}}}),
        (ActiveDeadlineSeconds(3600), {"spec": {"activeDeadlineSeconds": 3600}}),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, dict) else "",
)
def test_option_application(option: Any, expected: dict[str, Any]) -> None:
    assert apply(option) == expected


def test_labels_and_annotations_together() -> None:
    assert apply(Labels({"team": "ml-platform"}), Annotations({"created-by": "sdk"})) == {
        "metadata": {"labels": {"team": "ml-platform"}, "annotations": {"created-by": "sdk"}}
    }


def test_labels_and_annotations_merge_when_used_twice() -> None:
    spec = apply(
        Labels({"a": "1", "b": "1"}),
        Labels({"b": "2", "c": "2"}),
        Annotations({"x": "1"}),
        Annotations({"y": "2"}),
    )
    assert spec["metadata"]["labels"] == {"a": "1", "b": "2", "c": "2"}
    assert spec["metadata"]["annotations"] == {"x": "1", "y": "2"}


def test_labels_do_not_alias_the_users_dict() -> None:
    mine = {"a": "1"}
    spec = apply(Labels(mine), Labels({"b": "2"}))
    assert mine == {"a": "1"}
    assert spec["metadata"]["labels"] == {"a": "1", "b": "2"}


def test_labels_keep_existing_metadata() -> None:
    job_spec: dict[str, Any] = {"metadata": {"name": "n", "labels": {"pre": "x"}}}
    Labels({"a": "b"})(job_spec, None, K8S)
    assert job_spec == {"metadata": {"name": "n", "labels": {"pre": "x", "a": "b"}}}


# {"a": 1} is accepted here: the core's validate_job_request refuses it in train(), naming
# metadata.labels["a"] (tests/python/unit/test_request.py).
@pytest.mark.parametrize("bad", [["a"], {"a": object()}, {1: "a"}, "a=b"], ids=repr)
def test_labels_reject_non_string_dicts(bad: Any) -> None:
    with pytest.raises(ValueError, match="dict of strings"):
        Labels(bad)
    with pytest.raises(ValueError, match="dict of strings"):
        Annotations(bad)


# --- case 45: trainer checks -----------------------------------------------------------------


@pytest.mark.parametrize("cls,key", [(TrainerCommand, "command"), (TrainerArgs, "args")])
@pytest.mark.parametrize(
    "trainer",
    [CustomTrainer(func=train_func), BuiltinTrainer(config=TorchTuneConfig())],
    ids=["CustomTrainer", "BuiltinTrainer"],
)
def test_command_and_args_reject_other_trainers(cls: Any, key: str, trainer: Any) -> None:
    with pytest.raises(ValueError) as info:
        apply(cls(["x"]), trainer=trainer)
    assert str(info.value).startswith(
        f"{cls.__name__} can only be used with CustomTrainerContainer."
    )


@pytest.mark.parametrize("cls,key", [(TrainerCommand, "command"), (TrainerArgs, "args")])
def test_command_and_args_with_container_trainer(cls: Any, key: str) -> None:
    trainer = CustomTrainerContainer(image="example.com/my-image")
    assert apply(cls(["a", "b"]), trainer=trainer) == {"spec": {"trainer": {key: ["a", "b"]}}}


def test_command_and_args_together_and_copied() -> None:
    command = ["python", "train.py"]
    spec = apply(TrainerCommand(command), TrainerArgs(["--lr", "0.1"]))
    assert spec == {"spec": {"trainer": {"command": command, "args": ["--lr", "0.1"]}}}
    assert spec["spec"]["trainer"]["command"] is not command


@pytest.mark.parametrize("bad", ["python train.py", [1, 2], None])
def test_command_must_be_a_list_of_strings(bad: Any) -> None:
    with pytest.raises(ValueError, match="list of strings"):
        TrainerCommand(bad)
    with pytest.raises(ValueError, match="list of strings"):
        TrainerArgs(bad)


# --- cases 16 and 48: ActiveDeadlineSeconds --------------------------------------------------


@pytest.mark.parametrize("seconds", [0, -1, -100, True, False, 1.5, "60", None])
def test_active_deadline_rejects(seconds: Any) -> None:
    with pytest.raises(ValueError) as info:
        ActiveDeadlineSeconds(seconds)
    assert str(info.value) == "activeDeadlineSeconds must be a positive integer (minimum 1)"


def test_active_deadline_beyond_int64_is_a_validation_error() -> None:
    # It used to reach pybind11, which raised its own TypeError.
    with pytest.raises(ValidationError, match="too large") as info:
        ActiveDeadlineSeconds(2**63)
    assert info.value.field == "seconds"


def test_active_deadline_minimum_and_with_labels() -> None:
    assert apply(ActiveDeadlineSeconds(1)) == {"spec": {"activeDeadlineSeconds": 1}}
    assert apply(ActiveDeadlineSeconds(3600), Labels({"team": "a"})) == {
        "spec": {"activeDeadlineSeconds": 3600},
        "metadata": {"labels": {"team": "a"}},
    }
