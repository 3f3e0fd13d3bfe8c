"""Loopback ports of the test clusters: free ports to listen on, and the sockets that listen
(from /proc/net; a process's own via processes.socket_inodes), to prove all are on loopback."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

from .processes import socket_inodes


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free on 127.0.0.1 right now (another process may take one before
    it is used: callers retry on "address already in use")."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def decode_address(hex_addr: str) -> str:
    """The IP address of a /proc/net/{tcp,udp}[6] address column."""
    raw = bytes.fromhex(hex_addr)
    # /proc/net prints each 32-bit word in host (little-endian) byte order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def listening_sockets(pids: list[int] | None = None) -> list[dict]:
    """TCP sockets in LISTEN state and bound UDP sockets, from /proc/net/{tcp,tcp6,udp,udp6}.
    With `pids`, only the sockets owned by those processes."""
    wanted = None
    if pids is not None:
        wanted = {}
        for pid in pids:
            for inode in socket_inodes(pid):
                wanted[inode] = pid
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            local, state, inode = cols[1], cols[3], int(cols[9])
            addr_hex, port_hex = local.split(":")
            port = int(port_hex, 16)
            if proto.startswith("tcp") and state != "0A":
                continue
            if proto.startswith("udp") and port == 0:
                continue
            if wanted is not None and inode not in wanted:
                continue
            found.append(
                {
                    "proto": proto,
                    "address": decode_address(addr_hex),
                    "port": port,
                    "inode": inode,
                    "pid": wanted.get(inode) if wanted else None,
                }
            )
    return found


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and their IPv4-mapped forms."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback
