"""A loopback HTTP server for faults a real API server cannot produce on demand.

Each mode answers one way: slowly, with 429 and Retry-After, with a body that is not JSON, by
closing the connection, or ("api") as an API server with TrainJob "job" and its running pod,
whose TrainJob watch and followed log each drop once mid-stream. Only for tests; binds 127.0.0.1
on a free port.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# The "logs" mode's container log: (timestamp, text). Several lines share a second and two share
# a timestamp, so a resume from a whole-second sinceTime must drop repeats line by line.
LOG_LINES = [
    ("2026-01-01T10:00:00.100000000Z", "line 1"),
    ("2026-01-01T10:00:01.100000000Z", "line 2"),
    ("2026-01-01T10:00:01.200000000Z", "line 3"),
    ("2026-01-01T10:00:01.200000000Z", "line 4"),
    ("2026-01-01T10:00:01.300000000Z", "line 5"),
    ("2026-01-01T10:00:02.100000000Z", "line 6"),
]
LOG_DROP_AFTER = 4  # the first follow request is cut after this many lines


class _Handler(BaseHTTPRequestHandler):
    server: FaultServer
    protocol_version = "HTTP/1.1"  # chunked streams (followed logs) need it

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _client_gone_within(self, seconds: float) -> bool:
        """Waits up to ``seconds``; True as soon as the client closed its connection."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable and not self.connection.recv(1, 0x02):  # MSG_PEEK: EOF means gone
                return True
        return False

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        self.server.headers_seen.append(dict(self.headers))
        mode = self.server.mode
        if mode == "slow":
            if self._client_gone_within(self.server.delay):
                self.server.abandoned += 1
                return
            self._send(200, b'{"kind":"List","items":[]}')
        elif mode == "api":
            self._api()
        elif mode == "throttle":
            status = {
                "kind": "Status",
                "status": "Failure",
                "message": "too many requests, please try again later",
                "reason": "TooManyRequests",
                "code": 429,
                "details": {"retryAfterSeconds": 5},
            }
            self._send(429, json.dumps(status).encode(), {"Retry-After": "5"})
        elif mode == "odd-status":  # a Status whose fields have unexpected JSON types
            status = {
                "kind": "Status",
                "message": 42,
                "reason": ["x"],
                "code": 418,
                "details": {"causes": ["not-an-object", {"field": 7}]},
            }
            self._send(418, json.dumps(status).encode())
        elif mode == "odd-object":  # valid JSON, but "spec" is not an object
            self._send(
                200, b'{"kind":"TrainJob","metadata":{"name":"job"},"spec":"oops","items":[]}'
            )
        elif mode == "garbage":
            self._send(200, b"<html>this is not the API server</html>")
        elif mode == "hangup":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self._send(200, b'{"kind":"List","items":[]}')

    def do_POST(self) -> None:
        self.server.paths.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._send(201, b'{"metadata":{"name":"x"}}')

    # ---- "api" mode: just enough of an API server for watch_job and follow_job_logs -------

    @staticmethod
    def _trainjob(version: str, complete: bool = False) -> dict:
        conditions = [{"type": "Complete", "status": "True"}] if complete else []
        return {
            "apiVersion": "trainer.kubeflow.org/v1alpha1",
            "kind": "TrainJob",
            "metadata": {
                "name": "job",
                "namespace": "team-a",
                "resourceVersion": version,
                "creationTimestamp": "2026-01-01T10:00:00Z",
            },
            "spec": {"runtimeRef": {"name": "torch-distributed", "kind": "ClusterTrainingRuntime"}},
            "status": {"conditions": conditions},
        }

    def _start_chunked(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _watch(self, path: str) -> None:
        self._start_chunked()
        if path.endswith("/trainjobs"):
            first = self.server.watch_requests == 0
            self.server.watch_requests += 1
            if first:  # one change, then the connection is cut (an API server restart)
                event = {"type": "MODIFIED", "object": self._trainjob("2")}
                self._chunk(json.dumps(event).encode() + b"\n")
                self.close_connection = True
                return
            event = {"type": "MODIFIED", "object": self._trainjob("3", complete=True)}
            self._chunk(json.dumps(event).encode() + b"\n")
        self._client_gone_within(60.0)  # a quiet watch stays open until the client leaves
        self.close_connection = True

    def _api(self) -> None:
        path = urlsplit(self.path)
        query = parse_qs(path.query)
        if query.get("watch") == ["1"]:
            self._watch(path.path)
        elif path.path.endswith("/trainjobs/job"):
            self._send(200, json.dumps(self._trainjob("1")).encode())
        elif path.path.endswith("/pods"):
            pod = {
                "metadata": {
                    "name": "job-node-0-0-abc",
                    "namespace": "team-a",
                    "labels": {
                        "jobset.sigs.k8s.io/jobset-name": "job",
                        "jobset.sigs.k8s.io/replicatedjob-name": "node",
                        "batch.kubernetes.io/job-completion-index": "0",
                    },
                },
                "spec": {"containers": [{"name": "node", "image": "x"}]},
                "status": {"phase": "Running"},
            }
            self._send(
                200,
                json.dumps(
                    {"kind": "PodList", "metadata": {"resourceVersion": "1"}, "items": [pod]}
                ).encode(),
            )
        elif path.path.endswith("/log"):
            self._follow_log(query)
        else:
            status = {
                "kind": "Status",
                "status": "Failure",
                "reason": "NotFound",
                "code": 404,
                "message": "not found",
            }
            self._send(404, json.dumps(status).encode())

    def _follow_log(self, query: dict) -> None:
        since = query.get("sinceTime", [""])[0]
        first = self.server.log_requests == 0
        self.server.log_requests += 1
        self._start_chunked()
        # Like the kubelet: sinceTime has whole seconds and includes that second.
        lines = [(t, x) for t, x in LOG_LINES if not since or t[:19] >= since[:19]]
        if first:
            lines = lines[:LOG_DROP_AFTER]
        for stamp, text in lines:
            self._chunk(f"{stamp} {text}\n".encode())
        if first:  # cut without the last chunk, as a restarting API server does
            self.close_connection = True
            return
        self.wfile.write(b"0\r\n\r\n")


class FaultServer(ThreadingHTTPServer):
    """``with FaultServer("slow", delay=2) as s: ... s.url ...``"""

    daemon_threads = True

    def __init__(self, mode: str, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.delay = delay
        self.paths: list[str] = []
        self.headers_seen: list[dict[str, str]] = []
        self.abandoned = 0  # "slow" requests whose client hung up before the answer
        self.log_requests = 0
        self.watch_requests = 0  # TrainJob watches ("api" mode)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234``."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
