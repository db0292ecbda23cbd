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
