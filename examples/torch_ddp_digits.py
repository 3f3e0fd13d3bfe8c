"""A small CNN that classifies handwritten digits, trained with PyTorch DDP on two nodes.

Run ``python examples/torch_ddp_digits.py`` to train on 2 local nodes (the local process backend),
or ``python examples/torch_ddp_digits.py --kubernetes`` to submit the same ``CustomTrainer`` to
the cluster of your kubeconfig (``KubernetesBackendConfig``; ``--namespace``, ``--context`` and
``--kubeconfig`` pick it). The training function is the same in both cases: on a cluster every
node pod runs it under torchrun from the ``torch-distributed`` runtime, locally every process
gets the environment a node pod would get, so ``init_process_group("gloo")`` needs no arguments.

The data are scikit-learn's bundled 8x8 digits (1,797 images shipped with the package: nothing
is downloaded at run time). ``packages_to_install=["scikit-learn"]`` puts it into the runtime's
image on a cluster; locally it is already satisfied when the caller has scikit-learn.

At the end every rank prints its test accuracy and a digest of its weights: DDP all-reduces the
gradients, so every rank must end with the same weights.
"""

from __future__ import annotations

import argparse
import sys

from kubeflow.trainer import (
    CustomTrainer,
    KubernetesBackendConfig,
    LocalProcessBackendConfig,
    TrainerClient,
)


def train_digits(
    epochs: int = 8, batch_size: int = 32, learning_rate: float = 0.05, seed: int = 0
) -> None:
    """Train the CNN on this rank's shard of the digits; print accuracy and a weight digest."""
    import hashlib

    import torch
    import torch.distributed as dist
    from sklearn.datasets import load_digits
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data.distributed import DistributedSampler

    dist.init_process_group("gloo")  # RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT from the env
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(1)  # several processes may share a machine's cores
    torch.manual_seed(seed)  # identical initial weights (DDP also broadcasts rank 0's)

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    labels = torch.tensor(digits.target, dtype=torch.long)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    split = int(0.8 * len(labels))
    train_set = TensorDataset(images[order[:split]], labels[order[:split]])
    test_set = TensorDataset(images[order[split:]], labels[order[split:]])
    # drop_last: every rank runs the same number of steps, or an all-reduce waits forever.
    sampler = DistributedSampler(
        train_set, num_replicas=world, rank=rank, seed=seed, drop_last=True
    )
    loader = DataLoader(train_set, batch_size=batch_size, sampler=sampler)

    model = DistributedDataParallel(
        nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def test_accuracy() -> float:
        # Each rank scores its share of the test set; the counts are summed across ranks.
        model.eval()
        part = test_set[rank::world]
        with torch.no_grad():
            correct = (model(part[0]).argmax(1) == part[1]).sum()
        counts = torch.tensor([float(correct), float(len(part[1]))])
        dist.all_reduce(counts)
        model.train()
        return (counts[0] / counts[1]).item()

    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)
        total = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()  # DDP averages the gradients of all ranks here
            optimizer.step()
            total += loss.item()
        accuracy = test_accuracy()
        if rank == 0:
            print(
                f"epoch {epoch}/{epochs}: loss {total / len(loader):.4f}, "
                f"test accuracy {accuracy:.4f}"
            )

    weights = torch.cat([p.detach().flatten() for p in model.module.parameters()])
    digest = hashlib.sha256(weights.numpy().tobytes()).hexdigest()[:16]
    print(f"rank {rank}/{world} final test accuracy {accuracy:.4f} weights {digest}", flush=True)
    dist.destroy_process_group()  # without it torch aborts the process at exit


def main(argv: list[str] | None = None) -> int:
    """Train on 2 local nodes, or with ``--kubernetes`` on a cluster; stream node-0's logs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--kubernetes", action="store_true", help="submit to a cluster")
    parser.add_argument("--namespace", default=None)
    parser.add_argument("--context", default=None)
    parser.add_argument("--kubeconfig", default=None)
    parser.add_argument("--procs-per-node", type=int, default=1, help="local backend only")
    parser.add_argument("--state-dir", default=None, help="local backend only")
    args = parser.parse_args(argv)

    if args.kubernetes:
        backend: KubernetesBackendConfig | LocalProcessBackendConfig = KubernetesBackendConfig(
            namespace=args.namespace, context=args.context, config_file=args.kubeconfig
        )
    else:
        backend = LocalProcessBackendConfig(
            state_dir=args.state_dir, processes_per_node=args.procs_per_node
        )
    client = TrainerClient(backend)
    trainer = CustomTrainer(
        func=train_digits,
        func_args={"epochs": args.epochs},
        num_nodes=args.nodes,
        packages_to_install=["scikit-learn"],
    )
    name = client.train(runtime="torch-distributed", trainer=trainer)
    where = "the cluster" if args.kubernetes else f"{args.nodes} local nodes"
    print(f"TrainJob {name} started on {where}")
    client.wait_for_job_status(name, status={"Running", "Complete"}, timeout=900)
    for line in client.get_job_logs(name, follow=True):
        print(f"[node-0] {line}")
    job = client.wait_for_job_status(name, timeout=900)  # raises with the logs if it failed
    print(
        f"TrainJob {job.name}: {job.status}; "
        + ", ".join(f"{s.name}={s.status}" for s in job.steps)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
