"""Property-based fuzzing of OTLP decoding: any bytes, any JSON, any (valid-protobuf)
request either decodes and flattens, or is refused with ``InvalidInput``; nothing else
escapes (no crash, no other exception)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PB2Span

from tests.fuzz import examples
from tracechat.errors import InvalidInput, TracechatError
from tracechat.ingest.compression import decompress
from tracechat.ingest.flatten import flatten_logs, flatten_traces
from tracechat.ingest.otlp import Encoding, decode_logs_request, decode_trace_request
from tracechat.ingest.wire import WireFormatError, span_slices

FUZZ = settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30,
)
otlp_keys = st.sampled_from(
    [
        "resourceSpans",
        "scopeSpans",
        "spans",
        "traceId",
        "spanId",
        "parentSpanId",
        "name",
        "attributes",
        "key",
        "value",
        "stringValue",
        "intValue",
        "arrayValue",
        "kvlistValue",
        "startTimeUnixNano",
        "events",
        "links",
        "status",
        "code",
        "resourceLogs",
        "scopeLogs",
        "logRecords",
        "body",
    ]
)
otlp_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=40)
    | st.sampled_from(["01" * 16, "ab" * 8, "zz", "", "0" * 32]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(otlp_keys, inner, max_size=5),
    max_leaves=40,
)


def _project(resource: Any) -> str:
    return "fuzz"


@FUZZ
@given(st.binary(max_size=2048))
def test_any_bytes_as_protobuf(body: bytes) -> None:
    for decode, flatten in ((decode_trace_request, flatten_traces), (decode_logs_request, flatten_logs)):
        try:
            request = decode(body, Encoding.PROTOBUF)
        except InvalidInput:
            continue
        flatten(request, _project)  # type: ignore[operator]


@FUZZ
@given(st.one_of(json_values, otlp_like))
def test_any_json_document(document: Any) -> None:
    body = json.dumps(document).encode()
    for decode, flatten in ((decode_trace_request, flatten_traces), (decode_logs_request, flatten_logs)):
        try:
            request = decode(body, Encoding.JSON)
        except InvalidInput:
            continue
        flatten(request, _project)  # type: ignore[operator]


@FUZZ
@given(st.binary(max_size=512))
def test_any_bytes_as_json_text(body: bytes) -> None:
    with contextlib.suppress(InvalidInput):
        decode_trace_request(body, Encoding.JSON)


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(["gzip", "deflate", "identity", "br", "x-gzip", ""]))
def test_any_bytes_as_compressed(body: bytes, encoding: str) -> None:
    with contextlib.suppress(TracechatError):
        decompress(body, encoding, 1 << 16)


@FUZZ
@given(st.binary(max_size=2048))
def test_span_slicing_never_misreads(body: bytes) -> None:
    """Whatever the wire walker slices parses to the same spans protobuf itself reads."""
    try:
        request = ExportTraceServiceRequest.FromString(body)
        slices = span_slices(body)
    except (DecodeError, WireFormatError):
        return
    parsed = [[list(ss.spans) for ss in rs.scope_spans] for rs in request.resource_spans]
    if [[len(s) for s in scopes] for scopes in slices] != [[len(s) for s in scopes] for scopes in parsed]:
        return  # flatten falls back to re-encoding when the counts disagree
    for scopes, parsed_scopes in zip(slices, parsed, strict=True):
        for raws, spans in zip(scopes, parsed_scopes, strict=True):
            for raw, span in zip(raws, spans, strict=True):
                assert PB2Span.FromString(raw) == span
