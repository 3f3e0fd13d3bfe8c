"""Notebook display of the SDK's objects: the HTML behind ``TrainJob._repr_html_`` and friends.

Jupyter and VS Code call ``_repr_html_`` and show the table; everywhere else the dataclass
``repr`` stays what it is. Every value is escaped with ``html.escape``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubeflow.trainer.types import types

_STATUS_COLOURS = {
    "Complete": "#1e8e3e",
    "Succeeded": "#1e8e3e",
    "Failed": "#d93025",
    "Running": "#1a73e8",
    "Suspended": "#b06000",
}
_STYLE = "border-collapse:collapse;margin:4px 0;font-size:0.9em"
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left"


def _text(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _badge(status: str | None) -> str:
    colour = _STATUS_COLOURS.get(status or "", "#5f6368")
    return (
        f'<span style="background:{colour};color:white;border-radius:3px;padding:0 6px">'
        f"{_text(status or 'Unknown')}</span>"
    )


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table of already escaped cells."""
    head = "".join(f'<th style="{_CELL}">{_text(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{cell}</td>' for cell in row) + "</tr>"
        for row in rows
    )
    return f'<table style="{_STYLE}"><tr>{head}</tr>{body}</table>'


def duration(seconds: float) -> str:
    """``3725`` → ``"1h 02m"``; ``65`` → ``"1m 05s"``; ``9`` → ``"9s"``."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _age(when: datetime | None, now: datetime) -> str:
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return duration((now - when).total_seconds())


def _progress(status: types.TrainerStatus) -> str:
    parts = []
    if status.progress_percentage is not None:
        percent = max(0, min(100, status.progress_percentage))
        parts.append(
            f'<progress value="{percent}" max="100" style="width:12em"></progress> {percent}%'
        )
    if status.estimated_remaining_seconds is not None:
        parts.append(f"ETA {_text(duration(status.estimated_remaining_seconds))}")
    return " &middot; ".join(parts)


def trainjob_html(job: types.TrainJob, now: datetime | None = None) -> str:
    """A TrainJob as HTML: status, runtime, nodes and age; the trainer's progress, ETA and
    metrics when it reported them; its steps and its conditions."""
    now = now or datetime.now(timezone.utc)
    summary = _table(
        ["TrainJob", "Status", "Runtime", "Nodes", "Age"],
        [
            [
                f"<b>{_text(job.name)}</b>",
                _badge(job.status),
                _text(job.runtime.name),
                _text(job.num_nodes),
                _text(_age(job.creation_timestamp, now)),
            ]
        ],
    )
    sections = [summary]
    reported = job.trainer_status
    if reported is not None:
        progress = _progress(reported)
        if progress:
            sections.append(f"<div>Progress: {progress}</div>")
        if reported.metrics:
            sections.append(
                _table(
                    ["Metric", "Value"],
                    [[_text(k), _text(v)] for k, v in reported.metrics.items()],
                )
            )
    if job.steps:
        sections.append(
            _table(
                ["Step", "Status", "Device", "Count", "Pod"],
                [
                    [
                        _text(s.name),
                        _badge(s.status),
                        _text(s.device),
                        _text(s.device_count),
                        _text(s.pod_name),
                    ]
                    for s in job.steps
                ],
            )
        )
    if job.conditions:
        sections.append(
            _table(
                ["Condition", "Status", "Reason", "Message", "Since"],
                [
                    [
                        _text(c.type),
                        _text(c.status),
                        _text(c.reason),
                        _text(c.message),
                        _text(_age(c.last_transition_time, now)),
                    ]
                    for c in job.conditions
                ],
            )
        )
    return "<div>" + "".join(sections) + "</div>"
