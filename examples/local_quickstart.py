"""Quickstart: data-parallel logistic regression on two local "nodes", no cluster needed.

Run it with ``make example`` (installs the package first) or
``python examples/local_quickstart.py [--nodes N] [--epochs E] [--state-dir DIR]``.

The training function is shipped to every process exactly as it would be to every node pod of a
Kubernetes TrainJob, and reads its rank from the environment the torch runtime injects (``RANK``,
``WORLD_SIZE``). Each rank trains on its shard of the data; after every epoch the ranks average
their weights (synchronous model averaging through files in a directory they share, a stand-in
for an all-reduce that needs nothing but numpy). Every rank ends with the same model.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient


def train_logistic_regression(
    sync_dir: str,
    epochs: int = 8,
    num_samples: int = 20000,
    num_features: int = 20,
    batch_size: int = 64,
    learning_rate: float = 0.5,
    seed: int = 7,
) -> None:
    """Train a logistic regression with numpy on this rank's shard, averaging after each epoch."""
    import json
    import os
    import time

    import numpy as np

    rank = int(os.environ.get("RANK", "0"))
    world_size = int(os.environ.get("WORLD_SIZE", "1"))

    # The same synthetic dataset on every rank (same seed): a noisy linear boundary.
    data_rng = np.random.default_rng(seed)
    true_w = data_rng.normal(size=num_features)
    x = data_rng.normal(size=(num_samples, num_features))
    logits = x @ true_w + data_rng.normal(scale=1.0, size=num_samples)
    y = (logits > 0).astype(np.float64)
    split = int(0.8 * num_samples)
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]
    # This rank's shard: every world_size-th example.
    x_shard, y_shard = x_train[rank::world_size], y_train[rank::world_size]
    print(
        f"rank {rank}/{world_size}: {len(x_shard)} training examples, {num_features} features",
        flush=True,
    )

    def sigmoid(z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def metrics(w: np.ndarray, b: float, xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
        p = sigmoid(xs @ w + b)
        eps = 1e-12
        loss = float(-np.mean(ys * np.log(p + eps) + (1 - ys) * np.log(1 - p + eps)))
        accuracy = float(np.mean((p > 0.5) == (ys > 0.5)))
        return loss, accuracy

    def average(epoch: int, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
        """Write this rank's parameters, wait for every rank's, return their mean."""
        mine = os.path.join(sync_dir, f"epoch{epoch}-rank{rank}.npy")
        np.save(mine + ".tmp.npy", np.append(w, b))
        os.replace(mine + ".tmp.npy", mine)  # atomic: readers never see a partial file
        paths = [os.path.join(sync_dir, f"epoch{epoch}-rank{r}.npy") for r in range(world_size)]
        deadline = time.monotonic() + 300
        while not all(os.path.exists(p) for p in paths):
            if time.monotonic() > deadline:
                raise TimeoutError(f"rank {rank}: other ranks did not finish epoch {epoch}")
            time.sleep(0.01)
        mean = np.mean([np.load(p) for p in paths], axis=0)
        return mean[:-1], float(mean[-1])

    w, b = np.zeros(num_features), 0.0
    shuffle_rng = np.random.default_rng(seed + rank)
    for epoch in range(1, epochs + 1):
        started = time.monotonic()
        order = shuffle_rng.permutation(len(x_shard))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            xb, yb = x_shard[idx], y_shard[idx]
            error = sigmoid(xb @ w + b) - yb
            w -= learning_rate * (xb.T @ error) / len(idx)
            b -= learning_rate * float(error.mean())
        w, b = average(epoch, w, b)
        train_loss, train_acc = metrics(w, b, x_shard, y_shard)
        test_loss, test_acc = metrics(w, b, x_test, y_test)
        print(
            f"rank {rank} epoch {epoch}/{epochs}: shard loss {train_loss:.4f} "
            f"acc {train_acc:.4f} | test loss {test_loss:.4f} acc {test_acc:.4f} "
            f"({time.monotonic() - started:.2f}s)",
            flush=True,
        )

    test_loss, test_acc = metrics(w, b, x_test, y_test)
    cosine = float(w @ true_w / (np.linalg.norm(w) * np.linalg.norm(true_w)))
    if rank == 0:
        result = {
            "test_loss": test_loss,
            "test_accuracy": test_acc,
            "cosine_to_truth": cosine,
            "epochs": epochs,
            "world_size": world_size,
        }
        with open(os.path.join(sync_dir, "metrics.json"), "w") as out:
            json.dump(result, out)
    print(
        f"rank {rank} done: test loss {test_loss:.4f}, test accuracy {test_acc:.4f}, "
        f"cosine(w, w_true) {cosine:.4f}"
    )


def main(argv: list[str] | None = None) -> int:
    """Train on the local backend, stream node-0's log, and print the final metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2, help="emulated nodes (default 2)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument(
        "--state-dir",
        default=None,
        help="job store (default: $KUBEFLOW_LOCAL_STATE_DIR or ~/.kubeflow/trainer/local)",
    )
    args = parser.parse_args(argv)

    client = TrainerClient(LocalProcessBackendConfig(state_dir=args.state_dir))
    sync_dir = tempfile.mkdtemp(prefix="kubeflow-quickstart-")
    started = time.monotonic()
    try:
        name = client.train(
            trainer=CustomTrainer(
                func=train_logistic_regression,
                func_args={"sync_dir": sync_dir, "epochs": args.epochs},
                num_nodes=args.nodes,
            ),
        )
        print(f"TrainJob {name} started on {args.nodes} local nodes; following node-0:")
        for line in client.get_job_logs(name, follow=True):
            print(f"  [node-0] {line}")
        job = client.wait_for_job_status(name, timeout=600)  # raises if the job failed
        elapsed = time.monotonic() - started
        metrics = json.loads(Path(sync_dir, "metrics.json").read_text())
    finally:
        shutil.rmtree(sync_dir, ignore_errors=True)

    print(
        f"\nTrainJob {job.name}: {job.status} in {elapsed:.1f}s, steps "
        + ", ".join(f"{s.name}={s.status}" for s in job.steps)
    )
    print(
        f"final metrics: test loss {metrics['test_loss']:.4f}, "
        f"test accuracy {metrics['test_accuracy']:.4f}, "
        f"cosine(w, w_true) {metrics['cosine_to_truth']:.4f}"
    )
    state_dir = client.backend.state_dir  # type: ignore[attr-defined]
    print(f"logs: {state_dir / 'jobs' / job.name / 'logs'} (one file per node)")
    print(
        "remove it with: TrainerClient(LocalProcessBackendConfig("
        f"state_dir={str(state_dir)!r})).delete_job({job.name!r})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
