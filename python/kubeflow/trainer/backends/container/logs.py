"""Several containers' followed logs as one stream, lines in the order they arrive."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence

#: Lines waiting for the reader; a reader slower than the containers makes their readers wait,
#: so memory stays bounded on endless logs.
_QUEUE_LINES = 256
_END = object()


def merged_lines(streams: Sequence[tuple[str, Iterator[str]]]) -> Iterator[str]:
    """Yield ``prefix + line`` from every ``(prefix, lines)`` stream as lines arrive.

    One thread reads each stream (each is a blocking ``logs --follow`` of the engine's CLI).
    The first error of a stream is raised to the reader after the lines before it. Closing the
    iterator early tells the threads to stop at their next line.
    """
    lines: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_LINES)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                lines.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def read(prefix: str, stream: Iterator[str]) -> None:
        try:
            for line in stream:
                if not put(prefix + line):
                    break
        except Exception as error:  # noqa: BLE001 - handed to the reader, raised there
            put(error)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # ends the engine's CLI process
            put(_END)

    threads = [
        threading.Thread(target=read, args=(p, s), name=f"logs {p.strip()}", daemon=True)
        for p, s in streams
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            item = lines.get()
            if item is _END:
                running -= 1
            elif isinstance(item, Exception):
                raise item
            else:
                assert isinstance(item, str)
                yield item
    finally:
        stop.set()
