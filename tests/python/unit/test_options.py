"""Options applied to a TrainJob dict (conformance cases 14-17 and 43-48, plus our merges)."""

from __future__ import annotations

from typing import Any

import pytest

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
    ContainerPatch,
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

MANAGER = "trainer.kubeflow.org/kubeflow-sdk"


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


def node_patch(pod_spec: PodSpecPatch, metadata: dict[str, Any] | None = None) -> RuntimePatch:
    return RuntimePatch(
        training_runtime_spec=TrainingRuntimeSpecPatch(
            template=JobSetTemplatePatch(
                spec=JobSetSpecPatch(
                    replicated_jobs=[
                        ReplicatedJobPatch(
                            name="node",
                            template=JobTemplatePatch(
                                spec=JobSpecPatch(
                                    template=PodTemplatePatch(metadata=metadata, spec=pod_spec)
                                )
                            ),
                        )
                    ]
                )
            )
        )
    )


def node_pod_spec(patch: dict[str, Any]) -> dict[str, Any]:
    jobs = patch["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"]
    assert [j["name"] for j in jobs] == ["node"]
    return jobs[0]["template"]["spec"]["template"]["spec"]


def apply(*options: Any, trainer: Any = None, backend: Any = K8S) -> dict[str, Any]:
    job_spec: dict[str, Any] = {}
    for option in options:
        option(job_spec, trainer, backend)
    return job_spec


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


@pytest.mark.parametrize("bad", [["a"], {"a": 1}, {1: "a"}, "a=b"])
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


# --- case 46: ContainerPatch validation ------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"name": ""}, "Container name must be a non-empty string"),
        ({"name": "   "}, "Container name must be a non-empty string"),
        (
            {"name": "trainer", "env": [{"invalid": "structure"}]},
            "Each env entry must have a 'name' key",
        ),
        ({"name": "trainer", "env": {"A": "b"}}, "env must be a list of dictionaries"),
        ({"name": "trainer", "env": ["A=b"]}, "Each env entry must be a dictionary"),
        ({"name": "trainer", "env": [{"name": ""}]}, "env 'name' must be a non-empty string"),
        (
            {"name": "trainer", "env": [{"name": "A"}]},
            "Each env entry must have either 'value' or 'valueFrom' key",
        ),
        (
            {"name": "trainer", "env": [{"name": "A", "valueFrom": "x"}]},
            "env 'valueFrom' must be a dictionary",
        ),
        (
            {"name": "trainer", "env": [{"name": "A", "valueFrom": {"other": {}}}]},
            "env 'valueFrom' must contain one of: configMapKeyRef, secretKeyRef, fieldRef, "
            "resourceFieldRef",
        ),
        (
            {"name": "trainer", "volume_mounts": [{"name": "vol"}]},
            "Each volume_mounts entry must have a 'mountPath' key",
        ),
        (
            {"name": "trainer", "volume_mounts": [{"mountPath": "/data"}]},
            "Each volume_mounts entry must have a 'name' key",
        ),
        (
            {"name": "trainer", "volume_mounts": [{"name": "vol", "mountPath": "data"}]},
            "volume_mounts 'mountPath' must be an absolute path starting with '/'",
        ),
        (
            {"name": "trainer", "volume_mounts": "vol"},
            "volume_mounts must be a list of dictionaries",
        ),
    ],
)
def test_container_patch_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        ContainerPatch(**kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "source", ["configMapKeyRef", "secretKeyRef", "fieldRef", "resourceFieldRef"]
)
def test_container_patch_accepts_value_from(source: str) -> None:
    env = [
        {"name": "A", "valueFrom": {source: {"name": "x", "key": "y"}}},
        {"name": "B", "value": ""},
    ]
    assert ContainerPatch(name="node", env=env).to_dict() == {"name": "node", "env": env}


def test_replicated_job_name_required() -> None:
    with pytest.raises(ValueError, match="ReplicatedJob name must be a non-empty string"):
        ReplicatedJobPatch(name="")


# --- cases 15, 17 and 47: RuntimePatch serialization -----------------------------------------


def test_empty_runtime_patch() -> None:
    patch = RuntimePatch()
    assert patch.manager == MANAGER
    assert patch.to_dict() == {"manager": MANAGER}
    assert apply(patch) == {"spec": {"runtimePatches": [{"manager": MANAGER}]}}
    with pytest.raises(TypeError):
        RuntimePatch(manager="someone/else")  # type: ignore[call-arg]


