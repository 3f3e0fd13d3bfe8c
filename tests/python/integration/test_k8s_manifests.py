"""Dry run and export: ``build_job_manifest`` gives the TrainJob ``train`` would create,
``manifest_to_yaml`` renders it, ``submit_job`` creates it back; all against the real API server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeflow.trainer import (
    CustomTrainer,
    CustomTrainerContainer,
    LocalProcessBackendConfig,
    TrainerClient,
    manifest_from_yaml,
    manifest_to_yaml,
)
from kubeflow.trainer.errors import InvalidError, ValidationError
from kubeflow.trainer.options import Labels, Name
from tests.python.integration.k8s_sim import client, get_trainjob, trainjob_names


def train_fn(epochs: int) -> None:
    # Quotes, $ and a blank line: the YAML must carry the source exactly.
    print(f"epochs={epochs} home=$HOME 'quoted' \"double\"")

    print("done")


def _same_job(stored: dict, manifest: dict) -> bool:
    """The stored spec is the manifest's plus the server's defaults (managedBy, suspend,
    runtimeRef.apiGroup)."""
    spec, sent = stored["spec"], manifest["spec"]
    return spec["trainer"] == sent["trainer"] and all(
        spec["runtimeRef"][k] == v for k, v in sent["runtimeRef"].items()
    )


def _arguments(name: str) -> dict:
    return {
        "trainer": CustomTrainer(
            func=train_fn,
            func_args={"epochs": 3},
            num_nodes=2,
            env={"FLAG": "true", "COUNT": "1"},
            resources_per_node={"cpu": "500m"},
        ),
        "options": [Name(name), Labels({"team": "vision"})],
    }


def test_the_manifest_is_what_train_creates_and_nothing_is_created(cluster, namespace):
    c = client(cluster, namespace)
    manifest = c.build_job_manifest(**_arguments("from-manifest"))
    assert trainjob_names(cluster, namespace) == []
    assert manifest["metadata"] == {
        "name": "from-manifest",
        "namespace": namespace,
        "labels": {"team": "vision"},
    }

    c.train(**_arguments("from-train"))
    assert c.submit_job(manifest) == "from-manifest"
    # Both as the server stored them (with its defaults: managedBy, suspend, apiGroup).
    from_train = get_trainjob(cluster, namespace, "from-train")
    from_manifest = get_trainjob(cluster, namespace, "from-manifest")
    assert from_manifest["spec"] == from_train["spec"]
    assert from_manifest["spec"]["trainer"] == manifest["spec"]["trainer"]


def test_yaml_round_trip_submits_the_same_trainjob(cluster, namespace, tmp_path: Path):
    c = client(cluster, namespace)
    manifest = c.build_job_manifest(**_arguments("round-trip"))
    path = tmp_path / "job.yaml"
    path.write_text(manifest_to_yaml(manifest))
    text = path.read_text()
    assert manifest_from_yaml(text) == manifest

    assert c.submit_job(text) == "round-trip"
    stored = get_trainjob(cluster, namespace, "round-trip")
    assert _same_job(stored, manifest)
    assert stored["metadata"]["labels"] == {"team": "vision"}


def test_a_read_back_trainjob_can_be_submitted_again_under_a_new_name(cluster, namespace):
    c = client(cluster, namespace)
    c.train(**_arguments("original"))
    stored = c.get_job_manifest("original")
    as_kubectl_sees_it = get_trainjob(cluster, namespace, "original")
    assert stored["spec"] == as_kubectl_sees_it["spec"]
    assert stored["metadata"]["uid"] == as_kubectl_sees_it["metadata"]["uid"]
    assert stored["metadata"]["resourceVersion"] and stored["metadata"]["uid"]
    stored["metadata"]["name"] = "copy"
    stored["status"] = {"conditions": []}
    assert c.submit_job(stored) == "copy"
    assert _same_job(get_trainjob(cluster, namespace, "copy"), stored)


def test_validation_on_the_server_stores_nothing_and_reports_its_refusal(cluster, namespace):
    c = client(cluster, namespace)
    checked = c.build_job_manifest(**_arguments("dry"), validate_on_server=True)
    assert checked["metadata"]["uid"]  # the server's answer, defaults and all
    assert checked["spec"]["trainer"]["numNodes"] == 2
    assert trainjob_names(cluster, namespace) == []

    with pytest.raises(InvalidError) as refused:
        c.build_job_manifest(
            trainer=CustomTrainerContainer(image="example.com/img"),
            options=[Labels({"bad label": "x"})],
            validate_on_server=True,
        )
    assert refused.value.status == 422
    assert trainjob_names(cluster, namespace) == []


@pytest.mark.parametrize(
    "manifest,field",
    [
        (
            {"apiVersion": "kubeflow.org/v1", "kind": "TrainJob", "metadata": {"name": "a"}},
            "apiVersion",
        ),
        (
            {
                "apiVersion": "trainer.kubeflow.org/v1alpha1",
                "kind": "PyTorchJob",
                "metadata": {"name": "a"},
            },
            "kind",
        ),
        (
            {"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob", "metadata": {}},
            "metadata.name",
        ),
        (
            "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\n"
            "metadata: {name: a, namespace: someone-else}\n",
            "metadata.namespace",
        ),
        ("kind: [TrainJob", ""),
        ("- not\n- a mapping\n", ""),
        (42, "manifest"),
    ],
    ids=[
        "api-version",
        "kind",
        "no-name",
        "other-namespace",
        "bad-yaml",
        "a-list",
        "not-a-manifest",
    ],
)
def test_what_is_not_a_trainjob_of_this_namespace_is_refused(cluster, namespace, manifest, field):
    c = client(cluster, namespace)
    with pytest.raises(ValidationError) as refused:
        c.submit_job(manifest)
    assert refused.value.field == field
    assert trainjob_names(cluster, namespace) == []


def test_the_local_backend_says_manifests_need_a_cluster(tmp_path: Path):
    local = TrainerClient(LocalProcessBackendConfig(state_dir=str(tmp_path)))
    for call in (
        lambda: local.build_job_manifest(trainer=CustomTrainer(func=train_fn)),
        lambda: local.submit_job({"kind": "TrainJob"}),
        lambda: local.get_job_manifest("a-job"),
    ):
        with pytest.raises(ValidationError, match="only a Kubernetes cluster runs") as refused:
            call()
        assert refused.value.field == "backend_config"
