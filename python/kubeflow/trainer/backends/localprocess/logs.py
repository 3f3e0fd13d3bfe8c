"""Reading a step's log file: all of it, the end of it, or following it while the job runs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

_CHUNK = 65536


def _decode(raw: bytes) -> str:
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw.decode("utf-8", "replace")


def read_lines(path: Path) -> Iterator[str]:
    """Yield the lines of ``path`` as they are now, without line endings."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for raw in lines:
        yield _decode(raw)


def tail_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of ``path`` (reads at most the last 64 KiB)."""
    try:
        with open(path, "rb") as src:
            src.seek(0, 2)
            size = src.tell()
            src.seek(max(0, size - _CHUNK))
            data = src.read()
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if size > _CHUNK and lines:
        lines.pop(0)  # probably cut
    return [_decode(raw) for raw in lines[-count:]] if count > 0 else []


def follow_lines(path: Path, finished: Callable[[], bool], poll: float = 0.1) -> Iterator[str]:
    """Yield the lines of ``path``, then new ones as they are written, until ``finished()``.

    A line is yielded once its newline is written; an unterminated last line is yielded when the
    writer has finished. The file is drained after ``finished()`` first returns True, so nothing
    written before that is lost.

    Args:
        path: The log file.
        finished: Returns True once nothing more will be written (the job finished or is gone).
        poll: Seconds between checks for new data.
    """
    pending = b""
    try:
        src = open(path, "rb")  # noqa: SIM115 - the with below owns it; a missing file ends early
    except FileNotFoundError:
        return
    with src:
        done = False
        while True:
            chunk = src.read(_CHUNK)
            if chunk:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    yield _decode(raw)
                continue
            if done:
                break
            if finished():
                done = True  # one more read drains what was written before
                continue
            time.sleep(poll)
    if pending:
        yield _decode(pending)
