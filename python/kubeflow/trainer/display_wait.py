"""The live display of ``wait_for_job_status``: one line that follows the job as it changes.

The backends call ``WaitDisplay.update`` with each TrainJob their watch delivers (the
Kubernetes backend's TrainJob and pod watch, the local backend's status file), never on a timer,
so the line changes exactly when the job does. tqdm draws it: one updating line on a terminal,
a widget in a Jupyter notebook when ipywidgets is installed (``pip install kubeflow[notebook]``),
nothing when the output is neither.
"""

from __future__ import annotations

import os
import shutil
import sys
from types import TracebackType
from typing import Any, TextIO

from kubeflow.trainer import display
from kubeflow.trainer.types import types

_METRICS_SHOWN = 3


def status_line(job: types.TrainJob) -> str:
    """The text of the live line: ``Running · nodes 2/2 · 42% ETA 3m 05s · loss=0.12``, and
    for a job that is not running, what holds it back."""
    parts = [job.status, f"nodes {display.nodes_ready(job)}/{job.num_nodes}"]
    progress = display.progress_text(job.trainer_status)
    if progress:
        parts.append(progress)
    if job.trainer_status is not None and job.trainer_status.metrics:
        shown = list(job.trainer_status.metrics.items())[:_METRICS_SHOWN]
        parts.append(" ".join(f"{k}={v}" for k, v in shown))
    reason = display.waiting_reason(job)
    if reason:
        parts.append(reason)
    return " · ".join(parts)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Notebook, VS Code), where tqdm draws a widget."""
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    ipython = shell.get_ipython()
    return ipython is not None and "IPKernelApp" in getattr(ipython, "config", {})


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class WaitDisplay:
    """The live line of one ``wait_for_job_status`` call (a context manager).

    Args:
        name: The TrainJob's name, the line's label.
        enabled: True shows it, False never, None (the default) only when the output is
            interactive: a Jupyter kernel or a terminal.
        stream: Where the line goes on a terminal; ``sys.stderr`` (as tqdm's default) when None.
    """

    def __init__(self, name: str, enabled: bool | None = None, stream: TextIO | None = None):
        if enabled is not None and not isinstance(enabled, bool):
            from kubeflow.trainer.errors import ValidationError

            raise ValidationError(
                f"progress must be True, False or None, got {enabled!r}", field="progress"
            )
        self._name = name
        self._stream = stream if stream is not None else sys.stderr
        self._notebook = in_notebook()
        self.enabled = enabled if enabled is not None else self._notebook or _is_tty(self._stream)
        self._bar: Any = None
        self.updates = 0

    def _width(self) -> int:
        try:
            return os.get_terminal_size(self._stream.fileno()).columns
        except (AttributeError, ValueError, OSError):  # not a terminal: $COLUMNS or 80
            return shutil.get_terminal_size().columns

    def _open(self, text: str, done: int) -> Any:
        # Imported here: only a wait that shows something pays for tqdm.
        if self._notebook:
            from tqdm.auto import tqdm as bar
        else:
            from tqdm import tqdm as bar  # type: ignore[assignment]
        return bar(
            total=100,
            initial=done,
            desc=text,  # the first frame already shows the job
            file=self._stream,
            # The name is literal text in the format (braces doubled); tqdm's postfix would
            # put ", " before the status, so the status goes in desc.
            # tqdm.notebook puts its widget where a plain "{bar}" stands.
            bar_format=self._name.replace("{", "{{").replace("}", "}}")
            + (" {bar} {desc}" if self._notebook else " |{bar:20}| {desc}"),
            leave=True,
            # The line is redrawn on each watch event, not by tqdm's own clock.
            mininterval=0,
            miniters=0,
        )

    def update(self, job: types.TrainJob) -> None:
        """Redraw the line for ``job`` as the watch delivered it."""
        if not self.enabled:
            return
        text = status_line(job)
        if not self._notebook:
            # One line: longer text would wrap, and a carriage return cannot go back up.
            room = max(10, self._width() - len(self._name) - 26)
            text = text if len(text) <= room else text[: room - 1] + "…"
        reported = job.trainer_status.progress_percentage if job.trainer_status else None
        done = max(0, min(100, reported)) if reported is not None else 0
        if reported is None and job.status == "Complete":
            done = 100
        self.updates += 1
        if self._bar is None:
            self._bar = self._open(text, done)
            return
        self._bar.n = done
        self._bar.set_description_str(text, refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        """End the line (tqdm leaves it on screen with the last state)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> WaitDisplay:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
