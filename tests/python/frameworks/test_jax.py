"""JAX multi-process on CPU from the environment of the jax-distributed runtime."""

from __future__ import annotations

from kubeflow.trainer import CustomTrainer, TrainerClient
from tests.python.frameworks.jobs import result_lines, run_job


def jax_collectives() -> None:
    """jax.distributed.initialize from JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES and
    JAX_PROCESS_ID, then collectives across the processes' CPU devices."""
    import os

    import jax

    # CPU collectives across processes go through gloo; without it a computation that spans
    # processes fails (the default CPU client has no cross-process implementation).
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=os.environ["JAX_COORDINATOR_ADDRESS"],
        num_processes=int(os.environ["JAX_NUM_PROCESSES"]),
        process_id=int(os.environ["JAX_PROCESS_ID"]),
    )
    import jax.numpy as jnp
    import numpy as np
    from jax.experimental import multihost_utils
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    pid = jax.process_index()
    gathered = multihost_utils.process_allgather(jnp.array([pid + 1.0]))
    # A jitted sum over an array sharded across every process's device: an all-reduce.
    mesh = Mesh(np.array(jax.devices()), ("i",))
    local = np.full((len(jax.local_devices()),), pid + 1.0, dtype=np.float32)
    spread = multihost_utils.host_local_array_to_global_array(local, mesh, PartitionSpec("i"))
    total = jax.jit(jnp.sum, out_shardings=NamedSharding(mesh, PartitionSpec()))(spread)
    print(
        f"result pid={pid} count={jax.process_count()} devices={jax.device_count()} "
        f"gathered={','.join(str(int(v)) for v in np.ravel(gathered))} "
        f"sum={int(np.asarray(total.addressable_data(0)))}",
        flush=True,
    )
    jax.distributed.shutdown()


def test_jax_collectives_across_four_processes(client: TrainerClient, figures: list[str]) -> None:
    trainer = CustomTrainer(func=jax_collectives, num_nodes=2)
    lines = run_job(client, "jax-distributed", trainer, figures, "jax 2x2")
    results = result_lines(lines, "result")
    assert sorted(r["pid"] for r in results) == ["0", "1", "2", "3"], lines
    assert {(r["count"], r["devices"]) for r in results} == {("4", "4")}
    assert {r["gathered"] for r in results} == {"1,2,3,4"}
    assert {r["sum"] for r in results} == {"10"}
