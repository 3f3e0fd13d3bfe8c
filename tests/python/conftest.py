"""Fixtures shared by every pytest suite."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest


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
