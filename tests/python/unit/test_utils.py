"""update_trainjob_status against a real local HTTP(S) server, and get_tpu_num_nodes
(conformance cases 38 and 39)."""

from __future__ import annotations

import json
import logging
import re
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import kubeflow.trainer
from kubeflow.trainer.backends.kubernetes import utils
from kubeflow.trainer.backends.kubernetes.utils import get_tpu_num_nodes, update_trainjob_status

STATUS_PATH = "/apis/trainer.kubeflow.org/v1alpha1/namespaces/ns/trainjobs/job/status"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class StatusServer:
    """A tiny status server on 127.0.0.1 that records requests and answers with ``status``."""

    url: str
    requests: list[Recorded] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0


def start_server(
    tls_context: ssl.SSLContext | None = None,
) -> tuple[ThreadingHTTPServer, StatusServer]:
    state = StatusServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            state.requests.append(
                Recorded(
                    "POST",
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw),
                )
            )
            if state.delay:
                time.sleep(state.delay)
            body = b'{"ok": true}'
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}{STATUS_PATH}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, state


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(utils, "_clock", fake)
    return fake


@pytest.fixture(autouse=True)
def clean_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in (utils.SERVER_URL_ENV, utils.SERVER_TOKEN_ENV, utils.SERVER_CA_CERT_ENV):
        monkeypatch.delenv(name, raising=False)
    utils._reset_status_state()
    yield
    utils._reset_status_state()


@pytest.fixture
def server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> Iterator[StatusServer]:
    httpd, state = start_server()
    token = tmp_path / "token"
    token.write_text("test-token\n")
    monkeypatch.setenv(utils.SERVER_URL_ENV, state.url)
    monkeypatch.setenv(utils.SERVER_TOKEN_ENV, str(token))
    yield state
    httpd.shutdown()
    httpd.server_close()


def trainer_status(state: StatusServer, n: int = -1) -> dict[str, Any]:
    return state.requests[n].body["trainerStatus"]


# --- case 38 ------------------------------------------------------------------------------------


def test_exported_from_kubeflow_trainer() -> None:
    assert kubeflow.trainer.update_trainjob_status is update_trainjob_status
    assert kubeflow.trainer.get_tpu_num_nodes is get_tpu_num_nodes
    assert {"update_trainjob_status", "get_tpu_num_nodes"} <= set(kubeflow.trainer.__all__)


