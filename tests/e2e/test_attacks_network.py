"""Attacks on the network edges and on the server's resources (issue 14): each reproduces the
attack as the review ran it, smaller but of the same shape, on loopback."""

from __future__ import annotations

import gzip
import json
import os
import select
import socket
import time
from pathlib import Path

import grpc
import httpx
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.scripted_models import ScriptedModels
from tests.servers import ChildServer, InProcessServer, settings_for_test
from tracechat.auth.keys import KeyRing

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
EXPORT_TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
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
    # With no member cap (and a long time bound), 3 million members take ~15 s to inflate
    # even linearly: /healthz must answer, again and again, while that body is inflated.
    server = InProcessServer(settings_for_test(tmp_path / "data", max_gzip_members=10**9, decompress_max_s=120))
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
            # Empty members inflate to an empty (valid) request: 200 if done within the bound.
            assert _status_line(bomb).split()[1] in ("200", "413")
    finally:
        server.stop()


def _until_closed(sock: socket.socket, timeout: float = 60) -> bytes:
    """Everything the server writes until it closes the connection (the test waits on that)."""
    sock.settimeout(timeout)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    return received


def _export_grpc(endpoint: str) -> None:
    with grpc.insecure_channel(endpoint) as channel:
        export = channel.unary_unary(EXPORT_TRACES)
        export(ExportTraceServiceRequest().SerializeToString(), timeout=10, wait_for_ready=True)


def test_idle_connections_leave_every_listener_answering(tmp_path: Path) -> None:
    # 256 descriptors for the whole server (the review's 1,024, scaled down): 150 idle sockets
    # on each listener would take all of them. Each listener keeps its share, closes the
    # longest idle connection for a new one, and closes silent ones after the header timeout.
    server = ChildServer.start(tmp_path / "data", env={"TRACECHAT_HEADER_TIMEOUT_S": "2"}, open_files=256)
    idle: list[socket.socket] = []
    try:
        for port in (server.ports.grpc, server.ports.api, server.ports.otlp_http):
            idle += [socket.create_connection(("127.0.0.1", port)) for _ in range(150)]
        assert httpx.get(f"{server.api}/healthz", timeout=30).status_code == 200
        empty = ExportTraceServiceRequest().SerializeToString()
        exported = httpx.post(f"{server.otlp_http}/v1/traces", content=empty, headers=PROTOBUF, timeout=30)
        assert exported.status_code == 200
        _export_grpc(server.grpc_endpoint)
        for sock in idle:  # each closed by the server: evicted at once, or after 2 s of silence
            assert b"200 OK" not in _until_closed(sock, timeout=30)
        assert server.process.poll() is None
        assert any("open-file limit 256" in line for line in server.output)
    finally:
        for sock in idle:
            sock.close()
        server.terminate()


def test_oversized_headers_are_431_and_healthz_answers(server: InProcessServer) -> None:
    sock = socket.create_connection(("127.0.0.1", server.ports.api))
    with sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        sent = 0
        try:
            while sent < 16 * 1024 * 1024:  # the review's 128 MiB, scaled down
                sock.sendall(b"a" * 65536)
                sent += 65536
            sock.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed by the server before the header ended, as it should be
        answer = _until_closed(sock)
    assert sent < 16 * 1024 * 1024 or answer.startswith(b"HTTP/1.1 431"), answer[:100]
    assert httpx.get(f"{server.api}/healthz").status_code == 200
    # Headers just under the limit pass, and a large body in the same write is not counted.
    fits = httpx.get(f"{server.api}/healthz", headers={"X-Fill": "b" * 60_000})
    assert fits.status_code == 200
    body = _request_bytes(2000)
    big = _raw_post(server.ports.otlp_http, "/v1/traces", body, PROTOBUF)
    with big:
        assert _status_line(big).split()[1] == "200"


def test_a_stalled_body_is_closed_after_the_body_timeout(tmp_path: Path) -> None:
    server = InProcessServer(settings_for_test(tmp_path / "data", body_timeout_s=1, header_timeout_s=1))
    try:
        stalled = socket.create_connection(("127.0.0.1", server.ports.otlp_http))
        silent = socket.create_connection(("127.0.0.1", server.ports.api))
        with stalled, silent:
            head = "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n"
            stalled.sendall(f"{head}Content-Length: 1000\r\n\r\n".encode() + b"\n\x00")
            assert _until_closed(stalled) == b""
            assert _until_closed(silent).startswith(b"HTTP/1.1 408")
        assert httpx.get(f"{server.api}/healthz").status_code == 200
    finally:
        server.stop()


def _request_bytes(spans: int) -> bytes:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    for n in range(spans):
        span = scope.spans.add(trace_id=b"\x01" * 16, span_id=n.to_bytes(8, "big"), name="s" * 500)
        span.start_time_unix_nano, span.end_time_unix_nano = 1, 2
    return request.SerializeToString()


