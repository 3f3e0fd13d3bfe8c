"""A fault-injecting HTTPS proxy in front of the real test API server.

It terminates TLS with the API server's own serving certificate (so clients verify it against the
cluster's CA as usual), forwards each request to the real server with the client's headers (use a
token kubeconfig: a client certificate cannot be forwarded), and applies scripted faults on the
way: answer a status without forwarding, forward and then drop the answer (a lost response), or
delay. Streams (watch, follow) pass through chunk by chunk. Only for tests; binds 127.0.0.1.

    with FaultProxy(cluster) as proxy:
        proxy.inject("POST", "/trainjobs", lose_response=True)
        kubeconfig = proxy.kubeconfig(cluster.token_kubeconfig, tmp_path / "k")
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}


@dataclass
class Fault:
    """One scripted fault for requests whose method matches and whose path contains ``path``."""

    method: str
    path: str
    times: int = 1
    status: int | None = None  # answer this status without forwarding
    body: bytes | None = None  # the answer's body (default: a failure Status)
    retry_after: str | None = None
    lose_response: bool = False  # forward, then close the connection without answering
    delay: float = 0.0  # wait this long before handling


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _handle(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = proxy._take_fault(self.command, self.path)
        outcome = "forwarded"
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status is not None:
            outcome = f"answered {fault.status}"
            proxy._record(self.command, self.path, outcome)
            payload = fault.body or (
                b'{"kind":"Status","apiVersion":"v1","status":"Failure","code":%d}' % fault.status
            )
            self.send_response(fault.status)
            if fault.retry_after is not None:
                self.send_header("Retry-After", fault.retry_after)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        upstream = http.client.HTTPSConnection(
            proxy.upstream_host, proxy.upstream_port, context=proxy.upstream_tls, timeout=300
        )
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Accept-Encoding"] = "identity"  # the proxy re-frames, so no gzip
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            if fault and fault.lose_response:
                response.read()
                proxy._record(self.command, self.path, f"lost {response.status}")
                self.close_connection = True
                self.connection.shutdown(2)
                return
            proxy._record(self.command, self.path, f"{outcome} {response.status}")
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while chunk := response.read1(65536):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True
        finally:
            upstream.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultProxy


class FaultProxy:
    """The proxy; ``log`` lists (method, path, outcome) for every request it saw."""

    def __init__(self, cluster) -> None:
        pki = Path(cluster.state_dir) / "pki"
        host_port = cluster.server.split("://", 1)[1]
        host, port = host_port.rsplit(":", 1)
        self.upstream_host, self.upstream_port = host, int(port)
        self.upstream_tls = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        serving.load_cert_chain(str(pki / "apiserver.crt"), str(pki / "apiserver.key"))
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.socket = serving.wrap_socket(self._server.socket, server_side=True)
        self._server.proxy = self
        self.port: int = self._server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.log: list[tuple[str, str, str]] = []

    def __enter__(self) -> FaultProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def inject(self, method: str, path: str, **fault) -> None:
        """Adds a fault for the next ``times`` requests matching ``method`` and ``path``."""
        with self._lock:
            self._faults.append(Fault(method, path, **fault))

    def clear(self) -> None:
        """Drops the faults not used up yet."""
        with self._lock:
            self._faults.clear()

    def kubeconfig(self, base: str, path: Path, namespace: str | None = None) -> str:
        """``base`` with its server pointing at the proxy."""
        config = yaml.safe_load(Path(base).read_text())
        for entry in config["clusters"]:
            entry["cluster"]["server"] = self.url
        if namespace:
            config["contexts"][0]["context"]["namespace"] = namespace
        path.write_text(yaml.safe_dump(config))
        return str(path)

    def requests(self, method: str, path: str) -> list[str]:
        """The outcomes of the requests seen with this method and path fragment."""
        with self._lock:
            return [o for m, p, o in self.log if m == method and path in p.split("?")[0]]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method == method and fault.path in path.split("?")[0]:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _record(self, method: str, path: str, outcome: str) -> None:
        with self._lock:
            self.log.append((method, path, outcome))
