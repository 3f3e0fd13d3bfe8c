"""Typed exceptions raised by the Kubeflow Trainer SDK.

Every class derives from :class:`KubeflowError` and from the built-in type upstream raises in the
same situation, so ``except RuntimeError`` / ``except ValueError`` / ``except TimeoutError`` in an
existing notebook keeps working while new code can catch the precise type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Cause:
    """One field-level cause reported by the Kubernetes API (``Status.details.causes``)."""

    reason: str
    message: str
    field: str


class KubeflowError(Exception):
    """Base of every SDK error.

    Attributes:
        hint: How to fix the problem, when known.
        field: The input field or JSON path at fault, when known.
        file: The file at fault (kubeconfig, token, certificate), when known.
    """

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint: str = details.pop("hint", "") or ""
        self.field: str = details.pop("field", "") or ""
        self.file: str = details.pop("file", "") or ""
        for key, value in details.items():
            setattr(self, key, value)

    def __reduce__(self) -> tuple[Any, ...]:
        state = {k: v for k, v in self.__dict__.items() if k != "message"}
        return (_rebuild, (type(self), self.message, state))


def _rebuild(cls: type[KubeflowError], message: str, state: dict[str, Any]) -> KubeflowError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.message = message
    error.__dict__.update(state)
    return error


class ValidationError(KubeflowError, ValueError):
    """A local check failed before anything was sent to the cluster."""


class ConfigError(KubeflowError, RuntimeError):
    """The kubeconfig or in-cluster configuration is missing or malformed."""


class AuthError(KubeflowError, RuntimeError):
    """Credentials could not be read or obtained."""


class TransportError(KubeflowError, RuntimeError, ConnectionError):
    """The API server could not be reached (DNS, connect, TLS, reset)."""


class JobTimeoutError(KubeflowError, TimeoutError):
    """A request or a wait exceeded its deadline."""


class ApiError(KubeflowError, RuntimeError):
    """The Kubernetes API answered with a non-success status.

    Attributes:
        status: The HTTP status code.
        reason: The Kubernetes ``Status.reason`` (e.g. ``NotFound``, ``Forbidden``).
        server_message: The API server's own message, verbatim.
        kind, name, namespace: The object involved, when known.
        causes: Field-level causes for validation failures.
        retry_after: Seconds to wait before retrying, when the server said so.
    """

    status: int = 0
    reason: str = ""
    server_message: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    causes: tuple[Cause, ...] = ()
    retry_after: float | None = None


class NotFoundError(ApiError):
    """HTTP 404: the object does not exist."""


class AlreadyExistsError(ApiError):
    """HTTP 409: an object with that name already exists."""


class ConflictError(ApiError):
    """HTTP 409: the object changed since it was read."""


class UnauthorizedError(ApiError):
    """HTTP 401: the credentials were rejected."""


class ForbiddenError(ApiError):
    """HTTP 403: RBAC does not allow this verb on this resource."""


class InvalidError(ApiError, ValueError):
    """HTTP 422 or 400, or an admission webhook's denial (HTTP 403): the server rejected the
    object; see ``causes``."""


class TooManyRequestsError(ApiError):
    """HTTP 429: the server is throttling; see ``retry_after``."""


class ServerError(ApiError):
    """HTTP 5xx: the API server failed."""


class JobFailedError(KubeflowError, RuntimeError):
    """``wait_for_job_status`` saw the job reach Failed."""


class InternalError(KubeflowError, RuntimeError):
    """A bug in the SDK; please report it with the message."""


class InsecureConnectionWarning(UserWarning):
    """Warned when a client does not verify the API server's certificate
    (``insecure-skip-tls-verify: true`` or ``verify_ssl=False``)."""


# Maps the core's ErrorCode names (kubeflow::error_code_name) to classes; used by the bindings.
ERROR_CLASSES: dict[str, type[KubeflowError]] = {
    "invalid_argument": ValidationError,
    "config": ConfigError,
    "auth": AuthError,
    "transport": TransportError,
    "timeout": JobTimeoutError,
    "not_found": NotFoundError,
    "already_exists": AlreadyExistsError,
    "conflict": ConflictError,
    "unauthorized": UnauthorizedError,
    "forbidden": ForbiddenError,
    "invalid": InvalidError,
    "too_many_requests": TooManyRequestsError,
    "server_error": ServerError,
    "api": ApiError,
    "job_failed": JobFailedError,
    "internal": InternalError,
}

__all__ = [
    "AlreadyExistsError",
    "ApiError",
    "AuthError",
    "Cause",
    "ConfigError",
    "ConflictError",
    "ForbiddenError",
    "InsecureConnectionWarning",
    "InternalError",
    "InvalidError",
    "JobFailedError",
    "JobTimeoutError",
    "KubeflowError",
    "NotFoundError",
    "ServerError",
    "TooManyRequestsError",
    "TransportError",
    "UnauthorizedError",
    "ValidationError",
]
