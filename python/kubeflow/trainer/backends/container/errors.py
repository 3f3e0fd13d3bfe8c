"""Errors specific to the container backend.

As for the local process backend, an unknown job is both a ``ValueError`` (what upstream's
container backend raises) and a :class:`~kubeflow.trainer.errors.NotFoundError`.
"""

from __future__ import annotations

from kubeflow.trainer.errors import KubeflowError, NotFoundError


class ContainerEngineError(KubeflowError, RuntimeError):
    """No container engine could be reached, or the engine refused a command.

    Attributes:
        attempts: For a failed detection, what was tried and why each attempt failed.
    """

    attempts: tuple[str, ...] = ()


class ImageNotFoundError(KubeflowError, RuntimeError):
    """The image of a job is not in the engine's storage and could not be pulled.

    Attributes:
        image: The image reference.
    """

    image: str = ""


class ContainerJobNotFoundError(NotFoundError, ValueError):
    """No TrainJob of that name has a network or a container on the engine."""


__all__ = ["ContainerEngineError", "ContainerJobNotFoundError", "ImageNotFoundError"]
