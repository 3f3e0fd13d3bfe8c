"""TrainerClient.list_runtimes / get_runtime against the real API server (kubeflow-sdk.md §3.3,
conformance cases 1-5)."""

from __future__ import annotations

import pytest

from kubeflow.trainer import RuntimeKind, TrainerType
from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import ApiError, NotFoundError, ValidationError
from tests.python.integration.k8s_sim import (
    SHIPPED_RUNTIMES,
    client,
    cluster_runtime,
    create_training_runtime,
)

CLUSTER = RuntimeKind.CLUSTER_TRAINING_RUNTIME
NAMESPACED = RuntimeKind.TRAINING_RUNTIME


def _node_image(runtime_object: dict) -> str:
    for rjob in runtime_object["spec"]["template"]["spec"]["replicatedJobs"]:
        labels = rjob["template"].get("metadata", {}).get("labels", {})
        if "trainer.kubeflow.org/trainjob-ancestor-step" not in labels:
            continue
        for c in rjob["template"]["spec"]["template"]["spec"]["containers"]:
            if c["name"] == "node":
                return c["image"]
    raise AssertionError("no trainer container")


def test_list_runtimes_is_exactly_the_shipped_cluster_runtimes(cluster, namespace):
    c = client(cluster, namespace)
    runtimes = c.list_runtimes()
    assert sorted(r.name for r in runtimes) == sorted(SHIPPED_RUNTIMES)
    assert len(runtimes) == len(SHIPPED_RUNTIMES)
    assert all(r.kind is CLUSTER for r in runtimes)
    # One list per scope, nothing per runtime.
    assert c.backend.request_count == 2

    by_name = {r.name: r for r in runtimes}
    for name, runtime in by_name.items():
        assert runtime.trainer.image == _node_image(cluster_runtime(cluster, name)), name
        assert runtime.trainer.num_nodes == 1
        assert runtime.pretrained_model is None

    torch = by_name["torch-distributed"].trainer
    assert (torch.trainer_type, torch.framework) == (TrainerType.CUSTOM_TRAINER, "torch")
    assert torch.command == constants.TORCH_COMMAND
    assert (torch.device, torch.device_count) == ("Unknown", "Unknown")

    deepspeed = by_name["deepspeed-distributed"].trainer
    assert deepspeed.framework == "deepspeed"
    assert deepspeed.command == constants.MPI_COMMAND
    # mpi.numProcPerNode (1) overrides the count, times mlPolicy.numNodes (1).
    assert (deepspeed.device, deepspeed.device_count) == ("Unknown", "1")

    assert by_name["jax-distributed"].trainer.command == constants.DEFAULT_COMMAND
    assert by_name["xgboost-distributed"].trainer.command == constants.DEFAULT_COMMAND
    assert by_name["mlx-distributed"].trainer.command == constants.MPI_COMMAND

    for name in ("torchtune-llama3.2-1b", "torchtune-llama3.2-3b", "torchtune-qwen2.5-1.5b"):
        tune = by_name[name].trainer
        assert tune.trainer_type is TrainerType.BUILTIN_TRAINER
        assert tune.framework == "torchtune"
        assert tune.command == constants.TORCH_TUNE_COMMAND
        # The shipped node container limits nvidia.com/gpu: 2.
        assert (tune.device, tune.device_count) == ("gpu", "2")


def test_namespaced_runtime_shadows_the_cluster_runtime_of_the_same_name(cluster, namespace):
    create_training_runtime(
        cluster,
        namespace,
        "torch-distributed",
        like="torch-distributed",
        image="example.com/test-runtime",
        num_nodes=2,
        limits={"nvidia.com/gpu": 1},
    )
    create_training_runtime(cluster, namespace, "ns-runtime-2", like="jax-distributed")
    c = client(cluster, namespace)

    runtimes = c.list_runtimes()
    names = [r.name for r in runtimes]
    # Namespaced runtimes first (API order: by name), then the cluster ones they do not shadow.
    assert names[:2] == ["ns-runtime-2", "torch-distributed"]
    assert sorted(names[2:]) == sorted(SHIPPED_RUNTIMES - {"torch-distributed"})
    assert len(names) == len(set(names)) == len(SHIPPED_RUNTIMES) + 1
    kinds = {r.name: r.kind for r in runtimes}
    assert kinds["torch-distributed"] is NAMESPACED
    assert kinds["ns-runtime-2"] is NAMESPACED
    assert kinds["jax-distributed"] is CLUSTER

    # Case 1: 1 GPU per node x 2 nodes gives "2".
    torch = c.get_runtime("torch-distributed")
    assert torch.kind is NAMESPACED
    assert torch.trainer.image == "example.com/test-runtime"
    assert torch.trainer.num_nodes == 2
    assert (torch.trainer.device, torch.trainer.device_count) == ("gpu", "2")
    assert torch.trainer.command == constants.TORCH_COMMAND


def test_get_runtime_falls_back_to_the_cluster_scope(cluster, namespace):
    c = client(cluster, namespace)
    runtime = c.get_runtime("jax-distributed")
    assert runtime.name == "jax-distributed"
    assert runtime.kind is CLUSTER
    assert runtime.trainer.framework == "jax"
    # The namespaced GET (404), then the cluster GET.
    assert c.backend.request_count == 2


def test_get_runtime_not_found_is_a_typed_runtime_error_naming_both_scopes(cluster, namespace):
    c = client(cluster, namespace)
    with pytest.raises(NotFoundError) as raised:
        c.get_runtime("no-such-runtime")
    error = raised.value
    assert isinstance(error, RuntimeError)  # upstream raises RuntimeError here
    assert isinstance(error, ApiError)
    assert error.status == 404 and error.reason == "NotFound"
    message = str(error)
    assert "no-such-runtime" in message
    assert "TrainingRuntime" in message and "ClusterTrainingRuntime" in message
    assert namespace in message
    # The server's own words are kept.
    assert '"no-such-runtime" not found' in error.server_message


def test_runtime_without_framework_label_is_skipped_by_list_and_rejected_by_get(cluster, namespace):
    create_training_runtime(
        cluster, namespace, "unlabelled", like="torch-distributed", framework=None
    )
    c = client(cluster, namespace)
    names = [r.name for r in c.list_runtimes()]
    assert "unlabelled" not in names
    assert sorted(names) == sorted(SHIPPED_RUNTIMES)
    # Upstream raises a bare Exception here; ours says which label is missing.
    with pytest.raises(ValidationError, match=r"trainer\.kubeflow\.org/framework"):
        c.get_runtime("unlabelled")


def test_limited_user_can_list_and_get_runtimes(cluster):
    c = client(cluster, cluster.limited_namespace, cluster.limited_kubeconfig)
    assert {r.name for r in c.list_runtimes()} >= SHIPPED_RUNTIMES
    assert c.get_runtime("torch-distributed").kind is CLUSTER
