"""Display of the SDK's objects: the HTML behind ``_repr_html_``, short text reprs and tables.

Jupyter and VS Code call ``_repr_html_`` and show a table; a terminal gets the one-line
``repr`` of an object, and ``print`` of a list gets an aligned text table. Every value that goes
into HTML is escaped with ``html.escape``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from enum import Enum

from kubeflow.common.constants import UNKNOWN
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


# Pod phases, and the local backend's step states, of a node that is up or done.
_READY = ("Running", "Succeeded", "Complete")


def nodes_ready(job: types.TrainJob) -> int:
    """How many of the job's training nodes run (or have finished)."""
    return sum(1 for s in job.steps if s.name.startswith("node") and s.status in _READY)


def _device(device: str, count: str) -> str:
    if device in ("", UNKNOWN):
        return ""
    return device if count in ("", UNKNOWN) else f"{device} x{count}"


def progress_text(status: types.TrainerStatus | None) -> str:
    """``"42% ETA 1h 02m"`` from what the trainer reported; empty when it reported neither."""
    if status is None:
        return ""
    parts = []
    if status.progress_percentage is not None:
        parts.append(f"{max(0, min(100, status.progress_percentage))}%")
    if status.estimated_remaining_seconds is not None:
        parts.append(f"ETA {duration(status.estimated_remaining_seconds)}")
    return " ".join(parts)


# Waiting reasons a user acts on, told in words; others are shown as the kubelet names them.
_REASONS = {
    "Unschedulable": "unschedulable",
    "ImagePullBackOff": "cannot pull the image",
    "ErrImagePull": "cannot pull the image",
    "InvalidImageName": "invalid image name",
    "CrashLoopBackOff": "crashing, restarted with back-off",
    "CreateContainerConfigError": "bad container config",
}
_FINAL = ("Complete", "Failed")


def _step_reason(step: types.Step) -> str:
    reason = _REASONS.get(step.waiting_reason, step.waiting_reason)
    message = " ".join(step.waiting_message.split())
    return f"{step.name} {reason}: {message}" if message else f"{step.name} {reason}"


def waiting_reason(job: types.TrainJob) -> str:
    """Why ``job`` is not running yet, or ``""``: Kueue quota, the scheduler, image pulls."""
    if job.status in _FINAL:
        return ""
    if job.status == "Suspended":
        if job.queue_name:
            return f"waiting for quota in Kueue queue {job.queue_name!r}"
        why = [c.message for c in job.conditions if c.type == "Suspended" and c.status == "True"]
        return f"suspended: {why[-1]}" if why and why[-1] else "suspended"
    held = [s for s in job.steps if s.waiting_reason]
    if not held:
        return ""
    more = f" (+{len(held) - 1} more)" if len(held) > 1 else ""
    return _step_reason(held[0]) + more


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
                _text(_runtime_name(job)),
                _text(f"{nodes_ready(job)}/{job.num_nodes}"),
                _text(_age(job.creation_timestamp, now)),
            ]
        ],
    )
    sections = [summary]
    held = waiting_reason(job)
    if held:
        sections.append(f"<div>Waiting: {_text(held)}</div>")
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
        sections.append(steps_html(job.steps))
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


# Tables of several objects ---------------------------------------------------------------------

_STEP_HEADER = ["Step", "Status", "Device", "Pod", "Waiting"]
_RUNTIME_HEADER = ["Runtime", "Kind", "Trainer", "Framework", "Nodes", "Device", "Image"]
_JOB_HEADER = ["TrainJob", "Status", "Runtime", "Nodes", "Progress", "Age"]
_EVENT_HEADER = ["Age", "Object", "Reason", "Message"]


def _runtime_name(job: types.TrainJob) -> str:
    # LocalProcess jobs may carry no runtime (upstream's listing drops it).
    return job.runtime.name if isinstance(job.runtime, types.Runtime) else ""


def _waiting(step: types.Step) -> str:
    if step.waiting_reason and step.waiting_message:
        return f"{step.waiting_reason}: {step.waiting_message}"
    return step.waiting_reason


def _step_cells(s: types.Step) -> list[str]:
    return [s.name, s.status or "", _device(s.device, s.device_count), s.pod_name, _waiting(s)]


def _runtime_cells(r: types.Runtime) -> list[str]:
    t = r.trainer
    return [
        r.name,
        _value(r.kind),
        _value(t.trainer_type),
        t.framework,
        str(t.num_nodes),
        _device(t.device, t.device_count),
        t.image,
    ]


def _job_cells(j: types.TrainJob, now: datetime) -> list[str]:
    return [
        j.name,
        j.status,
        _runtime_name(j),
        f"{nodes_ready(j)}/{j.num_nodes}",
        progress_text(j.trainer_status),
        _age(j.creation_timestamp, now),
    ]


def _event_cells(e: types.Event, now: datetime) -> list[str]:
    return [
        _age(e.event_time, now),
        f"{e.involved_object_kind}/{e.involved_object_name}",
        e.reason,
        e.message,
    ]


def steps_html(steps: Sequence[types.Step]) -> str:
    """Steps as an HTML table, the status as a coloured badge."""
    rows = []
    for s in steps:
        cells = [_text(c) for c in _step_cells(s)]
        cells[1] = _badge(s.status)
        rows.append(cells)
    return _table(_STEP_HEADER, rows)


def runtimes_html(runtimes: Sequence[types.Runtime]) -> str:
    """Runtimes as an HTML table."""
    return _table(_RUNTIME_HEADER, [[_text(c) for c in _runtime_cells(r)] for r in runtimes])


