"""A fault-injecting HTTPS proxy in front of the real test API server.

It terminates TLS with the API server's own serving certificate (so clients verify it against the
cluster's CA as usual), forwards each request to the real server with the client's headers (use a
token kubeconfig: a client certificate cannot be forwarded), and applies scripted faults on the
way: answer a status without forwarding, forward and then drop the answer (a lost response),
delay, stall (hold the connection open and send nothing, before the answer or mid-body), truncate
the body (a promised Content-Length, or a chunked body, cut short, then close), or reset the
connection (TCP RST) mid-body. Mid-body faults strike after ``after_lines`` complete lines plus
``after_bytes`` bytes of the answer's body have passed (for a watch, lines are events; for a
followed log, log lines), so a test knows exactly what the client had received. Streams (watch,
follow) pass through chunk by chunk. Only for tests; binds 127.0.0.1.

    with FaultProxy(cluster) as proxy:
        proxy.inject("POST", "/trainjobs", lose_response=True)
        kubeconfig = proxy.kubeconfig(cluster.token_kubeconfig, tmp_path / "k")
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}


@dataclass
class Fault:
    """One scripted fault for requests whose method matches, whose path contains ``path`` and
    whose query contains ``query`` (e.g. "watch=1" or "follow=true" for the streams only)."""

    method: str
    path: str
    times: int = 1
    query: str = ""
    status: int | None = None  # answer this status without forwarding
    body: bytes | None = None  # the answer's body (default: a failure Status)
    retry_after: str | None = None
    lose_response: bool = False  # forward, then close the connection without answering
    delay: float = 0.0  # wait this long before handling
    stall: float = 0.0  # forward, then send nothing for this long with the connection open
    truncate: bool = False  # cut the body short and close (Content-Length kept if not a stream)
    reset: bool = False  # cut the body short with a TCP RST instead of a close
    after_lines: int = 0  # where a mid-body stall, truncate or reset strikes: after these lines
    after_bytes: int | None = None  # ... plus these bytes; None: before the answer's headers

    @property
    def mid_body(self) -> bool:
        return self.after_bytes is not None or self.after_lines > 0


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
                self._hang_up()
                return
            if fault and fault.stall and not fault.mid_body:
                proxy._record(self.command, self.path, f"stalled {response.status}")
                self._stall(fault.stall)
                return
            proxy._record(self.command, self.path, f"{outcome} {response.status}")
            self._relay(response, fault if fault and fault.mid_body else None)
        except OSError:
            self.close_connection = True
        finally:
            upstream.close()

    def _relay(self, response: http.client.HTTPResponse, fault: Fault | None) -> None:
        """Sends the answer on, chunk by chunk; `fault` strikes at its place in the body."""
        is_stream = "watch=1" in self.path or "follow=true" in self.path
        keep_length = fault is not None and fault.truncate and not is_stream
        whole = response.read() if keep_length else b""
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        if keep_length:
            self.send_header("Content-Length", str(len(whole)))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if keep_length:
            assert fault is not None
            self.wfile.write(whole[: _strike_at(whole, fault) or len(whole) // 2])
            self.wfile.flush()
            self.server.proxy._record(self.command, self.path, _struck(fault))
            self._hang_up()
            return
        passed = b""  # what went through, to find the fault's place
        while chunk := response.read1(65536):
            at = _strike_at(passed + chunk, fault) if fault else None
            if at is not None and fault is not None:
                part = chunk[: max(at - len(passed), 0)]
                # The chunk is announced whole and sent in part: a chunked body cut short.
                self.wfile.write(b"%x\r\n%s" % (len(chunk), part))
                self.wfile.flush()
                self.server.proxy._record(self.command, self.path, _struck(fault))
                if fault.stall:
                    self._stall(fault.stall)
                elif fault.reset:
                    self._reset()
                else:
                    self._hang_up()
                return
            passed += chunk
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def _stall(self, seconds: float) -> None:
        """Keeps the connection open and silent for `seconds` or until the client leaves;
        records which, and after how long, in ``stall_endings``."""
        self.wfile.flush()
        start = time.monotonic()
        end = start + seconds
        ending = "ran its course"
        while time.monotonic() < end and not self.server.proxy._closed:
            if not select.select([self.connection], [], [], 0.1)[0]:
                continue
            try:
                if self.connection.recv(65536) == b"":
                    ending = "abandoned by the client"
                    break
            except ssl.SSLWantReadError:
                continue
            except OSError:
                ending = "abandoned by the client"
                break
        with self.server.proxy._lock:
            self.server.proxy.stall_endings.append((ending, time.monotonic() - start))
        self._hang_up()

    def _hang_up(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _reset(self) -> None:
        """Closes with a TCP RST (SO_LINGER 0): the client reads "connection reset"."""
        self.close_connection = True
        raw = self.connection
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # Close the socket itself, not the TLS layer, so no close_notify goes out first.
        socket.socket(fileno=raw.detach()).close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


def _strike_at(data: bytes, fault: Fault) -> int | None:
    """Offset in `data` where `fault` strikes, or None when `data` does not reach it yet."""
    at = 0
    for _ in range(fault.after_lines):
        newline = data.find(b"\n", at)
        if newline < 0:
            return None
        at = newline + 1
    at += fault.after_bytes or 0
    return at if at <= len(data) else None


def _struck(fault: Fault) -> str:
    what = "stalled" if fault.stall else "reset" if fault.reset else "truncated"
    return f"{what} after {fault.after_lines} lines + {fault.after_bytes or 0} bytes"


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
        self._closed = False
        self.log: list[tuple[str, str, str]] = []
        self.fault_times: list[float] = []  # time.monotonic() of each fault, as it struck
        # ("abandoned by the client" or "ran its course", seconds the stall lasted)
        self.stall_endings: list[tuple[str, float]] = []

    def __enter__(self) -> FaultProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True  # ends stalls
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
                route, _, query = path.partition("?")
                if fault.method == method and fault.path in route and fault.query in query:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _record(self, method: str, path: str, outcome: str) -> None:
        with self._lock:
            self.log.append((method, path, outcome))
            if not outcome.startswith("forwarded"):
                self.fault_times.append(time.monotonic())
