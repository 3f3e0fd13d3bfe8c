"""Shared pieces of the fault-matrix tests (test_k8s_fault_matrix, test_k8s_fault_streams).

Each test injects one fault between the client and the real API server, checks the outcome
(the call succeeds, or fails with the typed error within its deadline; one TrainJob; every watch
event and log line exactly once) and records the time to recover for the run's summary.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from kubeflow.trainer import KubernetesBackendConfig, TrainerClient
from tests.python.integration.k8s_sim import trainjob_names
from tests.support.fault_proxy import FaultProxy

# Short stream windows through the internal knobs (core/src/k8s/stream_deadlines.hpp), so a
# stalled watch or log is noticed in seconds, not in 35 s or a minute.
WATCH_WINDOW_S = 3  # a watch's read deadline is then 3 + 5 = 8 s
LOG_SILENCE_S = 1.5

# Status changes the watch tests make; each gives the job a status different from the one before,
# so a lost event merges two callbacks and a replayed one adds one: both change the sequence.
CHANGES = [("Suspended", "True"), ("Suspended", "False")] * 2 + [("Complete", "True")]
EXPECTED = ["Created", "Suspended", "Created", "Suspended", "Created", "Complete"]


def fast_streams(monkeypatch) -> None:
    """Shortens the stream deadlines of the clients made afterwards."""
    monkeypatch.setenv("KUBEFLOW_INTERNAL_WATCH_WINDOW_SECONDS", str(WATCH_WINDOW_S))
    monkeypatch.setenv("KUBEFLOW_INTERNAL_LOG_SILENCE_SECONDS", str(LOG_SILENCE_S))


# Scheduling slack on top of a read deadline (the check runs every 0.1 s; the machine is shared).
SLACK_S = 3.0


def left_within(proxy: FaultProxy, deadline: float) -> None:
    """The client left the proxy's stall on its own, within its read deadline (+ slack)."""
    wait_until(lambda: bool(proxy.stall_endings), timeout=70, what="the stall's end")
    [(ending, held)] = proxy.stall_endings
    assert ending == "abandoned by the client"
    assert held <= deadline + SLACK_S, f"left after {held:.1f} s; the read deadline is {deadline} s"


def client_for(kubeconfig: str, namespace: str) -> TrainerClient:
    return TrainerClient(KubernetesBackendConfig(config_file=kubeconfig, namespace=namespace))


def record(figures: list[str], fault: str, outcome: str, seconds: float | None) -> None:
    """One row of the fault matrix for the run's summary."""
    took = f"{seconds:.2f} s" if seconds is not None else "-"
    figures.append(f"fault matrix: {fault} -> {outcome}; time to recover {took}")


def one_job(cluster: Any, namespace: str) -> list[str]:
    """The TrainJobs of the namespace, as the API server has them."""
    return trainjob_names(cluster, namespace)


def wait_until(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"not reached within {timeout} s: {what}")
        time.sleep(0.05)


class Background:
    """Runs ``call`` in a thread; ``result``/``error`` and ``finished`` (monotonic) afterwards."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished: float | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.result = call()
        except BaseException as e:  # noqa: BLE001 - the test inspects it
            self.error = e
        self.finished = time.monotonic()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"still running after {timeout} s"
