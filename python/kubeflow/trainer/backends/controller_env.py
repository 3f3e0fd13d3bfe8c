"""The variables the Trainer controller's ML policy injects into training containers.

On Kubernetes the torch, JAX and XGBoost policy plugins give every node pod these variables, and
the webhook refuses the torch and XGBoost ones in ``trainer.env``. The local and container
backends emulate that: the names and their meaning live here once; each backend supplies the
values its world needs (the loopback address and a process rank locally, a container name and a
node rank in containers).
"""

from __future__ import annotations

TORCH = "torch"
JAX = "jax"
XGBOOST = "xgboost"

#: Variables the webhook refuses in ``trainer.env``, per framework (it reserves none for JAX).
RESERVED: dict[str, frozenset[str]] = {
    TORCH: frozenset(
        {"PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT"}
    ),
    XGBOOST: frozenset(
        {"DMLC_TRACKER_URI", "DMLC_TRACKER_PORT", "DMLC_TASK_ID", "DMLC_NUM_WORKER"}
    ),
}


def reserved_names(framework: str) -> frozenset[str]:
    """Names ``trainer.env`` may not set for ``framework`` (the controller owns them)."""
    return RESERVED.get(framework, frozenset())


def injected_env(
    framework: str,
    *,
    num_nodes: int,
    procs_per_node: int,
    node_rank: int,
    process_rank: int,
    process_count: int,
    master_addr: str,
    master_port: int,
) -> dict[str, str]:
    """The controller's variables for one training process (or one node's launcher).

    Args:
        framework: ``torch``, ``jax`` or ``xgboost``; any other framework gets nothing.
        num_nodes: Number of nodes of the job.
        procs_per_node: Processes per node (torchrun's ``--nproc-per-node``).
        node_rank: This node's index.
        process_rank: The rank JAX and XGBoost see: the node's index where one process runs per
            node (as on Kubernetes), the process's global rank where the backend starts each
            process itself.
        process_count: How many such ranks exist (``JAX_NUM_PROCESSES``).
        master_addr: Where node 0's rendezvous, coordinator or tracker listens.
        master_port: Its port.
    """
    if framework == TORCH:
        return {
            "PET_NNODES": str(num_nodes),
            "PET_NPROC_PER_NODE": str(procs_per_node),
            "PET_NODE_RANK": str(node_rank),
            "PET_MASTER_ADDR": master_addr,
            "PET_MASTER_PORT": str(master_port),
        }
    if framework == JAX:
        return {
            "JAX_NUM_PROCESSES": str(process_count),
            "JAX_PROCESS_ID": str(process_rank),
            "JAX_COORDINATOR_ADDRESS": f"{master_addr}:{master_port}",
        }
    if framework == XGBOOST:
        return {
            "DMLC_TRACKER_URI": master_addr,
            "DMLC_TRACKER_PORT": str(master_port),
            "DMLC_TASK_ID": str(process_rank),
            "DMLC_NUM_WORKER": str(num_nodes * procs_per_node),
        }
    return {}