def test_runtime_patch_node_selector() -> None:
    spec = apply(node_patch(PodSpecPatch(node_selector={"node-type": "gpu-a100"})))
    assert spec == {
        "spec": {
            "runtimePatches": [
                {
                    "manager": MANAGER,
                    "trainingRuntimeSpec": {
                        "template": {
                            "spec": {
                                "replicatedJobs": [
                                    {
                                        "name": "node",
                                        "template": {
                                            "spec": {
                                                "template": {
                                                    "spec": {
                                                        "nodeSelector": {"node-type": "gpu-a100"}
                                                    }
                                                }
                                            }
                                        },
                                    }
                                ]
                            }
                        }
                    },
                }
            ]
        }
    }


def test_runtime_patch_volume_and_mount() -> None:
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "my-pvc"}}]
    mounts = [{"name": "data", "mountPath": "/workspace"}]
    patch = node_patch(
        PodSpecPatch(
            volumes=volumes, containers=[ContainerPatch(name="trainer", volume_mounts=mounts)]
        )
    )
    assert node_pod_spec(patch.to_dict()) == {
        "volumes": volumes,
        "containers": [{"name": "trainer", "volumeMounts": mounts}],
    }


def test_jobset_metadata_with_labels_and_annotations() -> None:
    patch = RuntimePatch(
        training_runtime_spec=TrainingRuntimeSpecPatch(
            template=JobSetTemplatePatch(metadata={"labels": {"app": "training"}})
        )
    )
    assert apply(
        Labels({"owner": "ml-team"}), Annotations({"description": "Fine-tuning job"}), patch
    ) == {
        "metadata": {
            "labels": {"owner": "ml-team"},
            "annotations": {"description": "Fine-tuning job"},
        },
        "spec": {
            "runtimePatches": [
                {
                    "manager": MANAGER,
                    "trainingRuntimeSpec": {
                        "template": {"metadata": {"labels": {"app": "training"}}}
                    },
                }
            ]
        },
    }


def test_every_pod_spec_field_is_camel_cased_and_dicts_pass_through() -> None:
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}}
    pod = PodSpecPatch(
        service_account_name="sa",
        volumes=[{"name": "v", "emptyDir": {}}],
        init_containers=[ContainerPatch(name="init", security_context={"runAsUser": 0})],
        containers=[ContainerPatch(name="node", env=[{"name": "A", "value": "1"}])],
        image_pull_secrets=[{"name": "regcred"}],
        security_context={"runAsNonRoot": True, "fsGroup": 100},
        node_selector={"k": "v"},
        affinity=affinity,
        tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
        scheduling_gates=[{"name": "gate"}],
    )
    out = pod.to_dict()
    assert list(out) == [
        "serviceAccountName",
        "volumes",
        "initContainers",
        "containers",
        "imagePullSecrets",
        "securityContext",
        "nodeSelector",
        "affinity",
        "tolerations",
        "schedulingGates",
    ]
    assert out["initContainers"] == [{"name": "init", "securityContext": {"runAsUser": 0}}]
    assert out["affinity"] == affinity and out["affinity"] is not affinity
    assert out["securityContext"] == {"runAsNonRoot": True, "fsGroup": 100}


def test_none_empty_lists_and_empty_nested_patches_are_dropped() -> None:
    patch = RuntimePatch(
        training_runtime_spec=TrainingRuntimeSpecPatch(
            template=JobSetTemplatePatch(
                spec=JobSetSpecPatch(replicated_jobs=[]),
            )
        )
    )
    assert patch.to_dict() == {"manager": MANAGER}
    job = ReplicatedJobPatch(
        name="node",
        template=JobTemplatePatch(
            spec=JobSpecPatch(template=PodTemplatePatch(spec=PodSpecPatch(tolerations=[])))
        ),
    )
    assert job.to_dict() == {"name": "node"}


# --- our improvement: RuntimePatch merge -----------------------------------------------------


