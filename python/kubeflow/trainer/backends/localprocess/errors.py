"""Errors specific to the local process backend.

Upstream's local backend raises ``ValueError`` for an unknown job or runtime, while the
Kubernetes backend raises ``RuntimeError`` (here :class:`~kubeflow.trainer.errors.NotFoundError`).
The classes below are both, so ``except ValueError`` (local code written for upstream) and
``except NotFoundError`` (code written for this SDK) work on every backend.
"""

from __future__ import annotations

from kubeflow.trainer.errors import KubeflowError, NotFoundError


class JobNotFoundError(NotFoundError, ValueError):
    """No local TrainJob of that name exists in the state directory."""


class RuntimeNotFoundError(NotFoundError, ValueError):
    """No local runtime of that name exists."""


class LocalLaunchError(KubeflowError, RuntimeError):
    """The supervisor process of a local TrainJob could not be started."""


class LocalStateError(KubeflowError, RuntimeError):
    """A file of the state directory is damaged, or the state directory cannot be changed (a
    job that cannot be removed, processes that outlive SIGKILL). ``file`` names the path."""


__all__ = ["JobNotFoundError", "LocalLaunchError", "LocalStateError", "RuntimeNotFoundError"]