def trainjobs_html(jobs: Sequence[types.TrainJob], now: datetime | None = None) -> str:
    """TrainJobs as an HTML table: status badge, nodes ready/total, progress, age."""
    now = now or datetime.now(timezone.utc)
    rows = []
    for j in jobs:
        cells = [_text(c) for c in _job_cells(j, now)]
        cells[0] = f"<b>{cells[0]}</b>"
        cells[1] = _badge(j.status)
        rows.append(cells)
    return _table(_JOB_HEADER, rows)


def events_html(events: Sequence[types.Event], now: datetime | None = None) -> str:
    """Events as an HTML table, oldest first as given."""
    now = now or datetime.now(timezone.utc)
    return _table(_EVENT_HEADER, [[_text(c) for c in _event_cells(e, now)] for e in events])


def _kind_of(items: Sequence[object]) -> type | None:
    """The one display kind all items share, or None (empty, mixed, or foreign items)."""
    for kind in (types.TrainJob, types.Runtime, types.Event, types.Step):
        if items and all(isinstance(i, kind) for i in items):
            return kind
    return None


def list_html(items: Sequence[object], now: datetime | None = None) -> str:
    """A list of TrainJobs, Runtimes, Events or Steps as one HTML table (escaped ``repr`` of
    anything else, e.g. the dicts ``dataclasses.asdict`` leaves in a list)."""
    kind = _kind_of(items)
    if kind is types.TrainJob:
        return trainjobs_html(items, now)  # type: ignore[arg-type]
    if kind is types.Runtime:
        return runtimes_html(items)  # type: ignore[arg-type]
    if kind is types.Event:
        return events_html(items, now)  # type: ignore[arg-type]
    if kind is types.Step:
        return steps_html(items)  # type: ignore[arg-type]
    if not items:
        return "<i>(none)</i>"
    return f"<pre>{_text(list.__repr__(list(items)))}</pre>"


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Rows as left-aligned columns under a header; line breaks in cells become spaces."""
    lines = [list(header)] + [[" ".join(str(c).split()) for c in row] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def list_text(items: Sequence[object], now: datetime | None = None) -> str:
    """A list of TrainJobs, Runtimes, Events or Steps as an aligned text table."""
    now = now or datetime.now(timezone.utc)
    kind = _kind_of(items)
    if kind is types.TrainJob:
        return text_table(_JOB_HEADER, [_job_cells(j, now) for j in items])  # type: ignore[arg-type]
    if kind is types.Runtime:
        return text_table(_RUNTIME_HEADER, [_runtime_cells(r) for r in items])  # type: ignore[arg-type]
    if kind is types.Event:
        return text_table(_EVENT_HEADER, [_event_cells(e, now) for e in items])  # type: ignore[arg-type]
    if kind is types.Step:
        return text_table(_STEP_HEADER, [_step_cells(s) for s in items])  # type: ignore[arg-type]
    return "(none)" if not items else list.__repr__(list(items))


# One-line reprs ---------------------------------------------------------------------------------


def _value(value: object) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def _when(value: datetime | None) -> str:
    return "None" if value is None else repr(value.isoformat())


def runtime_repr(r: types.Runtime) -> str:
    """``Runtime(name='torch-distributed', kind='ClusterTrainingRuntime', ...)``: the enums by
    value and the trainer's fields inline."""
    t = r.trainer
    fields = [
        f"name={r.name!r}",
        f"kind={_value(r.kind)!r}",
        f"trainer_type={_value(t.trainer_type)!r}",
        f"framework={t.framework!r}",
        f"image={t.image!r}",
        f"num_nodes={t.num_nodes!r}",
        f"device={t.device!r}",
        f"device_count={t.device_count!r}",
    ]
    if r.pretrained_model is not None:
        fields.append(f"pretrained_model={r.pretrained_model!r}")
    return f"Runtime({', '.join(fields)})"


def step_repr(s: types.Step) -> str:
    """The dataclass repr, with the waiting fields only when something holds the step back."""
    fields = [
        f"name={s.name!r}",
        f"status={s.status!r}",
        f"pod_name={s.pod_name!r}",
        f"device={s.device!r}",
        f"device_count={s.device_count!r}",
    ]
    if s.waiting_reason:
        fields.append(f"waiting_reason={s.waiting_reason!r}")
        fields.append(f"waiting_message={s.waiting_message!r}")
    return f"Step({', '.join(fields)})"


def trainjob_repr(j: types.TrainJob) -> str:
    """``TrainJob(name='x', status='Running', runtime='torch-distributed', nodes='2/2', ...)``:
    the runtime by name, the steps as a count, the trainer's progress when it reported any."""
    fields = [
        f"name={j.name!r}",
        f"status={j.status!r}",
        f"runtime={_runtime_name(j)!r}",
        f"num_nodes={j.num_nodes!r}",
        f"nodes_ready={nodes_ready(j)}",
        f"steps={len(j.steps)}",
        f"creation_timestamp={_when(j.creation_timestamp)}",
    ]
    progress = progress_text(j.trainer_status)
    if progress:
        fields.append(f"progress={progress!r}")
    if j.queue_name:
        fields.append(f"queue_name={j.queue_name!r}")
    return f"TrainJob({', '.join(fields)})"


def event_repr(e: types.Event) -> str:
    """The dataclass repr with the time in ISO 8601 instead of a ``datetime(...)`` call."""
    return (
        f"Event(involved_object_kind={e.involved_object_kind!r}, "
        f"involved_object_name={e.involved_object_name!r}, reason={e.reason!r}, "
        f"message={e.message!r}, event_time={_when(e.event_time)})"
    )
