"""Fixtures shared by every pytest suite."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

# Timings the tests measure (e.g. train() to Complete, a fault's time to recover), shown in the
# run's summary: pytest captures a test's own output, and these belong in every run's record.
FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    for figure in FIGURES:
        terminalreporter.write_line(f"[figure] {figure}")


@pytest.fixture
def figures() -> list[str]:
    """Where a test records a timing for the run's summary ("what: N s")."""
    return FIGURES


@pytest.fixture
def sigint_raises_keyboard_interrupt() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt during the test, as in a terminal or a notebook.

    A process started in the background by a non-interactive shell inherits SIGINT ignored, and
    Python then keeps ignoring it; tests of our Ctrl-C handling need Python's own handler.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
