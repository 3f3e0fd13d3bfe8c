"""The controller's per-framework variables, shared by the local and container backends."""

from __future__ import annotations

import pytest

from kubeflow.trainer.backends import controller_env
from kubeflow.trainer.backends.container import runtimes as container_runtimes
from kubeflow.trainer.backends.localprocess.rank_env import rank_env


def test_reserved_names_are_the_webhooks():
    assert controller_env.reserved_names("torch") == {
        "PET_NNODES",
        "PET_NPROC_PER_NODE",
        "PET_NODE_RANK",
        "PET_MASTER_ADDR",
        "PET_MASTER_PORT",
    }
    assert controller_env.reserved_names("xgboost") == {
        "DMLC_TRACKER_URI",
        "DMLC_TRACKER_PORT",
        "DMLC_TASK_ID",
        "DMLC_NUM_WORKER",
    }
    # The webhook reserves nothing for JAX, so trainer.env may set JAX_* on every backend.
    assert controller_env.reserved_names("jax") == frozenset()
    assert controller_env.reserved_names("deepspeed") == frozenset()


@pytest.mark.parametrize("framework", ["torch", "jax", "xgboost"])
def test_both_backends_inject_the_same_names(framework):
    local = rank_env(framework, num_nodes=2, procs_per_node=2, node_rank=1, local_rank=1, port=1)
    container = container_runtimes.node_env(framework, "job", 2, 1, 2)
    assert set(container) <= set(local)
    assert controller_env.reserved_names(framework) <= set(container)


def test_ranks_are_nodes_in_containers_and_processes_locally():
    local = rank_env("jax", num_nodes=2, procs_per_node=2, node_rank=1, local_rank=1, port=7)
    assert local["JAX_PROCESS_ID"] == "3" and local["JAX_NUM_PROCESSES"] == "4"
    container = container_runtimes.node_env("jax", "job", 2, 1, 2)
    assert container["JAX_PROCESS_ID"] == "1" and container["JAX_NUM_PROCESSES"] == "2"
    assert container_runtimes.node_env("xgboost", "job", 2, 1, 2)["DMLC_NUM_WORKER"] == "4"
    assert (
        controller_env.injected_env(
            "mlx",
            num_nodes=1,
            procs_per_node=1,
            node_rank=0,
            process_rank=0,
            process_count=1,
            master_addr="h",
            master_port=1,
        )
        == {}
    )