def _peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])


def _send_body(port: int, head: str, size: int, chunked: bool = False) -> bytes:
    """Write ``size`` bytes of body after ``head`` until done or the server stops reading;
    then what the server answered."""
    sock = socket.create_connection(("127.0.0.1", port))
    with sock:
        sock.sendall(head.encode())
        piece = b"x" * (1 << 20)
        try:
            for _ in range(size // len(piece)):
                sock.sendall(b"100000\r\n" + piece + b"\r\n" if chunked else piece)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        return _until_closed(sock)


def test_oversized_api_bodies_are_refused_while_reading(tmp_path: Path) -> None:
    # Four unauthenticated 384 MiB POST /api/v1/chat took the server from 0.25 to 2.9 GB.
    key = KeyRing(tmp_path / "data" / "keys.json").create(project="shop", admin=False)
    server = ChildServer.start(tmp_path / "data")
    try:
        before = _peak_rss_kb(server.process.pid)
        chat = "POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        unauthenticated = _send_body(server.ports.api, f"{chat}Content-Length: {256 << 20}\r\n\r\n", 256 << 20)
        assert unauthenticated.startswith(b"HTTP/1.1 401"), unauthenticated[:200]
        authorized = f"{chat}Authorization: Bearer {key.token}\r\n"
        declared = _send_body(server.ports.api, f"{authorized}Content-Length: {256 << 20}\r\n\r\n", 256 << 20)
        assert declared.startswith(b"HTTP/1.1 413"), declared[:200]
        streamed = _send_body(server.ports.api, f"{authorized}Transfer-Encoding: chunked\r\n\r\n", 64 << 20, True)
        assert streamed.startswith(b"HTTP/1.1 413"), streamed[:200]
        assert b"payload_too_large" in streamed
        grown_mb = (_peak_rss_kb(server.process.pid) - before) / 1024
        assert grown_mb < 64, f"the server grew by {grown_mb:.0f} MB reading bodies it refused"
        assert httpx.get(f"{server.api}/healthz").status_code == 200
        small = httpx.post(
            f"{server.api}/agents/traces/feedback",
            json={"project_id": "shop", "trace_id": "ab" * 16, "name": "n", "comment": "c" * 1000},
            headers={"Authorization": f"Bearer {key.token}"},
        )
        assert small.status_code == 404  # read whole and answered by the route: no such trace
        large = httpx.post(
            f"{server.api}/agents/traces/feedback",
            json={"project_id": "shop", "trace_id": "ab" * 16, "name": "n", "comment": "c" * (2 << 20)},
            headers={"Authorization": f"Bearer {key.token}"},
        )
        assert large.status_code == 413  # 1 MiB here; the chat routes take 16 MiB (whole histories)
        history = [
            {"id": f"m{n}", "role": "user", "parts": [{"type": "text", "text": "x" * 100_000}]} for n in range(20)
        ]
        long_chat = httpx.post(
            f"{server.api}/api/v1/chat",
            json={"messages": history, "model": "no-such-model"},
            headers={"Authorization": f"Bearer {key.token}"},
        )
        assert long_chat.status_code != 413, long_chat.text
    finally:
        server.terminate()


def _agent_trace(spans: int, long_answer: str = "") -> tuple[str, bytes]:
    """One trace of ``spans`` model calls, each with a little history: work to read. The
    last answer is ``long_answer`` when given."""
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    trace_id, now = os.urandom(16), time.time_ns()
    for n in range(spans):
        span = scope.spans.add(
            trace_id=trace_id,
            span_id=os.urandom(8),
            name=f"chat {n}",
            start_time_unix_nano=now + n * 1000,
            end_time_unix_nano=now + n * 1000 + 500,
        )
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": f"q{n}"}]}]),
            "gen_ai.output.messages": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": _answer(n, spans, long_answer)}]}]
            ),
        }
        for key, value in attributes.items():
            span.attributes.add(key=key).value.string_value = value
    return trace_id.hex(), request.SerializeToString()


def _answer(n: int, spans: int, long_answer: str) -> str:
    return long_answer if long_answer and n == spans - 1 else f"answer {n} " * 20


def _store(server: InProcessServer | ChildServer, body: bytes) -> None:
    response = httpx.post(f"{server.otlp_http}/v1/traces", content=body, headers=PROTOBUF, timeout=120)
    assert response.status_code == 200


