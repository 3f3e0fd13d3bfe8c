"""A stand-in kubelet that serves container logs to the real test API server.

The test control plane has no kubelet, so the API server answers a log request for a pod with an
empty body (there is no node to ask). This serves the one kubelet endpoint the API server calls
for ``pods/<pod>/log`` (``GET /containerLogs/<ns>/<pod>/<container>``, with ``follow``,
``timestamps`` and ``sinceTime``) for pods bound to a Node object that points at it; the client
talks to the real API server, which proxies the log from here. So log faults can be injected
between the client and the API server (tests/support/fault_proxy.py) on a real log path.

    with LogKubelet(cluster) as kubelet:
        kubelet.add_log(namespace, pod, "node", lines=20, interval=0.2)
        create_pod(..., node=kubelet.node_name)

A log is numbered lines ("line 0001" ...) written ``interval`` seconds apart from ``add_log``
on; a followed log ends after the last line (the container exited). ``sinceTime`` is applied as
the kubelet does: whole seconds, that second included; ``sinceSeconds`` and ``tailLines`` too
(the tail of what is written at the time of the request), and ``previous=true`` serves the log
added with ``previous=True`` (the container's run before a restart). ``add_endless`` serves a
log that never ends, as fast as the client reads it, for memory tests. TLS uses the API
server's serving certificate (the API server does not verify a kubelet's certificate unless
told to, and this control plane does not tell it). Only for tests; binds 127.0.0.1.
"""

from __future__ import annotations

import secrets
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass
class _Endless:
    first_line: int  # bytes of a first line that arrives without its newline for that long
    line_bytes: int  # bytes of each following line


@dataclass
class _Log:
    start: float  # time.time() of the first line
    lines: int
    interval: float
    pause_after: int  # a quiet spell of `pause` seconds follows this line (0: none)
    pause: float

    def written(self, now: float) -> int:
        """How many lines exist at ``now``."""
        return sum(1 for i in range(self.lines) if self.line(i)[0] <= now)

    def line(self, i: int) -> tuple[float, str]:
        quiet = self.pause if self.pause_after and i >= self.pause_after else 0.0
        return self.start + i * self.interval + quiet, f"line {i + 1:04d}"


def _stamp(when: float) -> str:
    moment = datetime.fromtimestamp(when, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        query = parse_qs(url.query)
        kubelet = self.server.kubelet
        previous = query.get("previous") == ["true"]
        with kubelet.lock:
            kubelet.requests.append(self.path)
            key = (*parts[1:4], previous)
            log = kubelet.logs.get(key) if parts[0] == "containerLogs" else None
            endless = kubelet.endless.get(key) if parts[0] == "containerLogs" else None
        if endless is not None:
            self._serve_endless(endless)
            return
        if log is None:
            body = b"not found"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        follow = query.get("follow") == ["true"]
        stamps = query.get("timestamps") == ["true"]
        since = query.get("sinceTime", [""])[0]
        since_second = (
            datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp() if since else 0.0
        )
        now = time.time()
        if "sinceSeconds" in query:
            since_second = max(since_second, now - int(query["sinceSeconds"][0]))
        first = 0
        if "tailLines" in query:
            first = max(0, log.written(now) - int(query["tailLines"][0]))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for i in range(first, log.lines):
                when, text = log.line(i)
                if when < since_second if "sinceSeconds" in query else int(when) < since_second:
                    continue
                if when > time.time():
                    if not follow:
                        break
                    time.sleep(when - time.time())
                data = (f"{_stamp(when)} {text}\n" if stamps else f"{text}\n").encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True

    def _serve_endless(self, log: _Endless) -> None:
        """Lines for ever, in big chunks: the client's reading speed is the only limit."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        try:
            send(f"{_stamp(time.time())} ".encode())
            block = b"x" * 65536
            for _ in range(log.first_line // len(block)):
                send(block)
            send(b"\n")
            number = 0
            while True:
                stamp = _stamp(time.time()).encode()
                lines = []
                for _ in range(256):
                    number += 1
                    head = b"%s endless %d " % (stamp, number)
                    lines.append(head + b"y" * max(0, log.line_bytes - len(head) - 1) + b"\n")
                send(b"".join(lines))
        except OSError:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    kubelet: LogKubelet


class LogKubelet:
    """Serves logs on 127.0.0.1; ``node_name`` is the Node that routes the API server here."""

    def __init__(self, cluster) -> None:
        pki = Path(cluster.state_dir) / "pki"
        self._kube = cluster.kube
        self._server = _Server(("127.0.0.1", 0), _Handler)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(str(pki / "apiserver.crt"), str(pki / "apiserver.key"))
        self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._server.kubelet = self
        self.port: int = self._server.server_address[1]
        self.node_name = f"kubeflow-test-logs-{secrets.token_hex(3)}"
        self.lock = threading.Lock()
        self.logs: dict[tuple[str, str, str, bool], _Log] = {}
        self.endless: dict[tuple[str, str, str, bool], _Endless] = {}
        self.requests: list[str] = []  # the kubelet paths the API server asked for

    def __enter__(self) -> LogKubelet:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": self.node_name, "labels": {"kubeflow-test": "logs"}},
            "status": {
                "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": self.port}},
            },
        }
        self._kube.create("/api/v1/nodes", node)
        return self

    def __exit__(self, *exc: object) -> None:
        self._kube.delete(f"/api/v1/nodes/{self.node_name}", missing_ok=True)
        self._server.shutdown()
        self._server.server_close()

    def add_log(
        self,
        namespace: str,
        pod: str,
        container: str,
        lines: int,
        interval: float,
        pause_after: int = 0,
        pause: float = 0.0,
        previous: bool = False,
        start: float | None = None,
    ) -> None:
        """The log of ``container``: ``lines`` numbered lines, ``interval`` s apart from
        ``start`` (default: now), with a quiet spell of ``pause`` s after line ``pause_after``
        (the program is silent). ``previous``: the log of the run before a restart."""
        with self.lock:
            self.logs[(namespace, pod, container, previous)] = _Log(
                time.time() if start is None else start, lines, interval, pause_after, pause
            )

    def add_endless(
        self, namespace: str, pod: str, container: str, first_line: int, line_bytes: int
    ) -> None:
        """A log that never ends: a first line of about ``first_line`` bytes, then lines of
        ``line_bytes`` bytes ("<stamp> endless <n> yyy..."), sent as fast as they are read."""
        with self.lock:
            self.endless[(namespace, pod, container, False)] = _Endless(first_line, line_bytes)

    def expected(
        self, namespace: str, pod: str, container: str, previous: bool = False
    ) -> list[str]:
        """Every line of that log, in order: what a follow must yield, exactly."""
        log = self.logs[(namespace, pod, container, previous)]
        return [log.line(i)[1] for i in range(log.lines)]
