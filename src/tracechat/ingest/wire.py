"""Each span's own bytes, sliced from the export request as the client encoded them.

Re-serializing every parsed span costs more than everything else ingest does to it, and
the request already holds each span as one length-delimited record. This walks only the
three outer levels of the protobuf wire format (request → ResourceSpans → ScopeSpans →
Span records) and slices; it never looks inside a span. The request has been parsed by
protobuf first, so the bytes are known to be well formed; any disagreement with the
parsed message makes the caller fall back to re-serializing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_LEN = 2
_FIXED64 = 1
_FIXED32 = 5
_VARINT = 0

# Field numbers from opentelemetry/proto/{collector/trace,trace}/v1: resource_spans = 1,
# ResourceSpans.scope_spans = 2, ScopeSpans.spans = 2.
_RESOURCE_SPANS = 1
_SCOPE_SPANS = 2
_SPANS = 2

SpanSlices = list[list[list[bytes]]]
"""``slices[i][j][k]`` is span k of scope j of resource i."""


class WireFormatError(ValueError):
    pass


def span_slices(body: bytes) -> SpanSlices:
    view = memoryview(body)
    resources: SpanSlices = []
    for start, end in _len_fields(view, 0, len(view), _RESOURCE_SPANS):
        scopes: list[list[bytes]] = []
        for scope_start, scope_end in _len_fields(view, start, end, _SCOPE_SPANS):
            scopes.append([bytes(view[a:b]) for a, b in _len_fields(view, scope_start, scope_end, _SPANS)])
        resources.append(scopes)
    return resources


def salvage(body: bytes) -> tuple[Any, int, list[str]]:
    """A trace request protobuf refused as a whole (e.g. invalid UTF-8 in one span), rebuilt
    from the resources, scopes and spans that parse on their own: (request, spans left
    out, why). Raises ``WireFormatError`` when even the outer framing is broken."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    view = memoryview(body)
    request = ExportTraceServiceRequest()
    dropped = 0
    problems: list[str] = []
    for i, (start, end) in enumerate(_len_fields(view, 0, len(view), _RESOURCE_SPANS)):
        resource_spans = request.resource_spans.add()
        for r_start, r_end in _len_fields(view, start, end, 1):  # ResourceSpans.resource
            resource_spans.resource.CopyFrom(_parsed(Resource, view[r_start:r_end]) or Resource())
        for j, (s_start, s_end) in enumerate(_len_fields(view, start, end, _SCOPE_SPANS)):
            scope_spans = resource_spans.scope_spans.add()
            for c_start, c_end in _len_fields(view, s_start, s_end, 1):  # ScopeSpans.scope
                scope_spans.scope.CopyFrom(_parsed(InstrumentationScope, view[c_start:c_end]) or InstrumentationScope())
            for k, (a, b) in enumerate(_len_fields(view, s_start, s_end, _SPANS)):
                span = _parsed(Span, view[a:b])
                if span is None:
                    dropped += 1
                    problems.append(
                        f"resource_spans[{i}].scope_spans[{j}].spans[{k}]: not a valid span "
                        "(invalid UTF-8 or malformed fields)"
                    )
                else:
                    scope_spans.spans.append(span)
    return request, dropped, problems


def _parsed(message_type: Any, data: memoryview) -> Any:
    from google.protobuf.message import DecodeError

    try:
        return message_type.FromString(bytes(data))
    except DecodeError:
        return None


def _len_fields(view: memoryview, pos: int, end: int, wanted: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each length-delimited field numbered ``wanted`` in view[pos:end]."""
    while pos < end:
        key, pos = _varint(view, pos)
        field, wire_type = key >> 3, key & 7
        if wire_type == _LEN:
            length, pos = _varint(view, pos)
            if pos + length > end:
                raise WireFormatError("length runs past the end of its message")
            if field == wanted:
                yield pos, pos + length
            pos += length
        elif wire_type == _VARINT:
            _, pos = _varint(view, pos)
        elif wire_type == _FIXED64:
            pos += 8
        elif wire_type == _FIXED32:
            pos += 4
        else:
            raise WireFormatError(f"unsupported wire type {wire_type}")
    if pos != end:
        raise WireFormatError("a field runs past the end of its message")


def _varint(view: memoryview, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(view) or shift > 63:
            raise WireFormatError("malformed varint")
        byte = view[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
