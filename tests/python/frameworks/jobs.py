"""Running a job of the frameworks tier and reading its results from the logs."""

from __future__ import annotations

import time

from kubeflow.trainer import CustomTrainer, TrainerClient


def run_job(
    client: TrainerClient,
    runtime: str,
    trainer: CustomTrainer,
    figures: list[str],
    what: str,
    timeout: float = 600,
) -> list[str]:
    """Run ``trainer`` to completion (raising with the logs if it failed); return every node's
    log lines, node by node, and record the job's wall time as a figure of the run."""
    start = time.monotonic()
    name = client.train(runtime=runtime, trainer=trainer)
    client.wait_for_job_status(name, timeout=timeout, polling_interval=0.5)
    figures.append(f"{what}: {time.monotonic() - start:.1f} s (train() to Complete)")
    nodes = trainer.num_nodes or 1
    return [line for n in range(nodes) for line in client.get_job_logs(name, step=f"node-{n}")]


def fields(line: str) -> dict[str, str]:
    """``key=value`` words of a log line (after an optional ``[local rank]`` prefix)."""
    return dict(word.split("=", 1) for word in line.split() if "=" in word)


def result_lines(lines: list[str], tag: str) -> list[dict[str, str]]:
    """The ``key=value`` fields of the lines that contain ``tag``."""
    return [fields(line) for line in lines if tag in line]
