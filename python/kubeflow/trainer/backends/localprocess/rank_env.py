"""The environment each local process gets, per framework, as the Trainer controller injects it.

On Kubernetes the ML policy plugins inject these variables into the ``node`` container of every
node pod (one pod per node, ranks from the pod's completion index, the master at
``<job>-node-0-0.<job>:29500``). Locally every emulated node is a group of processes on this
machine, so the master is the loopback address and the port is a free loopback port chosen per
job.
"""

from __future__ import annotations

from kubeflow.trainer.backends.localprocess import runtimes

LOOPBACK = "127.0.0.1"

#: Variables the controller injects (and its webhook refuses in ``trainer.env``), per framework.
RESERVED_ENV: dict[str, frozenset[str]] = {
    runtimes.TORCH: frozenset(
        {"PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT"}
    ),
    runtimes.XGBOOST: frozenset(
        {"DMLC_TRACKER_URI", "DMLC_TRACKER_PORT", "DMLC_TASK_ID", "DMLC_NUM_WORKER"}
    ),
}


def rank_env(
    framework: str,
    *,
    num_nodes: int,
    procs_per_node: int,
    node_rank: int,
    local_rank: int,
    port: int,
) -> dict[str, str]:
    """The variables for one process.

    Args:
        framework: The runtime's framework (``torch``, ``jax``, ``xgboost``; others get nothing).
        num_nodes: Number of emulated nodes.
        procs_per_node: Processes per node.
        node_rank: This process's node index (0-based).
        local_rank: This process's index within its node (0-based).
        port: The job's rendezvous port on the loopback interface.

    Returns:
        Variable names to values. For torch this is what torchrun would give each worker
        (``PET_*`` plus ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``/... and ``MASTER_ADDR``/
        ``MASTER_PORT``), because the local backend starts the workers itself instead of running
        torchrun.
    """
    world_size = num_nodes * procs_per_node
    rank = node_rank * procs_per_node + local_rank
    if framework == runtimes.TORCH:
        return {
            "PET_NNODES": str(num_nodes),
            "PET_NPROC_PER_NODE": str(procs_per_node),
            "PET_NODE_RANK": str(node_rank),
            "PET_MASTER_ADDR": LOOPBACK,
            "PET_MASTER_PORT": str(port),
            "RANK": str(rank),
            "WORLD_SIZE": str(world_size),
            "LOCAL_RANK": str(local_rank),
            "LOCAL_WORLD_SIZE": str(procs_per_node),
            "GROUP_RANK": str(node_rank),
            "GROUP_WORLD_SIZE": str(num_nodes),
            "ROLE_RANK": str(rank),
            "ROLE_WORLD_SIZE": str(world_size),
            "MASTER_ADDR": LOOPBACK,
            "MASTER_PORT": str(port),
        }
    if framework == runtimes.JAX:
        return {
            "JAX_NUM_PROCESSES": str(world_size),
            "JAX_PROCESS_ID": str(rank),
            "JAX_COORDINATOR_ADDRESS": f"{LOOPBACK}:{port}",
        }
    if framework == runtimes.XGBOOST:
        return {
            "DMLC_TRACKER_URI": LOOPBACK,
            "DMLC_TRACKER_PORT": str(port),
            "DMLC_TASK_ID": str(rank),
            "DMLC_NUM_WORKER": str(world_size),
        }
    return {}


def reserved_names(framework: str) -> frozenset[str]:
    """Names ``trainer.env`` may not set for ``framework`` (the controller owns them)."""
    return RESERVED_ENV.get(framework, frozenset())
