"""A loopback HTTP server for faults a real API server cannot produce on demand.

Each route answers one way: slowly, with 429 and Retry-After, with a body that is not JSON, or by
closing the connection. Only for tests; binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    server: "FaultServer"

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.paths.append(self.path)
        mode = self.server.mode
        if mode == "slow":
            time.sleep(self.server.delay)
            self._send(200, b'{"kind":"List","items":[]}')
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
        elif mode == "garbage":
            self._send(200, b"<html>this is not the API server</html>")
        elif mode == "hangup":
            self.connection.close()
        else:
            self._send(200, b'{"kind":"List","items":[]}')


class FaultServer(ThreadingHTTPServer):
    """``with FaultServer("slow", delay=2) as s: ... s.url ...``"""

    daemon_threads = True

    def __init__(self, mode: str, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.delay = delay
        self.paths: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234``."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FaultServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
