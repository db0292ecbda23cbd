"""Attacks on the network edges and on the server's resources (issue 14): each reproduces the
attack as the review ran it, smaller but of the same shape, on loopback."""

from __future__ import annotations

import gzip
import select
import socket
import time
from pathlib import Path

import httpx
from google.rpc import status_pb2

from tests.servers import InProcessServer, settings_for_test

EMPTY_MEMBER = gzip.compress(b"", mtime=0)  # 20 bytes


def _raw_post(port: int, path: str, body: bytes, headers: dict[str, str]) -> socket.socket:
    """A request written whole onto a socket; its answer is left to read."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return sock


def _answered(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


def _status_line(sock: socket.socket) -> str:
    sock.settimeout(120)
    return sock.makefile("rb").readline().decode()


def test_a_gzip_member_bomb_is_refused_at_once(server: InProcessServer) -> None:
    bomb = EMPTY_MEMBER * 300_000  # 6 MB; took 23 s on the event loop, /healthz waiting
    response = httpx.post(
        f"{server.otlp_http}/v1/traces",
        content=bomb,
        headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
        timeout=120,
    )
    assert response.status_code == 400
    assert "more than 100 gzip members" in status_pb2.Status.FromString(response.content).message
    assert httpx.get(f"{server.api}/healthz").status_code == 200


def test_inflating_runs_beside_the_event_loop(tmp_path: Path) -> None:
    # With no member cap, 3 million members take seconds to inflate even linearly: /healthz
    # must answer, again and again, while that body is still being inflated.
    server = InProcessServer(settings_for_test(tmp_path / "data", max_gzip_members=10**9))
    try:
        bomb = _raw_post(
            server.ports.otlp_http,
            "/v1/traces",
            EMPTY_MEMBER * 3_000_000,
            {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
        )
        with bomb:
            time.sleep(0.5)  # the server reads the 60 MB body and starts inflating it
            for _ in range(10):
                assert httpx.get(f"{server.api}/healthz", timeout=60).status_code == 200
            assert not _answered(bomb), "the bomb was answered first: /healthz waited for it"
            assert _status_line(bomb).split()[1] in ("400", "413")
    finally:
        server.stop()
