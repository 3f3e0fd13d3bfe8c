"""Helpers exported by ``kubeflow.trainer``: TPU node counts and progress reporting.

Both are pure Python with no third-party dependency, so training code can call
:func:`update_trainjob_status` inside the training container.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kubeflow.trainer.errors import ValidationError

if TYPE_CHECKING:
    import ssl

logger = logging.getLogger(__name__)

#: Environment variables the Trainer controller injects when its TrainJobStatus gate is on.
SERVER_URL_ENV = "KUBEFLOW_TRAINER_SERVER_URL"
SERVER_CA_CERT_ENV = "KUBEFLOW_TRAINER_SERVER_CA_CERT"
SERVER_TOKEN_ENV = "KUBEFLOW_TRAINER_SERVER_TOKEN"

STATUS_THROTTLE_SECONDS = 5.0
TOKEN_CACHE_SECONDS = 300.0
MAX_METRICS = 256
STATUS_TIMEOUT_SECONDS = 5.0
# The API server accepts metric names and values of 1 to 64 characters.
_METRIC_MAX_CHARS = 64

# Process-global state of update_trainjob_status.
_lock = threading.Lock()
_clock = time.monotonic
_last_success: float | None = None
_token_cache: tuple[str, str, float] | None = None  # (path, token, read at)


def get_tpu_num_nodes(num_slices: int, topology: str, chips_per_host: int = 4) -> int:
    """The number of nodes (hosts) a multi-slice TPU job needs.

    Args:
        num_slices: How many TPU slices, at least 1.
        topology: The chip topology of one slice, ``"AxB"`` or ``"AxBxC"`` (``x`` or ``X``).
        chips_per_host: TPU chips on one host, at least 1.

    Returns:
        ``num_slices`` times the hosts per slice, where a slice smaller than one host needs one
        host, and a larger one needs ``chips / chips_per_host`` hosts.

    Raises:
        ValueError: A count is not a positive integer; the topology is empty, not 2- or
            3-dimensional, or has a non-integer or non-positive dimension; or the slice's chips
            do not divide evenly among hosts.
    """
    for name, value in (("num_slices", num_slices), ("chips_per_host", chips_per_host)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValidationError(f"{name} must be a positive integer, got {value!r}", field=name)
    if not isinstance(topology, str) or not topology.strip():
        raise ValidationError(
            f"TPU topology must be a non-empty string like '2x4' or '2x2x4', got {topology!r}",
            field="topology",
        )
    parts = topology.strip().lower().split("x")
    if len(parts) not in (2, 3):
        raise ValidationError(
            f"TPU topology {topology!r} must have 2 or 3 dimensions, like '2x4' or '2x2x4'",
            field="topology",
        )
    chips = 1
    for part in parts:
        part = part.strip()
        if not part.isdigit():
            raise ValidationError(
                f"TPU topology {topology!r} has a dimension that is not a positive integer: "
                f"{part!r}",
                field="topology",
            )
        dimension = int(part)
        if dimension <= 0:
            raise ValidationError(
                f"TPU topology {topology!r} dimensions must be positive", field="topology"
            )
        chips *= dimension
    if chips < chips_per_host:
        hosts_per_slice = 1
    elif chips % chips_per_host:
        raise ValidationError(
            f"TPU topology {topology!r} has {chips} chips, which does not divide evenly among "
            f"hosts of {chips_per_host} chips",
            field="topology",
        )
    else:
        hosts_per_slice = chips // chips_per_host
    return num_slices * hosts_per_slice


def _read_token() -> str | None:
    """The service-account token for the status server, cached for TOKEN_CACHE_SECONDS.

    Returns None when the env var is unset or the file cannot be read or is empty.
    """
    global _token_cache
    path = os.environ.get(SERVER_TOKEN_ENV)
    if not path:
        return None
    now = _clock()
    if _token_cache is not None:
        cached_path, token, read_at = _token_cache
        if cached_path == path and now - read_at < TOKEN_CACHE_SECONDS:
            return token
    try:
        with open(path, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError as error:
        logger.warning("Cannot read the TrainJob status token %s: %s", path, error)
        return None
    if not token:
        return None
    _token_cache = (path, token, now)
    return token


def _metric_items(metrics: Any) -> Iterable[tuple[Any, Any]]:
    if isinstance(metrics, Mapping):
        return metrics.items()
    return [(name, value) for name, value in metrics]


def _metrics_payload(metrics: Any) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for name, value in _metric_items(metrics):
        name, value = str(name), str(value)
        if not 1 <= len(name) <= _METRIC_MAX_CHARS or not 1 <= len(value) <= _METRIC_MAX_CHARS:
            logger.warning(
                "Skipping metric %r=%r: names and values must be 1 to %d characters",
                name,
                value,
                _METRIC_MAX_CHARS,
            )
            continue
        out.append({"name": name, "value": value})
    if len(out) > MAX_METRICS:
        logger.warning("Got %d metrics; only the first %d are reported", len(out), MAX_METRICS)
        out = out[:MAX_METRICS]
    return out


def _ssl_context() -> ssl.SSLContext:
    import ssl  # only a training pod that reports progress needs it

    ca_path = os.environ.get(SERVER_CA_CERT_ENV)
    if ca_path and os.path.isfile(ca_path):
        return ssl.create_default_context(cafile=ca_path)
    return ssl.create_default_context()


def update_trainjob_status(
    progress_percent: float | None = None,
    estimated_remaining_seconds: float | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> bool:
    """Report training progress to the Trainer controller (``status.trainerStatus``).

    Call it from the training function. It never raises: it returns False (logging a warning
    for real failures) when reporting is not set up in this container, when it was called less
    than 5 seconds after the last successful report, or when the report fails.

    Reporting needs the controller's ``TrainJobStatus`` feature gate, which injects
    ``KUBEFLOW_TRAINER_SERVER_URL``, ``KUBEFLOW_TRAINER_SERVER_TOKEN`` (a token file, re-read
    every 5 minutes) and ``KUBEFLOW_TRAINER_SERVER_CA_CERT`` (the server's CA file; the system
    CAs are used when it is absent).

    Args:
        progress_percent: Progress, clamped to 0..100 and truncated to an integer.
        estimated_remaining_seconds: Time left, clamped to at least 0 and truncated to an
            integer.
        metrics: Metric names and values, sent as strings; at most 256 are sent, and entries
            whose name or value is not 1 to 64 characters long are skipped.

    Returns:
        True when the controller accepted the report.
    """
    global _last_success
    # Imported here, not at module level: importing the SDK would otherwise pay for urllib,
    # http.client, ssl and email although only a training pod reporting progress uses them.
    import urllib.error
    import urllib.request

    try:
        url = os.environ.get(SERVER_URL_ENV)
        if not url:
            return False
        with _lock:
            now = _clock()
            if _last_success is not None and now - _last_success < STATUS_THROTTLE_SECONDS:
                return False
            token = _read_token()
        if token is None:
            return False

        status: dict[str, Any] = {
            "lastUpdatedTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        }
        if progress_percent is not None:
            status["progressPercentage"] = max(0, min(100, int(progress_percent)))
        if estimated_remaining_seconds is not None:
            status["estimatedRemainingSeconds"] = max(0, int(estimated_remaining_seconds))
        if metrics:
            items = _metrics_payload(metrics)
            if items:
                status["metrics"] = items

        request = urllib.request.Request(
            url,
            data=json.dumps({"trainerStatus": status}).encode("utf-8"),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        context = _ssl_context() if url.lower().startswith("https:") else None
        with urllib.request.urlopen(
            request, timeout=STATUS_TIMEOUT_SECONDS, context=context
        ) as response:
            code = response.status
        if not 200 <= code < 300:
            logger.warning("TrainJob status update to %s returned HTTP %d", url, code)
            return False
        with _lock:
            _last_success = _clock()
        return True
    except urllib.error.HTTPError as error:
        body = error.read(512).decode("utf-8", "replace") if error.fp else ""
        logger.warning("TrainJob status update failed with HTTP %d: %s", error.code, body)
        return False
    except Exception as error:  # noqa: BLE001 - reporting must never break training
        logger.warning("TrainJob status update failed: %s", error)
        return False


def _reset_status_state() -> None:
    """Forget the throttle window and the cached token (for tests)."""
    global _last_success, _token_cache
    with _lock:
        _last_success = None
        _token_cache = None
