"""PyTorch DDP over gloo on CPU through the torch-distributed runtime: 2 nodes x 2 processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeflow.trainer import CustomTrainer, TrainerClient
from kubeflow.trainer.backends.localprocess import venv_cache
from tests.python.frameworks.jobs import result_lines, run_job


def ddp_train(steps: int) -> None:
    """All-reduce the ranks, then train a linear model with DDP on rank-specific data."""
    import hashlib
    import os

    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group("gloo")  # everything from the environment the backend injects
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(1)
    total = torch.tensor([float(rank + 1)])
    dist.all_reduce(total)

    # Different data and different initial weights on every rank: only DDP's broadcast of
    # rank 0's weights and its all-reduce of the gradients can make the ranks agree at the end.
    # The same training without DDP is the control: it ends with one model per rank.
    def train(wrap: bool) -> str:
        torch.manual_seed(rank)
        module = torch.nn.Linear(8, 1)
        model = DistributedDataParallel(module) if wrap else module
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(steps):
            x = torch.randn(16, 8)
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(x), x.sum(1, keepdim=True)).backward()
            optimizer.step()
        weights = torch.cat([p.detach().flatten() for p in module.parameters()])
        return hashlib.sha256(weights.numpy().tobytes()).hexdigest()[:16]

    alone, digest = train(wrap=False), train(wrap=True)
    print(
        f"result rank={rank} world={world} sum={int(total.item())} weights={digest} alone={alone} "
        f"node={os.environ['PET_NODE_RANK']} local={os.environ['LOCAL_RANK']} "
        f"nproc={os.environ['PET_NPROC_PER_NODE']} nnodes={os.environ['PET_NNODES']}",
        flush=True,
    )
    dist.destroy_process_group()  # else torch aborts the process at exit (SIGABRT)


def test_ddp_over_gloo_on_two_nodes_of_two_processes(
    client: TrainerClient, figures: list[str]
) -> None:
    trainer = CustomTrainer(func=ddp_train, func_args={"steps": 5}, num_nodes=2)
    lines = run_job(client, "torch-distributed", trainer, figures, "torch DDP 2x2")
    results = result_lines(lines, "result")
    assert sorted(r["rank"] for r in results) == ["0", "1", "2", "3"], lines
    assert {r["world"] for r in results} == {"4"}
    assert {r["sum"] for r in results} == {"10"}  # 1 + 2 + 3 + 4 from a real all-reduce
    assert {(r["node"], r["local"]) for r in results} == {
        ("0", "0"),
        ("0", "1"),
        ("1", "0"),
        ("1", "1"),
    }
    assert {(r["nproc"], r["nnodes"]) for r in results} == {("2", "2")}
    assert len({r["weights"] for r in results}) == 1  # identical weights on every rank
    assert len({r["alone"] for r in results}) == 4  # the control: without DDP, four models


def all_reduce_ranks() -> None:
    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")
    value = torch.tensor([float(dist.get_rank() + 1)])
    dist.all_reduce(value)
    print(f"result rank={dist.get_rank()} sum={int(value.item())} torch={torch.__file__}")
    dist.destroy_process_group()


def test_packages_to_install_torch_reuses_the_callers_torch(
    client: TrainerClient, figures: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook's ``CustomTrainer(packages_to_install=["torch"])``: the cached environment
    overlays the caller's, whose torch satisfies the requirement, so nothing is downloaded (no
    index is reachable to pip here), and a second job reuses the environment."""
    import torch

    monkeypatch.setenv("PIP_NO_INDEX", "1")  # the supervisor's pip inherits it: offline
    trainer = CustomTrainer(func=all_reduce_ranks, num_nodes=2, packages_to_install=["torch"])
    first = run_job(client, "torch-distributed", trainer, figures, "packages_to_install torch")
    assert any("Requirement already satisfied: torch" in line for line in first), first
    results = result_lines(first, "result")
    assert {r["sum"] for r in results} == {"10"} and len(results) == 4
    assert {r["torch"] for r in results} == {torch.__file__}  # the caller's, not a copy
    second = run_job(client, "torch-distributed", trainer, figures, "same, cached environment")
    assert any("reusing cached environment" in line for line in second)
    assert {r["sum"] for r in result_lines(second, "result")} == {"10"}
    venvs = Path(client.backend.state_dir) / "venvs"  # type: ignore[attr-defined]
    (env,) = [p for p in venvs.iterdir() if p.is_dir()]
    assert venv_cache.tree_size(env) < 50 * 2**20  # no copy of torch (GBs) in it
