"""Requests are shaped for the Trainer version the cluster reports (kubeflow-trainer-public)."""

from __future__ import annotations

import pytest

from kubeflow.trainer import CustomTrainerContainer, KubernetesBackendConfig, TrainerClient
from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.options import ActiveDeadlineSeconds, Labels

CONFIGMAP = "/api/v1/namespaces/kubeflow-system/configmaps/kubeflow-trainer-public"
TRAINJOBS = "/apis/trainer.kubeflow.org/v1alpha1/namespaces/{}/trainjobs"


def _client(cluster, namespace) -> TrainerClient:
    return TrainerClient(
        KubernetesBackendConfig(config_file=cluster.admin_kubeconfig, namespace=namespace)
    )


def _set_version(cluster, version: str) -> None:
    cluster.kube.patch(CONFIGMAP, {"data": {"kubeflow_trainer_version": version}})


def test_options_newer_than_the_server_are_refused(cluster, namespace) -> None:
    _set_version(cluster, "v2.1.0")
    try:
        client = _client(cluster, namespace)
        with pytest.raises(ValidationError) as info:
            client.train(
                runtime="torch-distributed",
                trainer=CustomTrainerContainer(image="example.com/train:1"),
                options=[ActiveDeadlineSeconds(60)],
            )
        assert "ActiveDeadlineSeconds" in str(info.value)
        assert "v2.1.0" in str(info.value)
        assert cluster.kube.list(TRAINJOBS.format(namespace)) == []
        # Options every version understands still work, and the version is read only once.
        before = client.backend.request_count
        client.train(
            runtime="torch-distributed",
            trainer=CustomTrainerContainer(image="example.com/train:1"),
            options=[Labels({"team": "a"})],
        )
        assert client.backend.request_count - before == 3  # runtime (2 scopes) + create
    finally:
        _set_version(cluster, "v2.3.0")


def test_current_server_accepts_the_deadline(cluster, namespace) -> None:
    client = _client(cluster, namespace)
    name = client.train(
        runtime="torch-distributed",
        trainer=CustomTrainerContainer(image="example.com/train:1"),
        options=[ActiveDeadlineSeconds(60)],
    )
    job = cluster.kube.get(TRAINJOBS.format(namespace) + "/" + name)
    assert job["spec"]["activeDeadlineSeconds"] == 60