def test_two_runtime_patches_merge_into_one_entry() -> None:
    first = node_patch(
        PodSpecPatch(
            node_selector={"pool": "gpu"},
            volumes=[{"name": "data", "emptyDir": {}}],
            tolerations=[{"key": "a", "operator": "Exists"}],
            containers=[ContainerPatch(name="node", env=[{"name": "A", "value": "1"}])],
        ),
        metadata={"labels": {"x": "1"}},
    )
    second = node_patch(
        PodSpecPatch(
            service_account_name="sa",
            volumes=[{"name": "data", "emptyDir": {}}, {"name": "cache", "emptyDir": {}}],
            tolerations=[{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists"}],
            containers=[
                ContainerPatch(name="node", env=[{"name": "B", "value": "2"}]),
                ContainerPatch(name="sidecar", security_context={"privileged": False}),
            ],
        ),
        metadata={"labels": {"y": "2"}},
    )
    launcher = RuntimePatch(
        training_runtime_spec=TrainingRuntimeSpecPatch(
            template=JobSetTemplatePatch(
                metadata={"annotations": {"a": "b"}},
                spec=JobSetSpecPatch(replicated_jobs=[ReplicatedJobPatch(name="launcher")]),
            )
        )
    )
    spec = apply(first, second, launcher)
    patches = spec["spec"]["runtimePatches"]
    assert len(patches) == 1 and patches[0]["manager"] == MANAGER
    template = patches[0]["trainingRuntimeSpec"]["template"]
    assert template["metadata"] == {"annotations": {"a": "b"}}
    assert [j["name"] for j in template["spec"]["replicatedJobs"]] == ["node", "launcher"]
    pod_template = template["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]
    assert pod_template["metadata"] == {"labels": {"x": "1", "y": "2"}}
    assert pod_template["spec"] == {
        "nodeSelector": {"pool": "gpu"},
        "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cache", "emptyDir": {}}],
        "tolerations": [{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists"}],
        "containers": [
            {"name": "node", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            {"name": "sidecar", "securityContext": {"privileged": False}},
        ],
        "serviceAccountName": "sa",
    }


@pytest.mark.parametrize(
    "a,b,where",
    [
        (
            PodSpecPatch(node_selector={"pool": "gpu"}),
            PodSpecPatch(node_selector={"pool": "cpu"}),
            "nodeSelector.pool",
        ),
        (
            PodSpecPatch(service_account_name="a"),
            PodSpecPatch(service_account_name="b"),
            "serviceAccountName",
        ),
        (
            PodSpecPatch(volumes=[{"name": "data", "emptyDir": {}}]),
            PodSpecPatch(volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "c"}}]),
            "volumes[name=data]",
        ),
        (
            PodSpecPatch(
                containers=[ContainerPatch(name="node", env=[{"name": "A", "value": "1"}])]
            ),
            PodSpecPatch(
                containers=[ContainerPatch(name="node", env=[{"name": "A", "value": "2"}])]
            ),
            "containers[name=node].env[name=A]",
        ),
    ],
    ids=["scalar", "string", "volume", "env"],
)
def test_conflicting_runtime_patches_raise(a: PodSpecPatch, b: PodSpecPatch, where: str) -> None:
    job_spec: dict[str, Any] = {}
    node_patch(a)(job_spec, None, K8S)
    with pytest.raises(ValueError) as info:
        node_patch(b)(job_spec, None, K8S)
    assert "Two RuntimePatch options set different values at" in str(info.value)
    assert (
        str(info.value)
        .split(" at ", 1)[1]
        .startswith(f"runtimePatches[manager={MANAGER}].trainingRuntimeSpec")
    )
    assert where in str(info.value)


def test_same_runtime_patch_twice_is_idempotent() -> None:
    patch = node_patch(PodSpecPatch(node_selector={"a": "b"}, tolerations=[{"key": "k"}]))
    assert apply(patch, patch) == apply(patch)


def test_runtime_patch_keeps_entries_of_other_managers() -> None:
    job_spec: dict[str, Any] = {"spec": {"runtimePatches": [{"manager": "example.io/team"}]}}
    RuntimePatch()(job_spec, None, K8S)
    assert job_spec["spec"]["runtimePatches"] == [
        {"manager": "example.io/team"},
        {"manager": MANAGER},
    ]


def test_patch_does_not_alias_user_objects() -> None:
    selector = {"a": "b"}
    job_spec = apply(node_patch(PodSpecPatch(node_selector=selector)))
    node_pod_spec(job_spec["spec"]["runtimePatches"][0])["nodeSelector"]["a"] = "changed"
    assert selector == {"a": "b"}
