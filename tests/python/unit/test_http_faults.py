"""The core's HTTP layer against faults a real API server can't produce on demand."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from kubeflow.trainer import _core, errors  # noqa: E402
from tests.support.fault_server import FaultServer  # noqa: E402


def _api(url: str, timeout: float = 10.0) -> _core.TrainerApi:
    settings = _core.ExplicitSettings()
    settings.server = url
    settings.token = "not-a-real-token"
    return _core.TrainerApi(settings, "team-a", timeout)


def test_slow_call_releases_the_gil() -> None:
    with FaultServer("slow", delay=1.0) as server:
        api = _api(server.url)
        ticks = 0
        done = threading.Event()

        def call() -> None:
            api.list_jobs(None)
            done.set()

        worker = threading.Thread(target=call)
        worker.start()
        while not done.is_set():
            ticks += 1
            time.sleep(0.01)
        worker.join()
    # With the GIL held during the call, this loop could not have run while it waited.
    assert ticks > 20


def test_request_timeout_is_a_timeout_error() -> None:
    with FaultServer("slow", delay=3.0) as server:
        api = _api(server.url, timeout=0.5)
        with pytest.raises(TimeoutError) as info:
            api.list_jobs(None)
    assert isinstance(info.value, errors.JobTimeoutError)
    assert "timed out" in str(info.value)


def test_throttling_keeps_status_and_retry_after() -> None:
    with FaultServer("throttle") as server:
        with pytest.raises(errors.TooManyRequestsError) as info:
            _api(server.url).get_runtime("torch-distributed")
    error = info.value
    assert isinstance(error, RuntimeError)
    assert error.status == 429
    assert error.reason == "TooManyRequests"
    assert error.retry_after == 5
    assert "too many requests" in error.server_message


def test_body_that_is_not_json_is_a_server_error() -> None:
    with FaultServer("garbage") as server:
        with pytest.raises(errors.ServerError) as info:
            _api(server.url).list_jobs(None)
    assert "not JSON" in str(info.value)


def test_connection_closed_is_a_transport_error() -> None:
    with FaultServer("hangup") as server:
        with pytest.raises(errors.TransportError) as info:
            _api(server.url).list_jobs(None)
    assert isinstance(info.value, ConnectionError)
    assert server.url in str(info.value)


def test_token_is_sent_but_never_shown() -> None:
    with FaultServer("throttle") as server:
        with pytest.raises(errors.ApiError) as info:
            _api(server.url).list_runtimes()
    assert "not-a-real-token" not in str(info.value)
    assert "not-a-real-token" not in repr(info.value.__dict__)


def test_paths_and_label_selectors_are_encoded() -> None:
    with FaultServer("ok") as server:
        _api(server.url).list_jobs(None)
    assert server.paths[0] == "/apis/trainer.kubeflow.org/v1alpha1/namespaces/team-a/trainjobs"
    assert server.paths[1].startswith("/api/v1/namespaces/team-a/pods?labelSelector=")
    assert "%20in%20%28" in server.paths[1]
