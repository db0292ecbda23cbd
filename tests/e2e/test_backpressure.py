"""When the write queue is full the receivers answer with the OTLP spec's retryable codes
(HTTP 429 + Retry-After, gRPC RESOURCE_EXHAUSTED + RetryInfo), and the real exporters'
retries then land every span. A failed commit is retryable too, and acknowledges nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import grpc_exporter, http_exporter, make_agent_spans, span_ids
from tests.servers import InProcessServer, settings_for_test

PROTOBUF = {"Content-Type": "application/x-protobuf"}


class CommitGate:
    """Holds the store's commits until opened: the real commit, just later."""

    def __init__(self, server: InProcessServer) -> None:
        self.opened = threading.Event()
        self.entered = threading.Event()
        writer = server.service.store.writer
        real_commit: Callable[[list[object]], list[object]] = writer._commit  # type: ignore[assignment]

        def gated(group: list[object]) -> list[object]:
            self.entered.set()
            self.opened.wait(60)
            return real_commit(group)

        writer._commit = gated  # type: ignore[assignment]


@pytest.fixture
def small_queue(tmp_path: Path) -> Iterator[InProcessServer]:
    server = InProcessServer(settings_for_test(tmp_path / "data", queue_max_bytes=200))
    yield server
    gate: CommitGate | None = getattr(server, "gate", None)
    if gate is not None:  # a failed test may have left the commit held
        gate.opened.set()
    server.stop()


def _body(tag: int) -> bytes:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    scope.spans.add(trace_id=bytes([tag]) * 16, span_id=b"\x01" * 8, name="x" * 150)
    return request.SerializeToString()


def _until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Wait for a state of the server the test needs next; fail, naming it, if it never comes."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        threading.Event().wait(0.005)


def _overloaded(server: InProcessServer, transport: str) -> float:
    """OTLP export requests refused because the queue was full, so far."""
    labels = {"transport": transport, "signal": "traces", "outcome": "overloaded"}
    return server.service.metrics.registry.get_sample_value("tracechat_export_requests_total", labels) or 0.0


def _fill_queue(server: InProcessServer, pool: ThreadPoolExecutor) -> list[Future[httpx.Response]]:
    """One request held in the commit, one waiting in the queue: the queue is now full."""
    gate = CommitGate(server)
    post = lambda tag: httpx.post(f"{server.otlp_http}/v1/traces", content=_body(tag), headers=PROTOBUF, timeout=60)  # noqa: E731
    first = pool.submit(post, 1)
    assert gate.entered.wait(30)
    second = pool.submit(post, 2)
    writer = server.service.store.writer
    _until(lambda: writer.queued_items == 1, "the second request waits in the queue")
    assert writer.queued_bytes + len(_body(3)) > 200  # a third would not fit
    server.gate = gate  # type: ignore[attr-defined]
    return [first, second]


def test_http_full_queue_is_429_with_retry_after(small_queue: InProcessServer) -> None:
    with ThreadPoolExecutor(4) as pool:
        waiting = _fill_queue(small_queue, pool)
        refused = httpx.post(f"{small_queue.otlp_http}/v1/traces", content=_body(3), headers=PROTOBUF)
        assert refused.status_code == 429
        assert small_queue.service.store.writer.stats.commits == 0  # no commit measured: a guessed second
        assert refused.headers["Retry-After"] == "1"
        assert "write queue is full" in status_pb2.Status.FromString(refused.content).message
        small_queue.gate.opened.set()  # type: ignore[attr-defined]
        assert [f.result(30).status_code for f in waiting] == [200, 200]
    assert small_queue.service.store.trace("default", "03" * 16) is None
    assert small_queue.service.store.trace("default", "02" * 16) is not None


def test_grpc_full_queue_is_resource_exhausted_with_retry_info(small_queue: InProcessServer) -> None:
    with ThreadPoolExecutor(4) as pool:
        waiting = _fill_queue(small_queue, pool)
        with grpc.insecure_channel(small_queue.grpc_endpoint) as channel:
            export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
            with pytest.raises(grpc.RpcError) as caught:
                export(_body(3), timeout=30)
        small_queue.gate.opened.set()  # type: ignore[attr-defined]
        for f in waiting:
            f.result(30)
    error = caught.value
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    details = dict(error.trailing_metadata() or ())["grpc-status-details-bin"]  # type: ignore[attr-defined]
    status = status_pb2.Status.FromString(details)
    retry = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(retry)
    assert (retry.retry_delay.seconds, retry.retry_delay.nanos) == (1, 0)  # no commit measured yet


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_exporter_retries_land_every_span(small_queue: InProcessServer, transport: str) -> None:
    with ThreadPoolExecutor(4) as pool:
        waiting = _fill_queue(small_queue, pool)
        spans = make_agent_spans(turns=1)
        exporter = (
            grpc_exporter(small_queue.grpc_endpoint) if transport == "grpc" else http_exporter(small_queue.otlp_http)
        )
        pending = pool.submit(exporter.export, spans)
        _until(lambda: _overloaded(small_queue, transport) >= 1, "the exporter's first attempt is refused")
        assert not pending.done()  # it is waiting to retry
        small_queue.gate.opened.set()  # type: ignore[attr-defined]
        assert pending.result(60) is SpanExportResult.SUCCESS
        for f in waiting:
            f.result(30)
    assert _overloaded(small_queue, transport) >= 1
    stored = small_queue.service.store.trace_spans("default", format(spans[0].context.trace_id, "032x"))
    assert {(s.trace_id, s.fields.span_id) for s in stored} == span_ids(spans)


def test_failed_commit_is_retryable_and_stores_nothing(tmp_path: Path) -> None:
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    try:
        writer = server.service.store.writer
        real_commit = writer._commit
        calls = {"n": 0}

        def failing_once(group: list[Any]) -> list[Any]:
            calls["n"] += 1
            if calls["n"] == 1:
                raise OSError("No space left on device")
            return real_commit(group)

        writer._commit = failing_once  # type: ignore[method-assign]
        response = httpx.post(f"{server.otlp_http}/v1/traces", content=_body(4), headers=PROTOBUF)
        assert response.status_code == 503
        assert "Retry-After" in response.headers
        assert "No space left on device" in status_pb2.Status.FromString(response.content).message
        assert server.service.store.trace("default", "04" * 16) is None
        again = httpx.post(f"{server.otlp_http}/v1/traces", content=_body(4), headers=PROTOBUF)
        assert again.status_code == 200
        assert server.service.store.trace("default", "04" * 16) is not None
    finally:
        server.stop()
