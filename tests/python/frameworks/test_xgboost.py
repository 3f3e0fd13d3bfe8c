"""XGBoost distributed training through its tracker and collective on xgboost-distributed."""

from __future__ import annotations

from kubeflow.trainer import CustomTrainer, TrainerClient
from tests.python.frameworks.jobs import result_lines, run_job


def xgboost_train(rounds: int) -> None:
    """Rank 0 starts the tracker at DMLC_TRACKER_URI:DMLC_TRACKER_PORT (on a cluster: node-0's
    pod); every rank joins it, all-reduces a value and trains on its own shard."""
    import hashlib
    import os

    import numpy as np
    import xgboost as xgb
    from sklearn.datasets import make_classification
    from xgboost import collective
    from xgboost.tracker import RabitTracker

    uri, port = os.environ["DMLC_TRACKER_URI"], int(os.environ["DMLC_TRACKER_PORT"])
    rank, world = int(os.environ["DMLC_TASK_ID"]), int(os.environ["DMLC_NUM_WORKER"])
    tracker = None
    if rank == 0:
        tracker = RabitTracker(n_workers=world, host_ip=uri, port=port, sortby="task")
        tracker.start()

    x, y = make_classification(n_samples=4000, n_features=12, random_state=0)
    x_shard, y_shard = x[rank::world], y[rank::world]
    params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 4, "nthread": 1}

    probe = xgb.DMatrix(x[:200])

    def digest(booster: xgb.Booster) -> str:
        # The trees and their predictions (the saved JSON also holds per-process details).
        trees = "".join(booster.get_dump()).encode()
        return hashlib.sha256(trees + booster.predict(probe).tobytes()).hexdigest()[:16]

    alone = xgb.train(params, xgb.DMatrix(x_shard, label=y_shard), num_boost_round=rounds)
    with collective.CommunicatorContext(
        dmlc_tracker_uri=uri, dmlc_tracker_port=port, dmlc_task_id=str(rank), dmlc_retry=20
    ):
        total = collective.allreduce(np.array([rank + 1.0]), collective.Op.SUM)
        # Built inside the context: its histogram bins are then sketched across all ranks.
        shard = xgb.DMatrix(x_shard, label=y_shard)
        booster = xgb.train(params, shard, num_boost_round=rounds)
        print(
            f"result rank={collective.get_rank()} world={collective.get_world_size()} "
            f"sum={int(total[0])} model={digest(booster)} alone={digest(alone)}",
            flush=True,
        )
    if tracker is not None:
        tracker.wait_for()


def test_distributed_training_gives_one_model_on_every_rank(
    client: TrainerClient, figures: list[str]
) -> None:
    trainer = CustomTrainer(func=xgboost_train, func_args={"rounds": 10}, num_nodes=2)
    lines = run_job(client, "xgboost-distributed", trainer, figures, "xgboost 2x2")
    results = result_lines(lines, "result")
    assert sorted(r["rank"] for r in results) == ["0", "1", "2", "3"], lines
    assert {r["world"] for r in results} == {"4"}
    assert {r["sum"] for r in results} == {"10"}  # 1 + 2 + 3 + 4 through the collective
    # Trained on different shards: one model on every rank only through the collective...
    assert len({r["model"] for r in results}) == 1
    # ...while each shard alone gives a model of its own.
    assert len({r["alone"] for r in results}) == 4
