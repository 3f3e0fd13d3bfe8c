"""Reading a step's log file: all of it, the end of it, or following it while the job runs.

Memory stays bounded whatever the files hold: they are read in chunks, and a line longer than
``MAX_LINE`` keeps its start and says how many bytes were cut (as the Kubernetes backend does),
so an endless log or a progress bar that never ends its line cannot fill the memory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

_CHUNK = 65536

#: The longest line yielded whole, in bytes.
MAX_LINE = 64 * 1024


def _decode(raw: bytes) -> str:
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw.decode("utf-8", "replace")


class _Lines:
    """Cuts chunks into lines, holding at most ``MAX_LINE`` bytes of an unfinished one."""

    def __init__(self) -> None:
        self.pending = bytearray()
        self.dropped = 0

    def _keep(self, piece: bytes) -> None:
        room = max(0, MAX_LINE - len(self.pending))
        self.pending += piece[:room]
        self.dropped += max(0, len(piece) - room)

    def _take(self) -> str:
        text = (
            self.pending.decode("utf-8", "replace") + f" [{self.dropped} more bytes not shown]"
            if self.dropped
            else _decode(bytes(self.pending))
        )
        self.pending.clear()
        self.dropped = 0
        return text

    def feed(self, chunk: bytes) -> list[str]:
        """The lines ``chunk`` completes."""
        *complete, rest = chunk.split(b"\n")
        lines = []
        for piece in complete:
            self._keep(piece)
            lines.append(self._take())
        self._keep(rest)
        return lines

    def finish(self) -> list[str]:
        """The last line when the file does not end with a newline."""
        return [self._take()] if self.pending or self.dropped else []


def read_lines(path: Path, start: int = 0) -> Iterator[str]:
    """Yield the lines of ``path`` from byte ``start`` as they are now, without line endings."""
    try:
        src = open(path, "rb")  # noqa: SIM115 - the with below owns it; a missing file ends early
    except FileNotFoundError:
        return
    with src:
        src.seek(start)
        lines = _Lines()
        while chunk := src.read(_CHUNK):
            yield from lines.feed(chunk)
        yield from lines.finish()


def tail_start(path: Path, count: int) -> int:
    """The byte offset where the last ``count`` lines of ``path`` begin (0 if it has fewer).

    Reads backwards in chunks, so only about the tail is read, however big the file.
    """
    try:
        src = open(path, "rb")  # noqa: SIM115 - the with below owns it
    except FileNotFoundError:
        return 0
    with src:
        end = src.seek(0, os.SEEK_END)
        if count <= 0:
            return end
        src.seek(end - 1 if end else 0)
        # A last line without its newline counts as a line too.
        newlines = -1 if end and src.read(1) == b"\n" else 0
        position = end
        while position > 0:
            step = min(_CHUNK, position)
            position -= step
            src.seek(position)
            chunk = src.read(step)
            at = len(chunk)
            while (at := chunk.rfind(b"\n", 0, at)) != -1:
                newlines += 1
                if newlines == count:
                    return position + at + 1
        return 0


def tail_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of ``path``."""
    return list(read_lines(path, tail_start(path, count))) if count > 0 else []


def follow_lines(
    path: Path, finished: Callable[[], bool], poll: float = 0.1, start: int = 0
) -> Iterator[str]:
    """Yield the lines of ``path`` from byte ``start``, then new ones as they are written, until
    ``finished()``.

    A line is yielded once its newline is written; an unterminated last line is yielded when the
    writer has finished. The file is drained after ``finished()`` first returns True, so nothing
    written before that is lost.

    Args:
        path: The log file.
        finished: Returns True once nothing more will be written (the job finished or is gone).
        poll: Seconds between checks for new data.
        start: The byte offset to begin at (see ``tail_start``).
    """
    yield from follow_many([("", path, start)], finished, poll)


def follow_many(
    logs: Sequence[tuple[str, Path, int]], finished: Callable[[], bool], poll: float = 0.1
) -> Iterator[str]:
    """``follow_lines`` over several files at once: each line after its file's prefix, in the
    order the lines are found (files are checked in turn, every ``poll`` seconds when all are
    quiet). ``logs`` holds (prefix, path, start offset) per file."""
    sources = []
    try:
        for prefix, path, start in logs:
            try:
                src = open(path, "rb")  # noqa: SIM115 - closed in the finally below
            except FileNotFoundError:
                continue
            src.seek(start)
            sources.append((prefix, src, _Lines()))
        done = False
        while True:
            read_any = False
            for prefix, src, lines in sources:
                chunk = src.read(_CHUNK)
                if chunk:
                    read_any = True
                    for line in lines.feed(chunk):
                        yield prefix + line
            if read_any:
                continue
            if done:
                break
            if finished():
                done = True  # one more pass drains what was written before
                continue
            time.sleep(poll)
        for prefix, _, lines in sources:
            for line in lines.finish():
                yield prefix + line
    finally:
        for _, src, _ in sources:
            src.close()
