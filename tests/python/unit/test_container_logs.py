"""merged_lines: several followed logs as one stream, as lines arrive, bounded, errors raised."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from kubeflow.trainer.backends.container.logs import merged_lines


def test_lines_come_as_they_arrive_not_stream_after_stream() -> None:
    # node-1's first line is written only after the reader has seen node-0's first line, and
    # node-0's second only after node-1's first: a merge that read one stream to its end first
    # would wait forever (the events' timeouts turn that into a failure).
    seen_a = threading.Event()
    seen_b = threading.Event()

    def node0() -> Iterator[str]:
        yield "a1"
        assert seen_b.wait(30), "node-1's line never reached the reader"
        yield "a2"

    def node1() -> Iterator[str]:
        assert seen_a.wait(30), "node-0's line never reached the reader"
        yield "b1"

    out = []
    for line in merged_lines([("[node-0] ", node0()), ("[node-1] ", node1())]):
        out.append(line)
        if line == "[node-0] a1":
            seen_a.set()
        if line == "[node-1] b1":
            seen_b.set()
    assert out == ["[node-0] a1", "[node-1] b1", "[node-0] a2"]


def test_an_error_of_one_stream_reaches_the_reader() -> None:
    def broken() -> Iterator[str]:
        yield "before"
        raise RuntimeError("engine went away")

    with pytest.raises(RuntimeError, match="engine went away"):
        lines = merged_lines([("", broken())])
        assert next(lines) == "before"
        next(lines)


def test_closing_early_stops_an_endless_stream() -> None:
    closed = threading.Event()

    def endless() -> Iterator[str]:
        try:
            while True:
                yield "x"
        finally:
            closed.set()

    lines = merged_lines([("", endless())])
    assert [next(lines) for _ in range(1000)] == ["x"] * 1000
    lines.close()
    assert closed.wait(30)
