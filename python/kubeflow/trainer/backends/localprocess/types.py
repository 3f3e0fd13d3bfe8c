"""Configuration of the local process backend."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LocalProcessBackendConfig:
    """Run TrainJobs as processes on this machine.

    Args:
        cleanup_venv: Remove a job's private virtual environment when it finishes.
    """

    cleanup_venv: bool = True
