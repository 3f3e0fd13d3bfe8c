"""The fault matrix, part 1: single calls and watches, through tests/support/fault_proxy between
the client and the real API server.

For each fault: the call succeeds, or fails with its typed error within its deadline; train()
leaves exactly one TrainJob; a watch (wait_for_job_status with a callback) sees every status
change exactly once, in order. Each test records its time to recover (the fault striking ->
the call's success, or the client back in step) in the run's summary. Part 2 (followed logs, an
API server restart) is test_k8s_fault_streams.py. docs/reliability.md has the table.
"""

from __future__ import annotations

import time

import pytest

from kubeflow.trainer import CustomTrainerContainer
from kubeflow.trainer.backends.kubernetes import backend as kubernetes_backend
from kubeflow.trainer.errors import JobTimeoutError
from kubeflow.trainer.options import Name
from tests.python.integration.fault_matrix import (
    CHANGES,
    EXPECTED,
    WATCH_WINDOW_S,
    Background,
    client_for,
    fast_streams,
    left_within,
    one_job,
    record,
    wait_until,
)
from tests.python.integration.k8s_sim import condition, create_trainjob, set_conditions
from tests.support.fault_proxy import FaultProxy

TRAINJOBS = "/trainjobs"


@pytest.fixture
def proxied(cluster, namespace, proxy, tmp_path) -> str:
    """A kubeconfig (bearer token) whose server is the proxy."""
    return proxy.kubeconfig(cluster.token_kubeconfig, tmp_path / "proxied", namespace)


def _trainer() -> CustomTrainerContainer:
    return CustomTrainerContainer(image="example.com/trainer:1")


def _recovery(proxy: FaultProxy, started: float, finished: float) -> float:
    """From the fault striking (or the call's start, for a delay) to the call's success."""
    return finished - (proxy.fault_times[0] if proxy.fault_times else started)


# ---- single calls ----------------------------------------------------------------------------

CREATE_FAULTS = {
    "create: 429 with Retry-After 1 s": {"status": 429, "retry_after": "1"},
    "create: 503 with Retry-After 1 s": {"status": 503, "retry_after": "1"},
    "create: delayed 2 s": {"delay": 2.0},
    "create: connection dropped, answer lost": {"lose_response": True},
    "create: Content-Length answer cut after 40 bytes": {"truncate": True, "after_bytes": 40},
    "create: connection reset (RST) after 40 bytes": {"reset": True, "after_bytes": 40},
}


@pytest.mark.parametrize("fault", list(CREATE_FAULTS))
def test_train_survives_the_fault_and_creates_one_job(
    fault, cluster, namespace, proxy, proxied, figures
):
    client = client_for(proxied, namespace)
    proxy.inject("POST", TRAINJOBS, **CREATE_FAULTS[fault])
    started = time.monotonic()
    name = client.train(trainer=_trainer(), options=[Name("once")])
    finished = time.monotonic()
    assert name == "once"
    assert one_job(cluster, namespace) == ["once"]
    assert proxy.fault_times or "delay" in CREATE_FAULTS[fault], "the fault never struck"
    record(figures, fault, "train() succeeds, 1 TrainJob", _recovery(proxy, started, finished))


READ_FAULTS = {
    "list: Content-Length answer cut after 60 bytes": {"truncate": True, "after_bytes": 60},
    "list: connection reset (RST) after 60 bytes": {"reset": True, "after_bytes": 60},
    "list: 502, then answered": {"status": 502},
}


@pytest.mark.parametrize("fault", list(READ_FAULTS))
def test_a_read_survives_the_fault(fault, cluster, namespace, proxy, proxied, figures):
    create_trainjob(cluster, namespace, "listed")
    client = client_for(proxied, namespace)
    proxy.inject("GET", TRAINJOBS, **READ_FAULTS[fault])
    started = time.monotonic()
    jobs = client.list_jobs()
    finished = time.monotonic()
    assert [j.name for j in jobs] == ["listed"]
    assert proxy.fault_times, "the fault never struck"
    record(figures, fault, "list_jobs() succeeds", _recovery(proxy, started, finished))


