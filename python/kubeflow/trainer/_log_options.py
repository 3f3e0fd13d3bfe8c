"""The options of ``get_job_logs`` shared by every backend: checked once, named the same."""

from __future__ import annotations

from dataclasses import dataclass

from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import ValidationError

#: The step ``get_job_logs`` reads when none is given (upstream's default).
DEFAULT_STEP = constants.NODE + "-0"


@dataclass(frozen=True)
class LogOptions:
    """What part of which logs to read.

    Attributes:
        all_nodes: Every node of the job, each line prefixed with ``[node-<i>] ``.
        tail_lines: Only the last N lines of each log (None: all).
        since_seconds: Only lines written in the last N seconds (None: all).
        previous: The log of the container's previous run, after a restart.
    """

    all_nodes: bool = False
    tail_lines: int | None = None
    since_seconds: int | None = None
    previous: bool = False


def _bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{field} must be True or False, got {value!r}", field=field)
    return value


def _count(value: object, field: str, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(
            f"{field} must be a whole number of at least {minimum} or None, got {value!r}",
            field=field,
        )
    return value


def log_options(
    step: str,
    all_nodes: object = False,
    tail_lines: object = None,
    since_seconds: object = None,
    previous: object = False,
) -> LogOptions:
    """Checks the log options of one call.

    Raises:
        ValidationError: (a ``ValueError``) an option of the wrong type or range, or
            ``all_nodes`` together with a step other than the default.
    """
    options = LogOptions(
        all_nodes=_bool(all_nodes, "all_nodes"),
        tail_lines=_count(tail_lines, "tail_lines", 0),
        since_seconds=_count(since_seconds, "since_seconds", 1),
        previous=_bool(previous, "previous"),
    )
    if options.all_nodes and step != DEFAULT_STEP:
        raise ValidationError(
            f"all_nodes=True reads every node, so step must stay {DEFAULT_STEP!r}, got {step!r}",
            field="step",
            hint="pass either step or all_nodes=True",
        )
    return options


def node_index(step: str) -> int:
    """The number of a ``node-<i>`` step, for ordering (node-2 before node-10)."""
    return int(step.rsplit("-", 1)[1])
