"""The argument rules both backends share: one job-name rule, one name generator, one check of
the wait arguments and of the Python-level types of a trainer's fields.

Pure Python on purpose: the local backend uses it without importing the compiled core, and the
Kubernetes backend runs it before values cross into pybind11 (which would otherwise raise its
own ``TypeError`` or silently convert). Each trainer field has two layers: ``*_type`` checks only
what pybind11 needs (the Kubernetes backend's whole Python check: the core's
``validate_job_request`` owns the values: image not blank, numNodes >= 1, env names and NUL-free
values, resource quantities, runtime name), and the plain function adds the same value rules for
the local backend, which has no core.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import ValidationError

#: TrainJob names: an RFC 1035 label, the rule of the TrainJob CRD (a letter first).
JOB_NAME_MAX = 63
_JOB_NAME_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
#: spec.trainer.numNodes is an int32 in the CRD.
_INT32_MAX = 2**31 - 1
#: Integers JSON carries exactly through the core (int64).
_INT64_MAX = 2**63 - 1


def generate_job_name() -> str:
    """A new TrainJob name: a lowercase letter and 11 hex digits (upstream's 12 characters)."""
    # Imported here: uuid loads platform, random loads hashlib's SHA-512 and string compiles
    # Template's pattern, which a client that only reads jobs never needs.
    import random
    import string
    import uuid

    suffix = uuid.uuid4().hex[: constants.JOB_NAME_UUID_LENGTH]
    return random.choice(string.ascii_lowercase) + suffix


def validate_job_name(name: object, field: str = "name") -> str:
    """Check that ``name`` is a TrainJob name (RFC 1035 label, at most 63 characters).

    Every method that takes a job name calls this first, so an empty or non-string name can
    never become a request on the whole collection.

    Raises:
        ValidationError: it is not; ``field`` is named.
    """
    if not isinstance(name, str) or not name:
        raise ValidationError(
            f"{field} must be a non-empty TrainJob name, got {name!r}",
            field=field,
            hint="pass the name train() returned, e.g. 'a1b2c3d4e5f6'",
        )
    if len(name) > JOB_NAME_MAX or not _JOB_NAME_RE.match(name):
        raise ValidationError(
            f"Invalid TrainJob name {name!r}: it must be at most {JOB_NAME_MAX} characters of "
            "lowercase letters, digits and '-', starting with a letter and ending with a letter "
            "or digit (RFC 1035)",
            field=field,
            hint="use e.g. 'my-job-1', or omit the name to get a generated one",
        )
    return name


def require_str(value: object, field: str) -> str:
    """``value`` as a non-empty string without NUL bytes.

    Raises:
        ValidationError: it is not one.
    """
    if not isinstance(value, str) or not value or "\0" in value:
        raise ValidationError(f"{field} must be a non-empty string, got {value!r}", field=field)
    return value


def optional_str(value: object, field: str) -> str | None:
    """None, or a string without NUL bytes (emptiness is left to the value's own rule).

    Raises:
        ValidationError: another type, or a NUL byte.
    """
    if value is None:
        return None
    if not isinstance(value, str) or "\0" in value:
        raise ValidationError(f"{field} must be a string, got {value!r}", field=field)
    return value


def str_type(value: object, field: str) -> str:
    """``value`` if it is a string (its value is someone else's rule).

    Raises:
        ValidationError: another type.
    """
    if not isinstance(value, str):
        raise ValidationError(
            f"{field} must be a string, got {type(value).__name__} {value!r}", field=field
        )
    return value


def image_type(value: object, field: str) -> str | None:
    """None or a string: what pybind11 needs of an image (the core checks the reference).

    Raises:
        ValidationError: another type.
    """
    if value is None or isinstance(value, str):
        return value
    raise ValidationError(
        f"{field} must be a container image reference, got {value!r}",
        field=field,
        hint="pass e.g. 'pytorch/pytorch:2.5.1', or leave it unset for the runtime's image",
    )


def image(value: object, field: str) -> str | None:
    """None, or an image reference that is not blank and has no NUL (an empty one would
    silently run the runtime's default image). The local backend's rule; on Kubernetes the
    core's ``validate_job_request`` applies the same one.

    Raises:
        ValidationError: anything else.
    """
    checked = image_type(value, field)
    if checked is None:
        return None
    if not checked.strip() or "\0" in checked:
        raise ValidationError(
            f"{field} must be a container image reference, got {value!r}",
            field=field,
            hint="pass e.g. 'pytorch/pytorch:2.5.1', or leave it unset for the runtime's image",
        )
    return checked


def str_list(value: object, field: str) -> list[str] | None:
    """None, or a list/tuple of non-empty strings as a list.

    A bare string is refused rather than split into characters.

    Raises:
        ValidationError: anything else.
    """
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise ValidationError(
            f"{field} must be a list of strings, got {value!r}",
            field=field,
            hint=f"wrap a single value in a list: {field}=[{value!r}]"
            if isinstance(value, str)
            else "",
        )
    for n, item in enumerate(value):
        require_str(item, f"{field}[{n}]")
    return list(value)


def env_type(value: object, field: str) -> dict[str, str] | None:
    """None, or a dict of strings to strings: what pybind11 needs (the core checks names and
    values).

    Raises:
        ValidationError: another type, a non-string name or value.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"{field} must be a dict of strings to strings, got {type(value).__name__}",
            field=field,
            hint='e.g. {"LEARNING_RATE": "0.01"}',
        )
    for key, item in value.items():
        str_type(key, f"{field} key")
        if not isinstance(item, str):
            raise ValidationError(
                f"{field}[{key!r}] must be a string, got {type(item).__name__} {item!r}",
                field=f"{field}[{key!r}]",
                hint='quote the value, e.g. "1" instead of 1',
            )
    return dict(value)


def env_map(value: object, field: str) -> dict[str, str] | None:
    """``env_type``, and no empty name and no NUL byte (a process cannot receive one). The local
    backend's rule; on Kubernetes the core checks names and values.

    Raises:
        ValidationError: another type, a non-string or empty name or value, or a NUL byte.
    """
    checked = env_type(value, field)
    for key, item in (checked or {}).items():
        require_str(key, f"{field} key")
        if "\0" in item:
            raise ValidationError(
                f"{field}[{key!r}] must be a string without NUL, got {item!r}",
                field=f"{field}[{key!r}]",
                hint="remove the NUL character",
            )
    return checked


def num_nodes_type(value: object, field: str) -> int | None:
    """None, or an int32 that is not a bool: what pybind11 needs (it would turn True into 1 and
    raise its own TypeError beyond int32). The core checks the count is at least 1.

    Raises:
        ValidationError: anything else.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > _INT32_MAX:
        raise ValidationError(
            f"{field} must be a positive integer, got {value!r}",
            field=field,
            hint="use 1 or more, or leave it unset for the runtime's default",
        )
    return value


def num_nodes(value: object, field: str) -> int | None:
    """None, or a node count from 1 to 2**31-1 (a bool is not a count). The local backend's
    rule; on Kubernetes the core's ``validate_job_request`` checks the count.

    Raises:
        ValidationError: anything else.
    """
    count = num_nodes_type(value, field)
    if count is not None and count < 1:
        raise ValidationError(
            f"{field} must be a positive integer, got {value!r}",
            field=field,
            hint="use 1 or more, or leave it unset for the runtime's default",
        )
    return count


def resources_type(value: object, field: str) -> dict[str, Any] | None:
    """None, or a dict of string names to int, float, str or bool values, integers within
    int64: what pybind11 needs (it would turn a key 1 into "1" and refuse a huge integer with
    its own error). The core checks names and quantities.

    Raises:
        ValidationError: another type, a non-string name, or an integer beyond int64.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"{field} must be a dict, got {type(value).__name__}",
            field=field,
            hint='e.g. {"cpu": 2, "memory": "4Gi", "gpu": 1}',
        )
    for key, item in value.items():
        if not isinstance(key, str):
            raise ValidationError(
                f"{field} names must be strings, got {key!r}",
                field=field,
                hint='use a name such as "cpu", "memory" or "gpu"',
            )
        item_field = f"{field}[{key!r}]"
        if not isinstance(item, (int, float, str)):
            raise ValidationError(
                f"{item_field} must be a number or a quantity string, got {item!r}",
                field=item_field,
                hint='e.g. 2 or "500m" or "4Gi"',
            )
        if isinstance(item, int) and not -_INT64_MAX <= item <= _INT64_MAX:
            raise ValidationError(
                f"{item_field} is too large: {item}",
                field=item_field,
                hint='pass a quantity string with a suffix, e.g. "1Ei"',
            )
    return dict(value)


def resources(value: object, field: str) -> dict[str, Any] | None:
    """``resources_type`` without bools (a bool is no quantity). The local backend's rule (it
    ignores the values otherwise); on Kubernetes the core checks every quantity.

    Raises:
        ValidationError: another type, a non-string name, a bool or an integer beyond int64.
    """
    checked = resources_type(value, field)
    for key, item in (checked or {}).items():
        if isinstance(item, bool):
            raise ValidationError(
                f"{field}[{key!r}] must be a number or a quantity string, got {item!r}",
                field=f"{field}[{key!r}]",
                hint='e.g. 2 or "500m" or "4Gi"',
            )
    return checked


def _seconds(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(
            f"{field} must be a number of seconds, got {type(value).__name__} {value!r}",
            field=field,
        )
    if not math.isfinite(value) or value <= 0:
        raise ValidationError(f"{field} must be a positive number, got {value!r}", field=field)
    return float(value)


def wait_arguments(
    status: object, timeout: object, polling_interval: object, allowed: Iterable[str]
) -> set[str]:
    """Check ``wait_for_job_status``'s arguments; return the wanted statuses as a set.

    ``status`` is one status or a non-empty collection of them, each in ``allowed``; timeout and
    polling interval are finite positive numbers, the interval strictly less than the timeout.

    Raises:
        ValidationError: a bad argument; ``field`` names it.
    """
    allowed = frozenset(allowed)
    wanted: set[Any] | None = None
    if isinstance(status, str):
        wanted = {status}
    elif isinstance(status, Iterable) and not isinstance(status, (bytes, Mapping)):
        try:
            wanted = set(status)
        except TypeError:  # unhashable items
            wanted = None
    if not wanted or not all(isinstance(s, str) for s in wanted) or not wanted <= allowed:
        raise ValidationError(
            f"Invalid status {status!r}: expected one of, or a non-empty set of, {sorted(allowed)}",
            field="status",
            hint="e.g. status={'Complete'}",
        )
    timeout_s = _seconds(timeout, "timeout")
    interval_s = _seconds(polling_interval, "polling_interval")
    if interval_s >= timeout_s:
        raise ValidationError(
            f"Polling interval must be strictly less than timeout: polling interval "
            f"{polling_interval} >= timeout {timeout}",
            field="polling_interval",
        )
    return wanted


def step_name(step: object) -> str:
    """A step name: a non-empty string (``node-<i>``, ``dataset-initializer``...).

    Raises:
        ValidationError: it is not.
    """
    if not isinstance(step, str) or not step:
        raise ValidationError(
            f"step must be a step name such as 'node-0', got {step!r}",
            field="step",
        )
    return step
