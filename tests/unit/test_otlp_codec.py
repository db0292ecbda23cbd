from __future__ import annotations

import json
from pathlib import Path

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tracechat.errors import InvalidInput
from tracechat.ingest.otlp import (
    Encoding,
    Signal,
    decode_logs_request,
    decode_trace_request,
    encode_export_response,
    encode_logs_request,
    encode_trace_request,
)

DATA = Path(__file__).parent.parent / "data"


@pytest.mark.parametrize("encoding", list(Encoding))
def test_trace_request_round_trips(encoding: Encoding) -> None:
    original = decode_trace_request((DATA / "spec_trace.json").read_bytes(), Encoding.JSON)
    assert decode_trace_request(encode_trace_request(original, encoding), encoding) == original


@pytest.mark.parametrize("encoding", list(Encoding))
def test_logs_request_round_trips(encoding: Encoding) -> None:
    original = decode_logs_request((DATA / "spec_logs.json").read_bytes(), Encoding.JSON)
    assert decode_logs_request(encode_logs_request(original, encoding), encoding) == original


def test_json_ids_are_hex_and_snake_case_keys_are_accepted() -> None:
    document = {
        "resource_spans": [{"scope_spans": [{"spans": [{"trace_id": "0A" * 16, "span_id": "0b" * 8, "name": "x"}]}]}]
    }
    request = decode_trace_request(json.dumps(document).encode(), Encoding.JSON)
    span = request.resource_spans[0].scope_spans[0].spans[0]
    assert (span.trace_id, span.span_id) == (b"\x0a" * 16, b"\x0b" * 8)
    encoded = json.loads(encode_trace_request(request, Encoding.JSON))
    assert encoded["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] == "0a" * 16


def test_bad_hex_names_the_field() -> None:
    body = b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "xyz"}]}]}]}'
    with pytest.raises(InvalidInput, match=r"resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.spanId"):
        decode_trace_request(body, Encoding.JSON)


def test_empty_request_is_valid() -> None:
    assert not decode_trace_request(b"", Encoding.PROTOBUF).resource_spans
    assert not decode_trace_request(b"{}", Encoding.JSON).resource_spans


@pytest.mark.parametrize("encoding", list(Encoding))
def test_responses(encoding: Encoding) -> None:
    full = encode_export_response(Signal.TRACES, 0, "", encoding)
    assert full in (b"", b"{}")
    partial = encode_export_response(Signal.LOGS, 2, "two bad", encoding)
    if encoding is Encoding.JSON:
        assert json.loads(partial) == {"partialSuccess": {"rejectedLogRecords": "2", "errorMessage": "two bad"}}
    else:
        decoded = ExportLogsServiceResponse.FromString(partial)
        assert decoded.partial_success.rejected_log_records == 2
        assert decoded.partial_success.error_message == "two bad"
        assert ExportLogsServiceResponse(partial_success=decoded.partial_success).SerializeToString() == partial
    traces = encode_export_response(Signal.TRACES, 3, "three bad", encoding)
    if encoding is Encoding.JSON:
        assert json.loads(traces) == {"partialSuccess": {"rejectedSpans": "3", "errorMessage": "three bad"}}
    else:
        spans = ExportTraceServiceResponse.FromString(traces).partial_success
        assert (spans.rejected_spans, spans.error_message) == (3, "three bad")
