"""Limits: each gets a clear answer, the server stays up, and what was valid is kept."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.servers import InProcessServer, settings_for_test

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def _post(server: InProcessServer, body: bytes) -> httpx.Response:
    return httpx.post(f"{server.otlp_http}/v1/traces", content=body, headers=PROTOBUF, timeout=300)


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field, written by hand (as a hostile client would)."""

    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            byte, n = n & 0x7F, n >> 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                return bytes(out)

    return varint(number << 3 | 2) + varint(len(payload)) + payload


def _span_bytes(name: bytes, extra: bytes = b"") -> bytes:
    return _field(1, os.urandom(16)) + _field(2, os.urandom(8)) + _field(5, name) + extra


def _healthy(server: InProcessServer) -> None:
    assert httpx.get(f"{server.api}/healthz").status_code == 200


def test_a_50_mb_attribute_is_stored_and_read_as_a_reference(server: InProcessServer) -> None:
    request = ExportTraceServiceRequest()
    span = (
        request.resource_spans.add()
        .scope_spans.add()
        .spans.add(trace_id=os.urandom(16), span_id=os.urandom(8), name="big")
    )
    big = "x" * 50_000_000
    span.attributes.add(key="gen_ai.output.messages").value.string_value = (
        '[{"role": "assistant", "parts": [{"type": "text", "content": "' + big + '"}]}]'
    )
    assert _post(server, request.SerializeToString()).status_code == 200
    trajectory = httpx.post(
        f"{server.api}/agents/traces/chat", timeout=120, json={"project_id": "default", "trace_id": span.trace_id.hex()}
    ).json()
    answer = next(m["assistant_message"] for m in trajectory["messages"] if m["type"] == "assistant_message")
    assert len(answer["text"]) < 5000
    [ref] = answer["content_refs"]
    whole = httpx.get(f"{server.api}/agents/traces/content/{ref}", timeout=120)
    assert len(whole.content) == 50_000_000
    _healthy(server)


def test_ten_thousand_attributes_are_all_kept(server: InProcessServer) -> None:
    request = ExportTraceServiceRequest()
    span = (
        request.resource_spans.add()
        .scope_spans.add()
        .spans.add(trace_id=os.urandom(16), span_id=os.urandom(8), name="wide")
    )
    for n in range(10_000):
        span.attributes.add(key=f"key.{n}").value.int_value = n
    assert _post(server, request.SerializeToString()).status_code == 200
    spans = httpx.get(f"{server.api}/agents/traces/{span.trace_id.hex()}/spans").json()["spans"]
    assert len(spans[0]["attributes"]) == 10_000


def test_deeply_nested_values_are_refused_clearly(server: InProcessServer) -> None:
    value = _field(1, b"leaf")  # AnyValue.string_value
    for _ in range(2000):
        value = _field(5, _field(1, value))  # AnyValue.array_value → ArrayValue.values
    span = _span_bytes(b"deep", _field(9, _field(1, b"deep") + _field(2, value)))
    response = _post(server, _field(1, _field(2, _field(2, span))))
    assert response.status_code == 400
    assert "not a valid OTLP protobuf" in status_pb2.Status.FromString(response.content).message
    _healthy(server)


def test_invalid_utf8_spoils_only_its_own_span(server: InProcessServer) -> None:
    good = _span_bytes(b"fine")
    bad = _span_bytes(b"\xff\xfe not utf-8")
    response = _post(server, _field(1, _field(2, _field(2, good) + _field(2, bad))))
    assert response.status_code == 200
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 1
    assert "spans[1]: not a valid span" in partial.error_message
    trace_id = good[2:18].hex()
    assert [s["name"] for s in httpx.get(f"{server.api}/agents/traces/{trace_id}/spans").json()["spans"]] == ["fine"]
    only_bad = _post(server, _field(1, _field(2, _field(2, bad))))
    assert only_bad.status_code == 400  # nothing valid to keep


@pytest.fixture
def big_reads(tmp_path: Path) -> Iterator[InProcessServer]:
    """A server whose reads may take a 100,000-span trace (the default bound is 20,000)."""
    running = InProcessServer(settings_for_test(tmp_path / "data", trajectory_max_spans=100_000))
    yield running
    running.stop()


def test_a_hundred_thousand_span_trace(big_reads: InProcessServer) -> None:
    server = big_reads
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    trace_id, now = os.urandom(16), time.time_ns()
    for n in range(100_000):
        span = scope.spans.add(
            trace_id=trace_id,
            span_id=os.urandom(8),
            name=f"step {n}",
            start_time_unix_nano=now + n,
            end_time_unix_nano=now + n + 10,
        )
        span.attributes.add(key="gen_ai.operation.name").value.string_value = "execute_tool"
    assert _post(server, request.SerializeToString()).status_code == 200
    listed = httpx.get(f"{server.api}/agents/traces", params={"q": trace_id.hex()}).json()["traces"][0]
    assert listed["span_count"] == 100_000
    trajectory = httpx.post(
        f"{server.api}/agents/traces/chat", timeout=300, json={"project_id": "default", "trace_id": trace_id.hex()}
    ).json()
    assert len(trajectory["messages"]) == 100_000
    _healthy(server)
