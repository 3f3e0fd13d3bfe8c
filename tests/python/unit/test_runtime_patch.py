"""The RuntimePatch option applied to a TrainJob dict (conformance cases 15, 17, 46 and 47,
plus our merge of several patches into one entry)."""

from __future__ import annotations

from typing import Any

import pytest

from kubeflow.trainer.options import (
    Annotations,
    ContainerPatch,
    JobSetSpecPatch,
    JobSetTemplatePatch,
    JobSpecPatch,
    JobTemplatePatch,
    Labels,
    PodSpecPatch,
    PodTemplatePatch,
    ReplicatedJobPatch,
    RuntimePatch,
    TrainingRuntimeSpecPatch,
)

MANAGER = "trainer.kubeflow.org/kubeflow-sdk"


class KubernetesBackend:
    """Stands in for the real backend: the options check the class name only."""


K8S = KubernetesBackend()


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
