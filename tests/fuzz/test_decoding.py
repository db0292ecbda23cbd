"""Property-based fuzzing of OTLP decoding: any bytes, any JSON, any (valid-protobuf)
request either decodes and flattens, or is refused with ``InvalidInput``; nothing else
escapes (no crash, no other exception)."""

from __future__ import annotations

import contextlib
import gzip
import json
import zlib
from typing import Any

import pytest
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, event, given, settings, target
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PB2Span

from tests.fuzz import examples
from tests.fuzz import otlp_strategies as strategies
from tracechat.errors import InvalidInput, PayloadTooLarge, TracechatError
from tracechat.ingest.compression import decompress
from tracechat.ingest.flatten import flatten_logs, flatten_traces
from tracechat.ingest.otlp import (
    Encoding,
    decode_logs_request,
    decode_trace_request,
    encode_logs_request,
    encode_trace_request,
)
from tracechat.ingest.wire import WireFormatError, span_slices

FUZZ = settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
BUILT = settings(FUZZ, max_examples=examples(150))
"""For properties over built requests: each example costs more, and nearly every one counts."""

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


@BUILT
@given(st.data(), st.sampled_from(["traces", "logs"]))
def test_any_bytes_as_protobuf(data: st.DataObject, signal: str) -> None:
    """A valid request, intact or broken once (``mutated``), is refused with ``InvalidInput``
    or decoded and flattened with every record stored or rejected, none lost. Measured
    (``--hypothesis-show-statistics``, two runs of 100 and 150 examples): 77% of inputs reach
    the count check, 71-75% with records; the rest are broken bytes, refused."""
    if signal == "traces":
        request: Any = data.draw(strategies.trace_requests())
        body = data.draw(strategies.framed(request))
        extra = data.draw(strategies.trace_requests()).SerializeToString()
    else:
        request = data.draw(strategies.logs_requests())
        body = request.SerializeToString()
        extra = data.draw(strategies.logs_requests()).SerializeToString()
    how, body = data.draw(strategies.mutated(body, extra))
    decode, flatten, count = (
        (decode_trace_request, flatten_traces, strategies.span_count)
        if signal == "traces"
        else (decode_logs_request, flatten_logs, strategies.log_count)
    )
    try:
        decoded = decode(body, Encoding.PROTOBUF)
    except InvalidInput:
        assert how != "intact", "a valid request was refused"
        event(f"{signal}: refused ({how})")
        return
    records = count(decoded)
    if how == "intact":
        assert records == count(request)
    flat = flatten(decoded, _project)
    stored = len(flat.batch.spans) + len(flat.batch.logs)
    assert stored + flat.rejected == records
    event(f"{signal}: reached the count check with {'records' if records else 'no records'}")
    target(float(min(records, 20)))


@BUILT
@given(st.data(), st.sampled_from(["traces", "logs"]))
def test_any_json_document(data: st.DataObject, signal: str) -> None:
    """A valid OTLP/JSON request as a client writes it, intact or changed in one place
    (``json_mutated``), is refused with ``InvalidInput`` or flattened with every record
    stored or rejected. Measured (two runs of 100 and 150 examples): 68-79% reach the count
    check, 62-74% with records."""
    if signal == "traces":
        request: Any = data.draw(strategies.trace_requests())
        text = encode_trace_request(request, Encoding.JSON)
        decode, flatten, count = decode_trace_request, flatten_traces, strategies.span_count
    else:
        request = data.draw(strategies.logs_requests())
        text = encode_logs_request(request, Encoding.JSON)
        decode, flatten, count = decode_logs_request, flatten_logs, strategies.log_count
    how, document = data.draw(strategies.json_mutated(json.loads(text)))
    try:
        decoded = decode(json.dumps(document).encode(), Encoding.JSON)
    except InvalidInput:
        assert how != "intact", "a valid request was refused"
        event(f"{signal}: refused ({how})")
        return
    records = count(decoded)
    if how == "intact":
        assert decoded == request
    flat = flatten(decoded, _project)
    assert len(flat.batch.spans) + len(flat.batch.logs) + flat.rejected == records
    event(f"{signal}: reached the count check with {'records' if records else 'no records'}")
    target(float(min(records, 20)))


@FUZZ
@given(st.one_of(json_values, otlp_like))
def test_any_json_value(document: Any) -> None:
    """Any JSON at all (not only OTLP-shaped): refused with ``InvalidInput`` or flattened."""
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