REQUEST_TIMEOUT = 6  # seconds; the per-call deadline (DEFAULT_TIMEOUT, 120 s, in real use)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_stalled_call_fails_with_a_timeout_error_within_its_deadline(
    method, cluster, namespace, proxy, proxied, figures, monkeypatch
):
    # A single call has no read deadline of its own (the API server itself may take up to 60 s
    # to answer); its deadline is the request timeout, shortened here.
    monkeypatch.setattr(kubernetes_backend, "DEFAULT_TIMEOUT", REQUEST_TIMEOUT)
    client = client_for(proxied, namespace)
    proxy.inject(method, TRAINJOBS, stall=60.0)
    started = time.monotonic()
    with pytest.raises(JobTimeoutError) as raised:
        if method == "GET":
            client.list_jobs()
        else:
            client.train(trainer=_trainer(), options=[Name("stalled")])
    elapsed = time.monotonic() - started
    assert isinstance(raised.value, TimeoutError)
    assert elapsed <= REQUEST_TIMEOUT + 1.0  # the call's own deadline, plus its 0.1 s poll
    # The stalled create reached the API server: the job exists, once.
    assert one_job(cluster, namespace) == (["stalled"] if method == "POST" else [])
    what = "list_jobs()" if method == "GET" else "train() (1 TrainJob stored)"
    record(
        figures,
        f"{'list' if method == 'GET' else 'create'}: answer stalled (connection open, silent)",
        f"{what} raises JobTimeoutError at its deadline ({elapsed:.1f} s of {REQUEST_TIMEOUT})",
        None,
    )


# ---- watches ---------------------------------------------------------------------------------

WATCH_FAULTS = {
    "watch: connection reset (RST) after the first event": {"reset": True, "after_lines": 1},
    "watch: chunked body cut mid-event, then closed": {
        "truncate": True,
        "after_lines": 1,
        "after_bytes": 25,
    },
    "watch: stalled mid-stream (connection open, silent)": {"stall": 60.0, "after_lines": 1},
    "watch: stalled before its answer": {"stall": 60.0},
}


@pytest.mark.parametrize("fault", list(WATCH_FAULTS))
def test_a_watch_survives_the_fault_without_losing_or_repeating_an_event(
    fault, cluster, namespace, proxy, proxied, figures, monkeypatch
):
    fast_streams(monkeypatch)
    create_trainjob(cluster, namespace, "watched")
    client = client_for(proxied, namespace)
    proxy.inject(
        "GET", f"/namespaces/{namespace}/trainjobs", query="watch=1", **WATCH_FAULTS[fault]
    )
    seen: list[tuple[str, float]] = []
    waiter = Background(
        lambda: client.wait_for_job_status(
            "watched",
            {"Complete"},
            timeout=120,
            callbacks=[lambda job: seen.append((job.status, time.monotonic()))],
        )
    )
    wait_until(
        lambda: len(seen) == 1 and any("watch=1" in p and TRAINJOBS in p for _, p, _ in proxy.log),
        what="the watch is established",
    )

    def change(i: int) -> None:
        set_conditions(cluster, namespace, "watched", condition(*CHANGES[i]))

    applied = 0
    while not proxy.fault_times and applied < len(CHANGES) - 1:
        change(applied)
        applied += 1
        wait_until(
            lambda n=applied + 1: bool(proxy.fault_times) or len(seen) == n, what="the event"
        )
    strike = proxy.fault_times[0]
    for i in range(applied, len(CHANGES)):
        change(i)
    waiter.join(120)
    assert waiter.error is None, waiter.error
    assert [s for s, _ in seen] == EXPECTED
    # A stall is left by the client within its read deadline, not outlasted.
    if "stall" in WATCH_FAULTS[fault]:
        left_within(proxy, WATCH_WINDOW_S + 5)
    else:
        assert proxy.stall_endings == []
    # Back in step: the first change the client had not seen when the fault struck arrives.
    recovered = seen[applied + 1][1] - strike
    record(figures, fault, "wait_for_job_status() sees each change once", recovered)
