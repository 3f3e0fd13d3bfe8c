"""The quickstart's logistic regression with torch DistributedDataParallel (gloo, CPU).

Run ``python examples/local_torch_ddp.py [--nodes N] [--procs-per-node P]``. It needs torch in
the interpreter that runs it (the local backend runs the function with that same interpreter);
without torch it says so and exits 0.

Every process gets the environment a torch TrainJob node gets (``PET_*``) plus what torchrun
would give its workers (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
``MASTER_PORT``), so ``init_process_group("gloo")`` needs no arguments and gradients are
all-reduced across the local processes by DDP itself.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient


def train_ddp(
    epochs: int = 5,
    num_samples: int = 20000,
    num_features: int = 20,
    batch_size: int = 64,
    learning_rate: float = 0.5,
    seed: int = 7,
) -> None:
    """Logistic regression as a one-layer torch model trained with DDP on this rank's shard."""
    import os

    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group("gloo")  # reads RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
    rank, world_size = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(1)  # several processes share this machine's cores

    generator = torch.Generator().manual_seed(seed)  # same data on every rank
    true_w = torch.randn(num_features, generator=generator)
    x = torch.randn(num_samples, num_features, generator=generator)
    y = ((x @ true_w + torch.randn(num_samples, generator=generator)) > 0).float()
    split = int(0.8 * num_samples)
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]
    x_shard, y_shard = x_train[rank::world_size], y_train[rank::world_size]
    print(
        f"rank {rank}/{world_size} (LOCAL_RANK {os.environ.get('LOCAL_RANK')}, node "
        f"{os.environ.get('PET_NODE_RANK')}): {len(x_shard)} training examples",
        flush=True,
    )

    torch.manual_seed(seed)  # identical initial weights (DDP also broadcasts rank 0's)
    model = DistributedDataParallel(torch.nn.Linear(num_features, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    # Every rank must run the same number of steps, or the all-reduce waits forever.
    steps = len(x_train) // world_size // batch_size
    shuffle = torch.Generator().manual_seed(seed + rank)

    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(x_shard), generator=shuffle)
        model.train()
        for step in range(steps):
            idx = order[step * batch_size : (step + 1) * batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x_shard[idx]).squeeze(1), y_shard[idx])
            loss.backward()  # DDP averages the gradients across all ranks here
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(x_test).squeeze(1)
            test_loss = loss_fn(logits, y_test).item()
            test_acc = ((logits > 0).float() == y_test).float().mean().item()
        print(
            f"rank {rank} epoch {epoch}/{epochs}: test loss {test_loss:.4f} acc {test_acc:.4f}",
            flush=True,
        )

    weights = model.module.weight.detach().squeeze(0)
    cosine = torch.nn.functional.cosine_similarity(weights, true_w, dim=0).item()
    print(
        f"rank {rank} done: test loss {test_loss:.4f}, test accuracy {test_acc:.4f}, "
        f"cosine(w, w_true) {cosine:.4f}"
    )
    dist.destroy_process_group()


def main(argv: list[str] | None = None) -> int:
    """Train with DDP on the local backend when torch is available."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--procs-per-node", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--state-dir", default=None)
    args = parser.parse_args(argv)

    if importlib.util.find_spec("torch") is None:
        print(
            "torch is not installed in this interpreter; this example needs it "
            "(pip install torch). examples/local_quickstart.py runs without torch."
        )
        return 0

    client = TrainerClient(
        LocalProcessBackendConfig(state_dir=args.state_dir, processes_per_node=args.procs_per_node)
    )
    name = client.train(
        runtime="torch-distributed",
        trainer=CustomTrainer(
            func=train_ddp, func_args={"epochs": args.epochs}, num_nodes=args.nodes
        ),
    )
    print(f"TrainJob {name}: {args.nodes} node(s) x {args.procs_per_node} process(es); node-0:")
    for line in client.get_job_logs(name, follow=True):
        print(f"  [node-0] {line}")
    job = client.wait_for_job_status(name, timeout=900)  # raises with the logs if it failed
    print(
        f"TrainJob {job.name}: {job.status}; "
        + ", ".join(f"{s.name}={s.status}" for s in job.steps)
    )
    state_dir = client.backend.state_dir  # type: ignore[attr-defined]
    print(f"logs: {state_dir / 'jobs' / job.name / 'logs'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
