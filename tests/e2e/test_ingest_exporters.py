"""Spans made by a real TracerProvider, sent by the real OTLP exporters (gRPC and HTTP), read
back from the store with everything the client sent."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import grpc_exporter, http_exporter, make_agent_spans, span_ids
from tests.servers import InProcessServer, settings_for_test
from tracechat.ingest.codec import decode_resource, decode_scope, decode_span_payload


def _stored_ids(server: InProcessServer, project: str, trace_id: str) -> set[tuple[str, str]]:
    return {(s.trace_id, s.fields.span_id) for s in server.service.store.trace_spans(project, trace_id)}


@pytest.mark.parametrize("transport", ["grpc", "http", "http-gzip"])
def test_exported_spans_are_stored_losslessly(server: InProcessServer, transport: str) -> None:
    spans = make_agent_spans(turns=2)
    if transport == "grpc":
        exporter = grpc_exporter(server.grpc_endpoint)
    else:
        exporter = http_exporter(server.otlp_http, gzip=transport == "http-gzip")
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()

    trace_id = format(spans[0].context.trace_id, "032x")
    assert _stored_ids(server, "default", trace_id) == span_ids(spans)
    stored = {s.fields.span_id: s for s in server.service.store.trace_spans("default", trace_id)}
    chat = next(s for s in spans if s.name == "chat gpt-4o")
    row = stored[format(chat.context.span_id, "016x")]
    fields = row.fields
    assert (fields.operation, fields.request_model, fields.response_model, fields.provider) == (
        "chat",
        "gpt-4o",
        "gpt-4o-2024-08-06",
        "openai",
    )
    assert chat.parent is not None
    assert fields.parent_span_id == format(chat.parent.span_id, "016x")
    payload = decode_span_payload(row.raw)
    sent = {k: list(v) if isinstance(v, tuple) else v for k, v in chat.attributes.items()}
    assert payload.attributes == sent
    assert [e.name for e in payload.events] == ["gen_ai.choice"]
    assert payload.events[0].attributes == {"index": 0}
    assert decode_resource(row.resource)["service.name"] == "test-agent"
    assert decode_scope(row.scope).name == "tests.otel"


def test_trace_index_summarises_the_trace(server: InProcessServer) -> None:
    spans = make_agent_spans(turns=3)
    exporter = grpc_exporter(server.grpc_endpoint)
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    entry = server.service.store.trace("default", format(spans[0].context.trace_id, "032x"))
    assert entry is not None
    assert entry.span_count == 7
    assert entry.root_span_name == "invoke_agent weather"
    assert entry.root_is_orphan is False
    assert entry.has_error is True
    assert entry.input_tokens == 100 + 101 + 102
    assert entry.output_tokens == 30
    assert entry.agents == ("weather",)
    assert entry.models == ("gpt-4o",)  # the response's dated snapshot is its model
    assert entry.conversation_id == "conv-1"


def test_resent_spans_are_stored_once(server: InProcessServer) -> None:
    spans = make_agent_spans(turns=1)
    exporter = grpc_exporter(server.grpc_endpoint)
    for _ in range(3):
        assert exporter.export(spans) is SpanExportResult.SUCCESS
    # a retry of a part of the trace, alone, in a later request
    assert exporter.export(spans[:1]) is SpanExportResult.SUCCESS
    trace_id = format(spans[0].context.trace_id, "032x")
    assert len(server.service.store.trace_spans("default", trace_id)) == len(spans)
    entry = server.service.store.trace("default", trace_id)
    assert entry is not None
    assert entry.span_count == len(spans)


def test_project_comes_from_resource_attribute(server: InProcessServer) -> None:
    spans = make_agent_spans(turns=1, resource={"openinference.project.name": "shop"})
    assert grpc_exporter(server.grpc_endpoint).export(spans) is SpanExportResult.SUCCESS
    trace_id = format(spans[0].context.trace_id, "032x")
    assert server.service.store.trace("default", trace_id) is None
    assert _stored_ids(server, "shop", trace_id) == span_ids(spans)


def test_metrics_count_received_and_stored(server: InProcessServer) -> None:
    spans = make_agent_spans(turns=1)
    assert http_exporter(server.otlp_http).export(spans) is SpanExportResult.SUCCESS
    text = httpx.get(f"{server.api}/metrics").text
    assert f'tracechat_spans_received_total{{transport="http"}} {float(len(spans))}' in text
    assert f"tracechat_spans_stored_total {float(len(spans))}" in text
    assert "tracechat_commit_seconds_bucket" in text
    assert "tracechat_write_queue_bytes" in text


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_exporters_with_default_settings_land_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An OTel SDK with no endpoint configured reaches tracechat on its default ports."""
    if not (_port_free(4317) and _port_free(4318)):
        pytest.skip("the default OTLP ports are taken on this machine")
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS"):
        monkeypatch.delenv(name, raising=False)
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as DefaultGrpc
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as DefaultHttp

    server = InProcessServer(settings_for_test(tmp_path / "data", grpc_port=4317, otlp_http_port=4318))
    try:
        for exporter in (DefaultGrpc(), DefaultHttp()):
            spans = make_agent_spans(turns=1)
            assert exporter.export(spans) is SpanExportResult.SUCCESS
            exporter.shutdown()
            assert _stored_ids(server, "default", format(spans[0].context.trace_id, "032x")) == span_ids(spans)
    finally:
        server.stop()