def test_a_trace_past_the_read_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    server = InProcessServer(settings_for_test(tmp_path / "data", trajectory_max_spans=1000))
    try:
        trace_id, body = _agent_trace(1001)
        _store(server, body)
        reads = [
            httpx.post(f"{server.api}/agents/traces/chat", json={"project_id": "default", "trace_id": trace_id}),
            httpx.get(f"{server.api}/agents/traces/{trace_id}/spans"),
        ]
        for refused in reads:
            assert refused.status_code == 422
            assert refused.json()["error"]["code"] == "trace_too_large"
            assert "1001 spans, more than the 1000" in refused.json()["error"]["message"]
        no_span = httpx.get(f"{server.api}/agents/traces/content/{trace_id}.{'0' * 16}.{'0' * 32}")
        assert no_span.status_code == 404
        fits_id, fits = _agent_trace(1000)
        _store(server, fits)
        chat = httpx.post(f"{server.api}/agents/traces/chat", json={"project_id": "default", "trace_id": fits_id})
        assert chat.status_code == 200
    finally:
        server.stop()


def test_content_is_read_from_its_span_not_by_rebuilding_the_trace(tmp_path: Path) -> None:
    # Each attachment fetch rebuilt the whole trajectory (a 1,000-image trace: 150 s of
    # server work for one view). Shown here by a trace too large to rebuild at all.
    long_answer = "the whole answer " * 5000  # past the inline limit: a content reference
    trace_id, body = _agent_trace(1001, long_answer)
    reader = InProcessServer(settings_for_test(tmp_path / "data"))
    try:
        _store(reader, body)
        trajectory = httpx.post(
            f"{reader.api}/agents/traces/chat", json={"project_id": "default", "trace_id": trace_id}, timeout=120
        ).json()
        [ref] = [r for m in trajectory["messages"] for r in (m.get("assistant_message") or {}).get("content_refs", [])]
    finally:
        reader.stop()
    bounded = InProcessServer(settings_for_test(tmp_path / "data", trajectory_max_spans=1000))
    try:
        rebuilt = httpx.post(f"{bounded.api}/agents/traces/chat", json={"project_id": "default", "trace_id": trace_id})
        assert rebuilt.status_code == 422
        content = httpx.get(f"{bounded.api}/agents/traces/content/{ref}")
        assert content.status_code == 200
        assert content.text == long_answer
    finally:
        bounded.stop()


def test_slow_readers_leave_health_and_ingest_their_own_capacity(tmp_path: Path) -> None:
    # 45 readers of a large trace: more than the 40 threads the API, /healthz and OTLP/HTTP
    # decoding once shared. /healthz and an export are answered while no read has been.
    server = ChildServer.start(tmp_path / "data")
    readers: list[socket.socket] = []
    try:
        trace_id, body = _agent_trace(3000)
        _store(server, body)
        request = json.dumps({"project_id": "default", "trace_id": trace_id}).encode()
        readers = [_raw_post(server.ports.api, "/agents/traces/chat", request, JSON) for _ in range(45)]
        _wait_for_metric(server, "tracechat_api_reads_in_progress", 45)
        assert httpx.get(f"{server.api}/healthz", timeout=600).status_code == 200
        assert not any(_answered(reader) for reader in readers), "/healthz waited for a read"
        _, small = _agent_trace(5)
        _store(server, small)
        assert not any(_answered(reader) for reader in readers), "the export waited for a read"
        assert [_status_line(reader).split()[1] for reader in readers] == ["200"] * 45
    finally:
        for reader in readers:
            reader.close()
        server.terminate()


def test_reads_whose_client_left_are_cancelled(tmp_path: Path) -> None:
    server = InProcessServer(settings_for_test(tmp_path / "data", read_concurrency=1))
    try:
        trace_id, body = _agent_trace(3000)
        _store(server, body)
        request = json.dumps({"project_id": "default", "trace_id": trace_id}).encode()
        leavers = [_raw_post(server.ports.api, "/agents/traces/chat", request, JSON) for _ in range(10)]
        _wait_for_metric(server, "tracechat_api_reads_in_progress", 10)
        for sock in leavers:
            sock.close()
        _wait_for_metric(server, "tracechat_api_reads_abandoned_total", 10)
        assert _metric(server, "tracechat_api_reads_in_progress") <= 1  # at most the one running
        after = httpx.post(f"{server.api}/agents/traces/chat", content=request, headers=JSON, timeout=120)
        assert after.status_code == 200
    finally:
        server.stop()


def _wait_for_metric(server: InProcessServer | ChildServer, name: str, at_least: float) -> None:
    deadline = time.monotonic() + 120
    while _metric(server, name) < at_least:
        assert time.monotonic() < deadline, f"{name} never reached {at_least}"
        time.sleep(0.02)


def _metric(server: InProcessServer | ChildServer, name: str) -> float:
    text = httpx.get(f"{server.api}/metrics", timeout=60).text
    line = next((line for line in text.splitlines() if line.startswith(name + " ")), None)
    return float(line.split()[1]) if line else 0.0


