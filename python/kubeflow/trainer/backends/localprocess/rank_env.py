"""The environment each local process gets, per framework, as the Trainer controller injects it.

On Kubernetes the ML policy plugins inject these variables into the ``node`` container of every
node pod (one pod per node, ranks from the pod's completion index, the master at
``<job>-node-0-0.<job>:29500``). Locally every emulated node is a group of processes on this
machine, so the master is the loopback address and the port is a free loopback port chosen per
job.
"""

from __future__ import annotations

from kubeflow.trainer.backends import controller_env

LOOPBACK = "127.0.0.1"


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
    env = controller_env.injected_env(
        framework,
        num_nodes=num_nodes,
        procs_per_node=procs_per_node,
        node_rank=node_rank,
        process_rank=rank,
        process_count=world_size,
        master_addr=LOOPBACK,
        master_port=port,
    )
    if framework == controller_env.TORCH:
        # What torchrun would give each worker on top of the controller's PET_* variables.
        env.update(
            {
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
        )
    return env
