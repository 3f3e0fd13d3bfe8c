"""LocalProcessBackend with torch.distributed (gloo): only when torch is installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient

pytest.importorskip("torch")


def all_reduce_ranks() -> None:
    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")  # everything from the env the backend injects
    value = torch.tensor([float(dist.get_rank() + 1)])
    dist.all_reduce(value)
    print(f"rank={dist.get_rank()} world={dist.get_world_size()} sum={int(value.item())}")
    dist.destroy_process_group()


def test_gloo_all_reduce_across_local_nodes(tmp_path: Path) -> None:
    client = TrainerClient(
        LocalProcessBackendConfig(state_dir=str(tmp_path / "state"), processes_per_node=2)
    )
    name = client.train(trainer=CustomTrainer(func=all_reduce_ranks, num_nodes=2))
    client.wait_for_job_status(name, timeout=180, polling_interval=1)
    lines = [line for n in range(2) for line in client.get_job_logs(name, step=f"node-{n}")]
    assert sorted(line.split()[1] for line in lines) == ["rank=0", "rank=1", "rank=2", "rank=3"]
    assert all(line.endswith("world=4 sum=10") for line in lines)
    client.delete_job(name)