_COMPRESSORS = {
    "gzip": lambda data, level: gzip.compress(data, compresslevel=level, mtime=0),
    "x-gzip": lambda data, level: gzip.compress(data, compresslevel=level, mtime=0),
    "deflate": lambda data, level: zlib.compress(data, level),
    "raw deflate": lambda data, level: _raw_deflate(data, level),
    "gzip members": lambda data, level: b"".join(gzip.compress(part, level, mtime=0) for part in (data[:7], data[7:])),
}


def _raw_deflate(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize("how", sorted(_COMPRESSORS))
@BUILT
@given(
    st.one_of(st.binary(max_size=2048), st.builds(lambda r: r.SerializeToString(), strategies.trace_requests())),
    st.integers(0, 9),
    st.just(1 << 16) | st.integers(0, 4096),
    st.data(),
)
def test_any_bytes_as_compressed(how: str, payload: bytes, level: int, limit: int, data: st.DataObject) -> None:
    """A real gzip, zlib or raw-deflate stream of a payload (an OTLP request or any bytes)
    decompresses to exactly that payload, or is refused with ``PayloadTooLarge`` when the
    payload is over the limit; the same stream broken once is refused with a ``TracechatError``
    or decompresses, never anything else. Every input is a real stream, each compressor its own
    run. Measured (150 examples each): 19-42% decompress to the payload and reach the
    equality check, 5-10% are intact but over the limit, the rest broken streams."""
    stream = _COMPRESSORS[how](payload, level)
    encoding = {"raw deflate": "deflate", "gzip members": "gzip"}.get(how, how)
    broken, stream = data.draw(strategies.mutated(stream, b"trailing garbage"))
    if broken == "intact":
        if len(payload) > limit:
            with pytest.raises(PayloadTooLarge):
                decompress(stream, encoding, limit)
            event("intact stream over the limit: refused")
        else:
            assert decompress(stream, encoding, limit) == payload
            event("intact stream: decompressed to the payload")
        return
    try:
        decompress(stream, encoding, limit)
        event(f"broken stream ({broken}): decompressed")
    except TracechatError:
        event(f"broken stream ({broken}): refused")


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(["gzip", "deflate", "identity", "br", "x-gzip", ""]))
def test_any_bytes_as_a_compressed_body(body: bytes, encoding: str) -> None:
    with contextlib.suppress(TracechatError):
        decompress(body, encoding, 1 << 16)


@BUILT
@given(st.data())
def test_span_slicing_never_misreads(data: st.DataObject) -> None:
    """Whatever the wire walker slices parses to the same spans protobuf itself reads, and
    it finds as many spans in each scope as protobuf does. Requests are framed by hand with
    unknown fields and any field order, then broken once or not. Measured (two runs of 100 and
    150 examples): 79-88% reach the span-by-span comparison, 76-86% with spans; the rest are
    bytes protobuf refuses."""
    request = data.draw(strategies.trace_requests())
    body = data.draw(strategies.framed(request))
    how, body = data.draw(strategies.mutated(body, data.draw(strategies.trace_requests()).SerializeToString()))
    try:
        parsed_request = ExportTraceServiceRequest.FromString(body)
    except DecodeError:
        assert how != "intact", "a framed request protobuf refuses"
        event(f"protobuf refuses ({how})")
        return
    if how == "intact":
        assert [list(ss.spans) for rs in parsed_request.resource_spans for ss in rs.scope_spans] == [
            list(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans
        ]
    try:
        slices = span_slices(body)
    except WireFormatError:
        assert how != "intact", "the walker refused what protobuf framed by hand reads"
        event(f"walker refuses what protobuf reads ({how}): flatten re-encodes")
        return
    parsed = [[list(ss.spans) for ss in rs.scope_spans] for rs in parsed_request.resource_spans]
    assert [[len(s) for s in scopes] for scopes in slices] == [[len(s) for s in scopes] for scopes in parsed]
    spans = 0
    for scopes, parsed_scopes in zip(slices, parsed, strict=True):
        for raws, spans_of_scope in zip(scopes, parsed_scopes, strict=True):
            for raw, span in zip(raws, spans_of_scope, strict=True):
                assert PB2Span.FromString(raw) == span
                spans += 1
    event(f"compared span by span ({'with spans' if spans else 'no spans'}, {how})")
    target(float(min(spans, 30)))