def test_a_running_read_whose_client_left_is_interrupted(tmp_path: Path) -> None:
    # The read is in its thread (the only one allowed) when its client leaves: it is stopped
    # there, in its DuckDB query or at the next span it turns into facts, and says so.
    server = InProcessServer(settings_for_test(tmp_path / "data", read_concurrency=1))
    left = 'tracechat_api_reads_interrupted_total{reason="client_left"}'
    try:
        trace_id, body = _agent_trace(20_000)
        _store(server, body)
        request = json.dumps({"project_id": "default", "trace_id": trace_id}).encode()
        leaver = _raw_post(server.ports.api, "/agents/traces/chat", request, JSON)
        _wait_for_metric(server, "tracechat_api_reads_in_progress", 1)
        leaver.close()
        _wait_for_metric(server, "tracechat_api_reads_abandoned_total", 1)
        _wait_until_metric_below(server, "tracechat_api_reads_in_progress", 1)
        assert _metric(server, left) == 1  # stopped, not run to its end with the answer dropped
        after = httpx.get(f"{server.api}/agents/traces/{trace_id}/spans", timeout=120)
        assert after.status_code == 200  # the store and the one read slot are free again
        assert len(after.json()["spans"]) == 20_000
    finally:
        server.stop()


def test_a_read_past_its_time_limit_is_stopped_with_504(tmp_path: Path) -> None:
    server = InProcessServer(settings_for_test(tmp_path / "data", read_timeout_s=0.5))  # this read takes seconds
    try:
        trace_id, body = _agent_trace(20_000)
        _store(server, body)
        slow = httpx.post(
            f"{server.api}/agents/traces/chat", json={"project_id": "default", "trace_id": trace_id}, timeout=120
        )
        assert slow.status_code == 504, slow.text[:200]
        assert slow.json()["error"]["code"] == "read_timeout"
        assert "TRACECHAT_READ_TIMEOUT_S" in slow.json()["error"]["message"]
        assert _metric(server, 'tracechat_api_reads_interrupted_total{reason="timeout"}') == 1
    finally:
        server.stop()


def _wait_until_metric_below(server: InProcessServer | ChildServer, name: str, below: float) -> None:
    deadline = time.monotonic() + 120
    while _metric(server, name) >= below:
        assert time.monotonic() < deadline, f"{name} never fell below {below}"
        time.sleep(0.02)


def test_assistant_turns_have_a_capacity_of_their_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Turns hold an API thread for as long as the model talks; past TRACECHAT_CHAT_CONCURRENCY
    # a turn is refused at once, and trace reads and /healthz are answered meanwhile.
    models = ScriptedModels()
    models.slow_seconds = 0.2  # each turn streams for a long while, until its client leaves
    monkeypatch.setenv("TRACECHAT_OPENAI_BASE_URL", models.url + "/v1")
    monkeypatch.setenv("TRACECHAT_OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("TRACECHAT_OPENAI_MODELS", "local-llama")
    server = InProcessServer(settings_for_test(tmp_path / "data", chat_concurrency=2))
    turn = json.dumps({"model": "local-llama", "messages": [{"role": "user", "content": "Which model?"}]}).encode()
    talking: list[socket.socket] = []
    try:
        trace_id, body = _agent_trace(3)
        _store(server, body)
        talking = [_raw_post(server.ports.api, "/api/v1/chat?stream=true", turn, JSON) for _ in range(2)]
        _wait_for_metric(server, "tracechat_api_chat_turns_in_progress", 2)
        refused = httpx.post(f"{server.api}/api/v1/chat", content=turn, headers=JSON, timeout=60)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "overloaded"
        assert "TRACECHAT_CHAT_CONCURRENCY" in refused.json()["error"]["message"]
        assert refused.headers["Retry-After"] == "2"
        agent_turn = httpx.post(f"{server.api}/api/agents/trace-analyst/chat", json={"message": "hi"}, timeout=60)
        assert agent_turn.status_code == 429  # the agents' turns share the same capacity
        assert _metric(server, "tracechat_api_chat_turns_refused_total") == 2
        assert httpx.get(f"{server.api}/healthz", timeout=60).status_code == 200
        read = httpx.get(f"{server.api}/agents/traces/{trace_id}/spans", timeout=60)
        assert read.status_code == 200
        assert httpx.get(f"{server.api}/api/v1/chats", timeout=60).status_code == 200  # reading chats is not a turn
        for sock in talking:
            sock.close()
        _wait_until_metric_below(server, "tracechat_api_chat_turns_in_progress", 1)
        models.slow_seconds = 0
        again = httpx.post(f"{server.api}/api/v1/chat", content=turn, headers=JSON, timeout=60)
        assert again.status_code == 200, again.text
    finally:
        for sock in talking:
            sock.close()
        server.stop()
        models.close()
