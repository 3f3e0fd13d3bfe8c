"""The core's HTTP layer against faults a real API server can't produce on demand."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from kubeflow.trainer import _core, errors
from tests.support.fault_server import FaultServer


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
    with FaultServer("throttle") as server, pytest.raises(errors.TooManyRequestsError) as info:
        _api(server.url).get_runtime("torch-distributed")
    error = info.value
    assert isinstance(error, RuntimeError)
    assert error.status == 429
    assert error.reason == "TooManyRequests"
    assert error.retry_after == 5
    assert "too many requests" in error.server_message


def test_body_that_is_not_json_is_a_server_error() -> None:
    with FaultServer("garbage") as server, pytest.raises(errors.ServerError) as info:
        _api(server.url).list_jobs(None)
    assert "not JSON" in str(info.value)


def test_connection_closed_is_a_transport_error() -> None:
    with FaultServer("hangup") as server, pytest.raises(errors.TransportError) as info:
        _api(server.url).list_jobs(None)
    assert isinstance(info.value, ConnectionError)
    assert server.url in str(info.value)


def test_token_is_sent_but_never_shown() -> None:
    with FaultServer("throttle") as server, pytest.raises(errors.ApiError) as info:
        _api(server.url).list_runtimes()
    assert "not-a-real-token" not in str(info.value)
    assert "not-a-real-token" not in repr(info.value.__dict__)


def test_paths_and_label_selectors_are_encoded() -> None:
    with FaultServer("ok") as server:
        _api(server.url).list_jobs(None)
    # The two lists travel at once, so they may arrive in either order.
    jobs, pods = sorted(server.paths, key=lambda p: "/pods" in p)
    assert jobs == "/apis/trainer.kubeflow.org/v1alpha1/namespaces/team-a/trainjobs"
    assert pods.startswith("/api/v1/namespaces/team-a/pods?labelSelector=")
    assert "%20in%20%28" in pods


# ---- robustness: Ctrl-C, dropped streams, errors that say what happened ---------------------


def test_ctrl_c_interrupts_a_call_to_a_hung_server(sigint_raises_keyboard_interrupt) -> None:
    """The call must end because of the signal, not because the server finally answered: the
    server sees the client hang up while it is still holding the answer back."""
    import signal

    with FaultServer("slow", delay=20.0) as server:
        api = _api(server.url, timeout=60)
        timer = threading.Timer(0.5, signal.raise_signal, args=(signal.SIGINT,))
        started = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            api.list_jobs(None)
        print(f"Ctrl-C latency: {time.monotonic() - started - 0.5:.3f} s")
        timer.join()
        for _ in range(100):  # the server notices the hang-ups at its next 50 ms poll
            if server.abandoned >= 2:
                break
            time.sleep(0.05)
        # Both lists (sent at once) were held; the cancel reached the pod list's thread too.
        assert server.abandoned == 2
        # The client is usable afterwards.
        server.delay = 0.0
        assert api.list_jobs(None) == []


def test_followed_log_resumes_after_a_dropped_connection_without_repeats_or_gaps() -> None:
    from tests.support.fault_server import LOG_LINES

    with FaultServer("api") as server:
        stream = _api(server.url).follow_job_logs("job", "node-0")
        lines = list(stream)
    assert lines == [text for _, text in LOG_LINES]
    assert server.log_requests == 2
    follows = [p for p in server.paths if "/log?" in p]
    assert "timestamps=true" in follows[0] and "sinceTime" not in follows[0]
    # Resumed from the whole second of the last line delivered.
    assert "sinceTime=2026-01-01T10%3A00%3A01Z" in follows[1]


def test_password_in_the_server_url_is_never_shown() -> None:
    with FaultServer("hangup") as server:
        url = server.url.replace("http://", "http://alice:s3cret-pw@")
        api = _api(url)
        with pytest.raises(errors.TransportError) as info:
            api.list_jobs(None)
    assert "s3cret-pw" not in str(info.value)
    assert "***@127.0.0.1" in str(info.value)
    assert "s3cret-pw" not in api.server


def test_explicit_settings_token_is_write_only() -> None:
    settings = _core.ExplicitSettings()
    settings.token = "very-secret-token"
    assert settings.token != "very-secret-token"
    assert "very-secret-token" not in repr(settings.token)


def test_kubeconfig_basic_auth_is_sent(tmp_path) -> None:
    import base64

    with FaultServer("ok") as server:
        kubeconfig = tmp_path / "config"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
            f"clusters: [{{name: k, cluster: {{server: '{server.url}'}}}}]\n"
            "users: [{name: u, user: {username: alice, password: pw-1}}]\n"
            "contexts: [{name: c, context: {cluster: k, user: u, namespace: team-a}}]\n"
        )
        _core.TrainerApi(str(kubeconfig), None, "", 10.0).list_jobs(None)
    sent = server.headers_seen[0].get("Authorization", "")
    assert sent == "Basic " + base64.b64encode(b"alice:pw-1").decode()


def test_an_exception_in_a_stream_consumer_path_never_escapes_raw() -> None:
    """A Status whose fields have the wrong JSON types still becomes a typed error."""
    with FaultServer("odd-status") as server, pytest.raises(errors.ApiError) as info:
        _api(server.url).list_jobs(None)
    assert info.value.status == 418


def test_watch_resumes_from_the_last_version_after_a_dropped_connection() -> None:
    with FaultServer("api") as server:
        stream = _api(server.url).watch_job("job")
        statuses = []
        while not statuses or statuses[-1] != "Complete":
            info = stream.next(30)
            assert info is not None, statuses
            statuses.append(info.status)
        stream.close()
    assert statuses[-1] == "Complete"
    watches = [p for p in server.paths if "watch=1" in p and "/trainjobs" in p]
    assert len(watches) == 2
    assert "resourceVersion=1" in watches[0]
    assert "resourceVersion=2" in watches[1]  # resumed after the event it had seen


def test_library_exceptions_become_typed_errors_naming_the_call() -> None:
    """A JSON type error deep in the core (nlohmann) reaches Python as our ServerError."""
    with FaultServer("odd-object") as server, pytest.raises(errors.ServerError) as info:
        _api(server.url).get_job("job")
    # The core names the call and the object: verb, kind, name.
    assert "get TrainJob job" in str(info.value)
    assert "unexpected shape" in str(info.value)
