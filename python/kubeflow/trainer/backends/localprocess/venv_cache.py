"""Keeping the cache of job environments (``<state>/venvs``) within a size limit.

Every job that runs in a cached environment holds a *lease* on it: a shared ``flock`` on
``<key>.use``, taken before the environment is checked or built and held by the job's supervisor
until the job ends (the kernel drops it if the supervisor dies). An environment is removed only
under an exclusive lock on both ``<key>.use`` and the build lock ``<key>.lock``, taken without
waiting, so an environment in use or being built is never removed: eviction skips it.

Eviction is least-recently-used: the ready marker's modification time is the last use (a reused
environment touches it). The lock files stay (they are empty): removing a lock file that another
process is about to open would let two processes lock different files.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

USE_SUFFIX = ".use"
BUILD_SUFFIX = ".lock"
READY_MARKER = ".kubeflow-ready"
_TRASH_PREFIX = ".removing-"


def lock_path(env_dir: Path, suffix: str) -> Path:
    """The lock file ``<key><suffix>`` next to the environment ``env_dir``."""
    return env_dir.parent / f"{env_dir.name}{suffix}"


def lease(env_dir: Path) -> IO[str]:
    """Take a shared lease on ``env_dir`` (waiting while it is being removed).

    Returns:
        The open lock file: the lease lasts until it is closed or the process exits.
    """
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path(env_dir, USE_SUFFIX), "a")  # noqa: SIM115 - returned to the holder
    fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


def tree_size(path: Path) -> int:
    """Bytes of disk ``path`` takes (allocated blocks, as ``du`` counts; symlinks not followed)."""
    total = 0
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass  # removed meanwhile
    return total


@dataclass
class CachedEnv:
    """One environment of the cache."""

    path: Path
    size: int
    #: Last use (seconds since the epoch); 0 for an environment that never got ready.
    last_used: float


def cached_envs(venvs_dir: Path) -> list[CachedEnv]:
    """The environments under ``venvs_dir``, least recently used first."""
    found: list[CachedEnv] = []
    if not venvs_dir.is_dir():
        return found
    for path in venvs_dir.iterdir():
        if not path.is_dir() or path.name.startswith("."):
            continue
        try:
            last_used = (path / READY_MARKER).stat().st_mtime
        except OSError:
            last_used = 0.0  # half-built (or being built: its build lock protects it)
        found.append(CachedEnv(path, tree_size(path), last_used))
    found.sort(key=lambda env: env.last_used)
    return found


def try_remove(env_dir: Path) -> bool:
    """Remove ``env_dir`` unless a job uses it or builds it; True when it was removed."""
    with (
        open(lock_path(env_dir, USE_SUFFIX), "a") as use,
        open(lock_path(env_dir, BUILD_SUFFIX), "a") as build,
    ):
        try:
            fcntl.flock(use, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(build, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if not env_dir.exists():
            return False
        # A rename first: whoever looks next finds no environment rather than half of one.
        trash = env_dir.parent / f"{_TRASH_PREFIX}{env_dir.name}-{os.getpid()}"
        env_dir.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)
    return True


def prune(venvs_dir: Path, max_bytes: int, keep: Iterable[Path] = ()) -> list[str]:
    """Remove least recently used environments until the cache takes at most ``max_bytes``.

    Environments in use, being built or listed in ``keep`` stay, even when the cache is then
    still over the limit.

    Returns:
        The keys of the environments removed.
    """
    for leftover in venvs_dir.glob(f"{_TRASH_PREFIX}*") if venvs_dir.is_dir() else []:
        shutil.rmtree(leftover, ignore_errors=True)  # a removal interrupted by a kill
    kept = {Path(p) for p in keep}
    envs = cached_envs(venvs_dir)
    total = sum(env.size for env in envs)
    removed: list[str] = []
    for env in envs:
        if total <= max_bytes:
            break
        if env.path not in kept and try_remove(env.path):
            total -= env.size
            removed.append(env.path.name)
    return removed
