from __future__ import annotations

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tracechat.ingest.flatten import flatten_traces
from tracechat.ingest.wire import WireFormatError, span_slices


def _request() -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for r in range(2):
        resource_spans = request.resource_spans.add(schema_url=f"https://schema/{r}")
        resource_spans.resource.attributes.add(key="service.name", value=AnyValue(string_value=f"svc{r}"))
        for s in range(2):
            scope = resource_spans.scope_spans.add(schema_url="x")
            scope.scope.name = f"lib{s}"
            for n in range(3):
                span = scope.spans.add(trace_id=bytes([r + 1]) * 16, span_id=bytes([s + 1, n + 1]) * 4, name="op")
                span.attributes.add(key="k", value=AnyValue(int_value=n))
                span.start_time_unix_nano = 10**18 + n  # a long varint
    return request


def test_slices_are_each_spans_own_encoding() -> None:
    request = _request()
    slices = span_slices(request.SerializeToString())
    expected = [
        [[span.SerializeToString() for span in ss.spans] for ss in rs.scope_spans] for rs in request.resource_spans
    ]
    assert slices == expected


def test_unknown_fields_are_skipped_around_spans_and_kept_inside_them() -> None:
    request = _request()
    future_field = bytes([15 << 3 | 0, 0x96, 0x01])  # field 15, a varint no current proto has
    span_bytes = request.resource_spans[0].scope_spans[0].spans[0].SerializeToString() + future_field
    request.resource_spans[0].scope_spans[0].spans[0].Clear()
    request.resource_spans[0].scope_spans[0].spans[0].MergeFromString(span_bytes)
    body = request.SerializeToString() + future_field + bytes([14 << 3 | 1]) + bytes(8)
    slices = span_slices(body)
    assert slices[0][0][0] == span_bytes
    assert len(slices) == 2
    assert [len(scope) for scope in slices[1]] == [3, 3]


@pytest.mark.parametrize(
    ("tail", "says"),
    [
        (b"\x0a\xff\xff\xff\x0f", "length runs past the end of its message"),
        (b"\x0a", "malformed varint"),
        (bytes([7 << 3 | 3]), "unsupported wire type 3"),  # groups: no OTLP message has them
        (bytes([7 << 3 | 4]), "unsupported wire type 4"),
    ],
)
def test_malformed_bytes_are_refused(tail: bytes, says: str) -> None:
    with pytest.raises(WireFormatError) as refused:
        span_slices(_request().SerializeToString() + tail)
    assert refused.value.args == (says,)


def test_flatten_uses_slices_and_falls_back_when_they_disagree() -> None:
    request = _request()
    good = flatten_traces(request, lambda resource: "p", span_slices(request.SerializeToString()))
    plain = flatten_traces(request, lambda resource: "p")
    assert good.batch.spans.raw == plain.batch.spans.raw
    wrong = [[[b"bogus"]]]  # counts do not match the parsed request
    assert flatten_traces(request, lambda resource: "p", wrong).batch.spans.raw == plain.batch.spans.raw


def _bad_utf8_name(span_bytes: bytes) -> bytes:
    """The span with its name's bytes made invalid UTF-8 (protobuf then refuses the request)."""
    assert b"\x2a\x02op" in span_bytes  # field 5 (name), two bytes
    return span_bytes.replace(b"\x2a\x02op", b"\x2a\x02\xff\xfe", 1)


def test_salvage_keeps_every_span_that_parses_with_its_resource_and_scope() -> None:
    from google.protobuf.message import DecodeError

    from tracechat.ingest.wire import salvage

    request = _request()
    body = request.SerializeToString()
    broken_spans = [
        request.resource_spans[0].scope_spans[1].spans[2],
        request.resource_spans[1].scope_spans[0].spans[0],
    ]
    for span in broken_spans:
        raw = span.SerializeToString()
        body = body.replace(raw, _bad_utf8_name(raw), 1)
    with pytest.raises(DecodeError):
        ExportTraceServiceRequest.FromString(body)
    salvaged, dropped, problems = salvage(body)
    assert dropped == 2
    assert problems == [
        "resource_spans[0].scope_spans[1].spans[2]: not a valid span (invalid UTF-8 or malformed fields)",
        "resource_spans[1].scope_spans[0].spans[0]: not a valid span (invalid UTF-8 or malformed fields)",
    ]
    kept = ExportTraceServiceRequest()
    kept.CopyFrom(request)
    del kept.resource_spans[0].scope_spans[1].spans[2]
    del kept.resource_spans[1].scope_spans[0].spans[0]
    for resource_spans in kept.resource_spans:  # salvage rebuilds resources and scopes, not schema urls
        resource_spans.schema_url = ""
        for scope_spans in resource_spans.scope_spans:
            scope_spans.schema_url = ""
    assert salvaged == kept


def test_salvage_refuses_broken_framing() -> None:
    from tracechat.ingest.wire import salvage

    with pytest.raises(WireFormatError, match=r"^length runs past the end of its message$"):
        salvage(b"\x0a\x05ab")


def test_fixed_width_fields_and_long_lengths_are_walked_exactly() -> None:
    request = _request()
    big = request.resource_spans[0].scope_spans[0].spans[0]
    big.attributes.add(key="history", value=AnyValue(string_value="x" * 40_000))  # a 3-byte length
    fixed32 = bytes([13 << 3 | 5]) + b"\x01\x02\x03\x04"  # an unknown fixed32 field
    fixed64 = bytes([14 << 3 | 1]) + bytes(range(8))
    body = request.SerializeToString() + fixed32 + fixed64 + fixed32
    slices = span_slices(body)
    assert slices[0][0][0] == big.SerializeToString()
    assert [[len(scope) for scope in scopes] for scopes in slices] == [[3, 3], [3, 3]]


def test_a_ten_byte_varint_is_read_and_an_eleventh_byte_refused() -> None:
    longest = bytes([15 << 3 | 0]) + b"\xff" * 9 + b"\x01"  # 2**64 - 1, shift reaches 63
    assert [[len(s) for s in scopes] for scopes in span_slices(_request().SerializeToString() + longest)] == [
        [3, 3],
        [3, 3],
    ]
    with pytest.raises(WireFormatError, match=r"^malformed varint$"):
        span_slices(bytes([15 << 3 | 0]) + b"\xff" * 10 + b"\x01")


def test_a_fixed_width_field_cut_short_is_refused() -> None:
    body = _request().SerializeToString()
    for cut in (bytes([14 << 3 | 1]) + b"\x01\x02", bytes([13 << 3 | 5]) + b"\x01"):  # fixed64, fixed32
        with pytest.raises(WireFormatError) as refused:
            span_slices(body + cut)
        assert refused.value.args == ("a field runs past the end of its message",)
