"""A loopback TCP proxy that can cut every connection, to test reconnects against a real server.

``with TcpProxy(("127.0.0.1", 6443)) as proxy: ... proxy.port ... proxy.cut(refuse_for=2.0)``.
TLS passes through untouched (the client still verifies the server's certificate). With
``http_connect=True`` it is an HTTP CONNECT proxy instead (what ``proxy-url`` and
``HTTPS_PROXY`` name): it answers the CONNECT, records the requested host:port in
``connect_targets`` and tunnels to ``target``. Only for tests; binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import socket
import threading
import time


class TcpProxy:
    """Forwards <listen_host>:<port> to ``target``; ``cut`` closes all live connections.

    ``listen_host`` is another loopback address (127.0.0.2, ...) when a test needs an address
    the API server's certificate does not name.
    """

    def __init__(
        self, target: tuple[str, int], http_connect: bool = False, listen_host: str = "127.0.0.1"
    ) -> None:
        self.target = target
        self.http_connect = http_connect
        self.connect_targets: list[str] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((listen_host, 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._refuse_until = 0.0
        self._closed = False
        self.connections = 0  # accepted and forwarded, for the tests' assertions
        self.cuts = 0

    def __enter__(self) -> TcpProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        self._listener.close()
        self.cut()

    def cut(self, refuse_for: float = 0.0) -> None:
        """Closes every proxied connection (like an API server restart) and, for
        ``refuse_for`` seconds, drops new ones at once."""
        with self._lock:
            self._refuse_until = time.monotonic() + refuse_for
            sockets, self._sockets = self._sockets, set()
            self.cuts += 1
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if time.monotonic() < self._refuse_until:
                client.close()
                continue
            if self.http_connect and not self._answer_connect(client):
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
                self.connections += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _answer_connect(self, client: socket.socket) -> bool:
        """Reads ``CONNECT host:port HTTP/1.1`` and its headers; True once answered 200."""
        client.settimeout(10)
        request = b""
        try:
            while b"\r\n\r\n" not in request and len(request) < 65536:
                chunk = client.recv(4096)
                if not chunk:
                    return False
                request += chunk
            words = request.split(b"\r\n", 1)[0].decode("latin-1").split()
            if len(words) != 3 or words[0] != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return False
            with self._lock:
                self.connect_targets.append(words[1])
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        except OSError:
            return False
        client.settimeout(None)
        return True

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
