"""Shutdown says what it is doing, and a second signal stops the server at once."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import httpx

from tests.servers import ChildServer


def _wait_for_line(server: ChildServer, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in line for line in server.output):
        assert time.monotonic() < deadline, f"never printed {text!r}:\n" + "".join(server.output)
        assert server.process.poll() is None, "exited before printing " + repr(text)
        time.sleep(0.02)


def test_sigterm_says_each_step_and_stops_cleanly(tmp_path: Path) -> None:
    server = ChildServer.start(tmp_path / "data")
    assert httpx.get(f"{server.api}/healthz").status_code == 200
    assert server.terminate() == 0
    said = "".join(server.output)
    for step in ("SIGTERM: shutting down", "stopping the listeners", "closing the store", "store closed"):
        assert step in said, said


def test_a_second_signal_exits_at_once(tmp_path: Path) -> None:
    # A request whose body never comes holds the HTTP listener's shutdown (up to its grace).
    server = ChildServer.start(tmp_path / "data", env={"TRACECHAT_BODY_TIMEOUT_S": "300"})
    stalled = socket.create_connection(("127.0.0.1", server.ports.otlp_http))
    with stalled:
        stalled.sendall(
            b"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n"
            b"Content-Length: 1000\r\n\r\n\n\x00"
        )
        time.sleep(0.2)  # the request reaches the application, which waits for the rest
        server.process.send_signal(signal.SIGINT)
        _wait_for_line(server, "stopping the listeners")
        assert any("requests in flight (OTLP/HTTP 1" in line for line in server.output), "".join(server.output)
        server.process.send_signal(signal.SIGINT)
        assert server.wait(30) == 128 + signal.SIGINT
    assert any("SIGINT again: exiting at once" in line for line in server.output)
    restarted = ChildServer.start(tmp_path / "data")  # the store opens after it
    assert httpx.get(f"{restarted.api}/healthz").status_code == 200
    assert restarted.terminate() == 0
