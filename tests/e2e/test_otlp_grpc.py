"""OTLP/gRPC error answers: INVALID_ARGUMENT for bad input, RESOURCE_EXHAUSTED for size."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest as PB2TraceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse as PB2TraceResponse,
)
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import make_agent_spans, span_ids
from tests.servers import InProcessServer, settings_for_test

EXPORT_TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
EXPORT_LOGS = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"


def _call(endpoint: str, method: str, body: bytes, compression: grpc.Compression | None = None) -> bytes:
    with grpc.insecure_channel(endpoint) as channel:
        export = channel.unary_unary(method)
        answer: bytes = export(body, timeout=30, compression=compression)
        return answer


def test_garbage_is_invalid_argument(server: InProcessServer) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _call(server.grpc_endpoint, EXPORT_TRACES, b"\xff\xfe\xfd not protobuf")
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid OTLP protobuf" in (caught.value.details() or "")


def test_partial_success_over_grpc(server: InProcessServer) -> None:
    request = PB2TraceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    scope.spans.add(trace_id=b"\x09" * 16, span_id=b"\x01" * 8, name="good")
    scope.spans.add(trace_id=b"\x09" * 5, span_id=b"\x02" * 8, name="bad")
    answer = PB2TraceResponse.FromString(_call(server.grpc_endpoint, EXPORT_TRACES, request.SerializeToString()))
    assert answer.partial_success.rejected_spans == 1
    assert "trace_id must be 16 bytes, got 5" in answer.partial_success.error_message


def test_gzip_over_grpc(server: InProcessServer) -> None:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    spans = make_agent_spans(turns=1)
    exporter = OTLPSpanExporter(endpoint=server.grpc_endpoint, insecure=True, compression=grpc.Compression.Gzip)
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    stored = server.service.store.trace_spans("default", format(spans[0].context.trace_id, "032x"))
    assert {(s.trace_id, s.fields.span_id) for s in stored} == span_ids(spans)


def test_logs_service_accepts_protobuf(server: InProcessServer) -> None:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.trace_id, record.span_id, record.event_name = b"\x0a" * 16, b"\x0b" * 8, "gen_ai.choice"
    _call(server.grpc_endpoint, EXPORT_LOGS, request.SerializeToString())
    [log] = server.service.store.trace_logs("default", "0a" * 16)
    assert log.event_name == "gen_ai.choice"


def test_oversized_request_is_resource_exhausted(tmp_path: Path) -> None:
    server = InProcessServer(settings_for_test(tmp_path / "data", max_request_bytes=32 * 1024))
    try:
        with pytest.raises(grpc.RpcError) as caught:
            _call(server.grpc_endpoint, EXPORT_TRACES, b"\x0a" * (64 * 1024))
        assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        # measured after decompression: a small gzip of a large message is refused too
        with pytest.raises(grpc.RpcError) as compressed:
            _call(server.grpc_endpoint, EXPORT_TRACES, b"\x0a" * (1024 * 1024), compression=grpc.Compression.Gzip)
        assert compressed.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    finally:
        server.stop()