def test_no_env_returns_false_without_posting(
    server: StatusServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(utils.SERVER_URL_ENV)
    assert update_trainjob_status(progress_percent=50) is False
    assert server.requests == []


@pytest.mark.parametrize("token", ["missing", "empty", "unset"])
def test_no_token_returns_false_without_posting(
    server: StatusServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, token: str
) -> None:
    if token == "missing":
        monkeypatch.setenv(utils.SERVER_TOKEN_ENV, str(tmp_path / "nope"))
    elif token == "empty":
        (tmp_path / "empty").write_text("  \n")
        monkeypatch.setenv(utils.SERVER_TOKEN_ENV, str(tmp_path / "empty"))
    else:
        monkeypatch.delenv(utils.SERVER_TOKEN_ENV)
    assert update_trainjob_status(progress_percent=50) is False
    assert server.requests == []


def test_request_shape(server: StatusServer) -> None:
    assert (
        update_trainjob_status(
            progress_percent=50,
            estimated_remaining_seconds=3600,
            metrics={"loss": 0.25, "step": 10},
        )
        is True
    )
    [request] = server.requests
    assert request.method == "POST" and request.path == STATUS_PATH
    assert request.headers["authorization"] == "Bearer test-token"
    assert request.headers["content-type"] == "application/json"
    status = request.body["trainerStatus"]
    assert list(request.body) == ["trainerStatus"]
    assert status["progressPercentage"] == 50
    assert status["estimatedRemainingSeconds"] == 3600
    assert status["metrics"] == [{"name": "loss", "value": "0.25"}, {"name": "step", "value": "10"}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", status["lastUpdatedTime"])


@pytest.mark.parametrize(
    "kwargs,key,expected",
    [
        ({"progress_percent": 150}, "progressPercentage", 100),
        ({"progress_percent": -10}, "progressPercentage", 0),
        ({"progress_percent": 99.9}, "progressPercentage", 99),
        ({"estimated_remaining_seconds": -30}, "estimatedRemainingSeconds", 0),
        ({"estimated_remaining_seconds": 12.7}, "estimatedRemainingSeconds", 12),
    ],
)
def test_clamping(server: StatusServer, kwargs: dict[str, Any], key: str, expected: int) -> None:
    assert update_trainjob_status(**kwargs) is True
    assert trainer_status(server)[key] == expected


def test_only_given_fields_are_sent(server: StatusServer, clock: FakeClock) -> None:
    assert update_trainjob_status() is True
    assert list(trainer_status(server)) == ["lastUpdatedTime"]
    for metrics in ({}, None):
        clock.now += 10
        assert update_trainjob_status(progress_percent=1, metrics=metrics) is True
        assert "metrics" not in trainer_status(server)


def test_metrics_capped_at_256(server: StatusServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=utils.__name__):
        assert update_trainjob_status(metrics={f"m{i}": i for i in range(300)}) is True
    metrics = trainer_status(server)["metrics"]
    assert len(metrics) == 256
    assert metrics[0] == {"name": "m0", "value": "0"} and metrics[-1]["name"] == "m255"
    assert "only the first 256" in caplog.text


def test_metrics_out_of_bounds_skipped(server: StatusServer) -> None:
    metrics = {"ok": 1, "x" * 65: 1, "empty": "", "long": "v" * 65}
    assert update_trainjob_status(metrics=metrics) is True
    assert trainer_status(server)["metrics"] == [{"name": "ok", "value": "1"}]


def test_http_error_returns_false_and_does_not_throttle(
    server: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.status = 422
    with caplog.at_level(logging.WARNING, logger=utils.__name__):
        assert update_trainjob_status(progress_percent=10) is False
    assert "HTTP 422" in caplog.text
    server.status = 200
    assert update_trainjob_status(progress_percent=20) is True
    assert len(server.requests) == 2


def test_connection_error_returns_false(
    server: StatusServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpd, state = start_server()
    url = state.url
    httpd.shutdown()
    httpd.server_close()
    monkeypatch.setenv(utils.SERVER_URL_ENV, url)
    assert update_trainjob_status(progress_percent=10) is False


def test_timeout_returns_false(server: StatusServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(utils, "STATUS_TIMEOUT_SECONDS", 0.2)
    server.delay = 1.0
    # The server would answer after 1 s; only the 0.2 s timeout makes the call fail.
    assert update_trainjob_status(progress_percent=10) is False


@pytest.mark.parametrize(
    "bad", [{"progress_percent": "half"}, {"progress_percent": float("nan")}, {"metrics": 5}]
)
def test_bad_values_never_raise(server: StatusServer, bad: dict[str, Any]) -> None:
    assert update_trainjob_status(**bad) is False
    assert server.requests == []


def test_throttle(server: StatusServer, clock: FakeClock) -> None:
    assert update_trainjob_status(progress_percent=10) is True
    clock.now += 4.9
    assert update_trainjob_status(progress_percent=20) is False
    assert len(server.requests) == 1
    clock.now += 0.1
    assert update_trainjob_status(progress_percent=30) is True
    assert [r.body["trainerStatus"]["progressPercentage"] for r in server.requests] == [10, 30]


def test_token_cached_for_300_seconds(
    server: StatusServer, clock: FakeClock, tmp_path: Path
) -> None:
    assert update_trainjob_status(progress_percent=1) is True
    (tmp_path / "token").write_text("rotated")
    clock.now += 299  # past the throttle window, still inside the token TTL
    assert update_trainjob_status(progress_percent=2) is True
    clock.now += 6  # 305 s after the token was read
    assert update_trainjob_status(progress_percent=3) is True
    assert [r.headers["authorization"] for r in server.requests] == [
        "Bearer test-token",
        "Bearer test-token",
        "Bearer rotated",
    ]


def test_token_read_error_gives_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(utils.SERVER_TOKEN_ENV, str(tmp_path))  # a directory: OSError on open
    assert utils._read_token() is None


# --- TLS: the CA file from the env is what verifies the server ---------------------------------


def make_cert(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(server certificate, its key, an unrelated self-signed certificate)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = make_cert(d, "server")
    other, _ = make_cert(d, "other")
    return cert, key, other


@pytest.fixture
def tls_server(
    tls_files: tuple[Path, Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
) -> Iterator[StatusServer]:
    cert, key, _ = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd, state = start_server(context)
    (tmp_path / "token").write_text("test-token")
    monkeypatch.setenv(utils.SERVER_URL_ENV, state.url)
    monkeypatch.setenv(utils.SERVER_TOKEN_ENV, str(tmp_path / "token"))
    yield state
    httpd.shutdown()
    httpd.server_close()


def test_https_verified_with_ca_file(
    tls_server: StatusServer, tls_files: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(utils.SERVER_CA_CERT_ENV, str(tls_files[0]))
    assert update_trainjob_status(progress_percent=42) is True
    assert trainer_status(tls_server)["progressPercentage"] == 42


@pytest.mark.parametrize("ca", ["unset", "missing-file", "other-ca"])
def test_https_rejects_server_not_signed_by_the_ca(
    tls_server: StatusServer,
    tls_files: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    ca: str,
) -> None:
    if ca == "missing-file":
        monkeypatch.setenv(utils.SERVER_CA_CERT_ENV, str(tmp_path / "nope.crt"))
    elif ca == "other-ca":
        monkeypatch.setenv(utils.SERVER_CA_CERT_ENV, str(tls_files[2]))
    assert update_trainjob_status(progress_percent=42) is False
    assert tls_server.requests == []


# --- case 39: get_tpu_num_nodes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "slices,topology,chips_per_host,nodes",
    [
        (1, "2x2", 4, 1),
        (1, "2x4", 4, 2),
        (1, "4x4", 4, 4),
        (2, "2x2", 4, 2),
        (4, "2x4", 4, 8),
        (2, "4x4", 4, 8),
        (1, "2x2x4", 4, 4),
        (2, "4x4x4", 4, 32),
        (1, "4X4", 4, 4),
        (1, "2X2x2", 4, 2),
        (1, "4x4", 8, 2),
        (1, "1x1", 4, 1),
        (1, "2x2", 8, 1),
        (3, "1x2", 4, 3),
    ],
)
def test_tpu_num_nodes(slices: int, topology: str, chips_per_host: int, nodes: int) -> None:
    assert get_tpu_num_nodes(slices, topology, chips_per_host) == nodes


def test_tpu_default_chips_per_host() -> None:
    assert get_tpu_num_nodes(1, "4x4") == 4


@pytest.mark.parametrize(
    "slices,topology,chips_per_host,match",
    [
        (1, "", 4, "non-empty"),
        (1, "   ", 4, "non-empty"),
        (1, "2x", 4, "not a positive integer"),
        (1, "4", 4, "2 or 3 dimensions"),
        (1, "2x2x2x2", 4, "2 or 3 dimensions"),
        (1, "0x4", 4, "must be positive"),
        (1, "-2x4", 4, "not a positive integer"),
        (1, "2.5x4", 4, "not a positive integer"),
        (1, "ax4", 4, "not a positive integer"),
        (0, "2x2", 4, "num_slices must be a positive integer"),
        (-1, "2x2", 4, "num_slices must be a positive integer"),
        (True, "2x2", 4, "num_slices must be a positive integer"),
        (1, "2x2", 0, "chips_per_host must be a positive integer"),
        (1, "2x2", -4, "chips_per_host must be a positive integer"),
        (1, "2x3", 4, "does not divide evenly"),
        (1, "3x3", 4, "does not divide evenly"),
    ],
)
def test_tpu_num_nodes_errors(slices: Any, topology: str, chips_per_host: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        get_tpu_num_nodes(slices, topology, chips_per_host)
