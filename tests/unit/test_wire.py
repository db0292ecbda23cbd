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


@pytest.mark.parametrize("tail", [b"\x0a\xff\xff\xff\x0f", b"\x0a", bytes([7 << 3 | 3])])
def test_malformed_bytes_are_refused(tail: bytes) -> None:
    with pytest.raises(WireFormatError):
        span_slices(_request().SerializeToString() + tail)


def test_flatten_uses_slices_and_falls_back_when_they_disagree() -> None:
    request = _request()
    good = flatten_traces(request, lambda resource: "p", span_slices(request.SerializeToString()))
    plain = flatten_traces(request, lambda resource: "p")
    assert good.batch.spans.raw == plain.batch.spans.raw
    wrong = [[[b"bogus"]]]  # counts do not match the parsed request
    assert flatten_traces(request, lambda resource: "p", wrong).batch.spans.raw == plain.batch.spans.raw
