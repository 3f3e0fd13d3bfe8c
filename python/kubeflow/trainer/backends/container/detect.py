"""Choosing the container engine from a ``ContainerBackendConfig``.

Order as upstream: ``container_runtime`` when set, else Docker then Podman; for each, the
engine URL candidates are ``container_host`` alone when it is set (ours: a URL the user named is
never silently replaced by another engine), else the usual per-user socket when it exists, then
the CLI's own default. The first engine that answers a ping is used.
"""

from __future__ import annotations

import os
from pathlib import Path

from kubeflow.trainer.backends.container.engine import DOCKER, PODMAN, Engine, find_binary
from kubeflow.trainer.backends.container.errors import ContainerEngineError
from kubeflow.trainer.backends.container.types import ContainerBackendConfig
from kubeflow.trainer.errors import ValidationError

PULL_IF_NOT_PRESENT = "ifnotpresent"
PULL_ALWAYS = "always"
PULL_NEVER = "never"


def pull_policy(value: object) -> str:
    """``pull_policy`` lower-cased; raises ValidationError for anything but the three policies."""
    if not isinstance(value, str) or value.lower() not in (
        PULL_IF_NOT_PRESENT,
        PULL_ALWAYS,
        PULL_NEVER,
    ):
        raise ValidationError(
            f"pull_policy must be IfNotPresent, Always or Never, got {value!r}",
            field="pull_policy",
        )
    return value.lower()


def _candidates(kind: str, container_host: str | None) -> list[str | None]:
    if container_host:
        return [container_host]
    found: list[str | None] = []
    if kind == DOCKER:
        colima = Path.home() / ".colima" / "default" / "docker.sock"
        if colima.exists():
            found.append(f"unix://{colima}")
    else:
        user_socket = Path(f"/run/user/{os.getuid()}/podman/podman.sock")
        if os.getuid() != 0 and user_socket.exists():
            found.append(f"unix://{user_socket}")
    found.append(None)
    return found


def connect(cfg: ContainerBackendConfig) -> Engine:
    """The first engine that answers, per the module's order.

    Raises:
        ValidationError: ``container_runtime`` is neither None, "docker" nor "podman", or
            ``container_host`` is not a string.
        ContainerEngineError: no engine answered; ``attempts`` lists each try and its error,
            the message says what to install or start.
    """
    runtime = cfg.container_runtime
    if runtime not in (None, DOCKER, PODMAN):
        raise ValidationError(
            f"container_runtime must be 'docker', 'podman' or None, got {runtime!r}",
            field="container_runtime",
        )
    if cfg.container_host is not None and (
        not isinstance(cfg.container_host, str) or not cfg.container_host
    ):
        raise ValidationError(
            f"container_host must be an engine URL such as unix:///run/podman/podman.sock, "
            f"got {cfg.container_host!r}",
            field="container_host",
        )
    kinds = [runtime] if runtime else [DOCKER, PODMAN]
    attempts: list[str] = []
    for kind in kinds:
        binary = find_binary(kind)
        if binary is None:
            attempts.append(f"{kind}: no '{kind}' command on PATH")
            continue
        for host in _candidates(kind, cfg.container_host):
            engine = Engine(kind=kind, binary=binary, host=host)
            try:
                engine.ping()
            except ContainerEngineError as error:
                attempts.append(f"{kind} at {host or 'its default'}: {error.message}")
                continue
            return engine
    installed = any(find_binary(kind) for kind in kinds)
    fix = (
        "start the engine (e.g. `systemctl start docker`, `podman system service`, "
        "`colima start` or `podman machine start` on macOS), or point container_host at its "
        "socket"
        if installed
        else f"install {' or '.join(kinds)} (e.g. `apt-get install podman`)"
    )
    raise ContainerEngineError(
        f"No container engine is reachable for ContainerBackend: {fix}; or use "
        "LocalProcessBackendConfig() to run without containers. Tried: " + "; ".join(attempts),
        attempts=tuple(attempts),
        field="container_runtime" if runtime else "",
        hint=fix,
    )
