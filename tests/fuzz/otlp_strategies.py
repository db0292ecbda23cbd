"""Hypothesis strategies for OTLP requests that are valid first and then broken a little, so
most fuzzed inputs get past the parser and reach the property under test.

``trace_requests`` builds ``ExportTraceServiceRequest`` messages with real span trees,
attribute values of every type, events, links and statuses (ids mostly valid, sometimes
not: those spans must be rejected one by one). ``framed`` writes one as protobuf by hand at
the three outer levels, in any field order and with unknown fields between, which protobuf
must accept and the wire walker must see through. ``mutated`` breaks bytes in the ways real
transports do (truncation, a flipped byte, a lost slice, two requests run together).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

_KEYS = st.sampled_from(
    [
        "gen_ai.operation.name",
        "gen_ai.request.model",
        "gen_ai.agent.name",
        "gen_ai.usage.input_tokens",
        "gen_ai.input.messages",
        "service.name",
        "openinference.span.kind",
        "input.value",
        "http.method",
    ]
) | st.text(max_size=12)

_scalars = st.one_of(
    st.builds(lambda v: AnyValue(string_value=v), st.text(max_size=30)),
    st.builds(lambda v: AnyValue(int_value=v), st.integers(-(2**63), 2**63 - 1)),
    st.builds(lambda v: AnyValue(double_value=v), st.floats()),
    st.builds(lambda v: AnyValue(bool_value=v), st.booleans()),
    st.builds(lambda v: AnyValue(bytes_value=v), st.binary(max_size=12)),
    st.just(AnyValue()),
)
_nested = st.one_of(
    st.builds(lambda vs: AnyValue(array_value=ArrayValue(values=vs)), st.lists(_scalars, max_size=3)),
    st.builds(
        lambda kvs: AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key=k, value=v) for k, v in kvs])),
        st.lists(st.tuples(_KEYS, _scalars), max_size=3),
    ),
)
any_values = _scalars | _nested | st.builds(lambda v: AnyValue(array_value=ArrayValue(values=[v])), _nested)
attributes = st.lists(st.builds(lambda k, v: KeyValue(key=k, value=v), _KEYS, any_values), max_size=3)

# mostly valid ids; now and then one of the wrong length or all zero (a span to reject)
trace_ids = st.binary(min_size=16, max_size=16) | st.sampled_from([b"", bytes(16), b"\x01" * 15])
span_ids = st.binary(min_size=8, max_size=8) | st.sampled_from([b"", bytes(8), b"\x02" * 9])
_times = st.integers(0, 2**64 - 1) | st.integers(1_700_000_000 * 10**9, 1_800_000_000 * 10**9)


@st.composite
def _span(draw: st.DrawFn, trace_id: bytes, parents: list[bytes]) -> Span:
    start = draw(_times)
    span = Span(
        trace_id=trace_id,
        span_id=draw(span_ids),
        name=draw(st.text(max_size=20)),
        kind=draw(st.integers(0, 5)),
        start_time_unix_nano=start,
        end_time_unix_nano=draw(st.just(start) | _times),
        attributes=draw(attributes),
        status=Status(code=draw(st.integers(0, 2)), message=draw(st.text(max_size=10))),
    )
    if parents and draw(st.booleans()):
        span.parent_span_id = draw(st.sampled_from(parents))
    for _ in range(draw(st.integers(0, 1))):
        event = span.events.add(name=draw(st.text(max_size=10)), time_unix_nano=draw(_times))
        event.attributes.extend(draw(attributes))
    for _ in range(draw(st.integers(0, 1))):
        span.links.add(trace_id=draw(trace_ids), span_id=draw(span_ids), attributes=draw(attributes))
    return span


@st.composite
def _scope_spans(draw: st.DrawFn) -> ScopeSpans:
    scope_spans = ScopeSpans(
        scope=InstrumentationScope(name=draw(st.text(max_size=10)), version=draw(st.text(max_size=5))),
        schema_url=draw(st.sampled_from(["", "https://opentelemetry.io/schemas/1.27.0"])),
    )
    trace_id = draw(trace_ids)
    parents: list[bytes] = []
    for _ in range(draw(st.integers(0, 4))):
        span = draw(_span(trace_id, parents))
        parents.append(span.span_id)
        scope_spans.spans.append(span)
    return scope_spans


@st.composite
def trace_requests(draw: st.DrawFn) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for _ in range(draw(st.integers(1, 2))):
        resource_spans = ResourceSpans(resource=Resource(attributes=draw(attributes)))
        resource_spans.scope_spans.extend(draw(st.lists(_scope_spans(), min_size=1, max_size=2)))
        request.resource_spans.append(resource_spans)
    return request


@st.composite
def _log_record(draw: st.DrawFn) -> LogRecord:
    return LogRecord(
        time_unix_nano=draw(_times),
        severity_number=draw(st.integers(0, 24)),
        body=draw(any_values),
        attributes=draw(attributes),
        trace_id=draw(trace_ids | st.just(b"")),
        span_id=draw(span_ids | st.just(b"")),
    )


@st.composite
def logs_requests(draw: st.DrawFn) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    for _ in range(draw(st.integers(1, 2))):
        scopes = [
            ScopeLogs(
                scope=InstrumentationScope(name=draw(st.text(max_size=8))),
                log_records=draw(st.lists(_log_record(), max_size=3)),
            )
            for _ in range(draw(st.integers(1, 2)))
        ]
        request.resource_logs.append(ResourceLogs(resource=Resource(attributes=draw(attributes)), scope_logs=scopes))
    return request


def span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


def log_count(request: ExportLogsServiceRequest) -> int:
    return sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)


# --- the protobuf wire format, written by hand at the outer levels --------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


# fields no OTLP message at these levels defines: protobuf keeps them as unknown fields
unknown_fields = st.lists(
    st.one_of(
        st.builds(lambda n, v: _varint(n << 3) + _varint(v), st.integers(100, 2000), st.integers(0, 2**64 - 1)),
        st.builds(lambda n, b: _varint(n << 3 | 1) + b, st.integers(100, 2000), st.binary(min_size=8, max_size=8)),
        st.builds(lambda n, b: _varint(n << 3 | 5) + b, st.integers(100, 2000), st.binary(min_size=4, max_size=4)),
        st.builds(_field, st.integers(100, 2000), st.binary(max_size=20)),
    ),
    max_size=2,
)


@st.composite
def framed(draw: st.DrawFn, request: ExportTraceServiceRequest) -> bytes:
    """``request`` as protobuf bytes, framed by hand at request, ResourceSpans and ScopeSpans
    level: fields in a drawn order, unknown fields between them. Parses back to ``request``."""

    resources = []
    for resource_spans in request.resource_spans:
        scopes = []
        for scope_spans in resource_spans.scope_spans:
            head = ScopeSpans(scope=scope_spans.scope, schema_url=scope_spans.schema_url).SerializeToString()
            spans = [_field(2, span.SerializeToString()) for span in scope_spans.spans]
            # spans keep their order among themselves; the rest moves around them
            scopes.append(_field(2, draw(_interleaved(spans, [head, *draw(unknown_fields)]))))
        head = ResourceSpans(resource=resource_spans.resource, schema_url=resource_spans.schema_url).SerializeToString()
        resources.append(_field(1, draw(_interleaved(scopes, [head, *draw(unknown_fields)]))))
    return draw(_interleaved(resources, draw(unknown_fields)))


@st.composite
def _interleaved(draw: st.DrawFn, ordered: list[bytes], others: list[bytes]) -> bytes:
    """``ordered`` in its order, each of ``others`` put at a drawn place among them."""
    out = list(ordered)
    for other in others:
        out.insert(draw(st.integers(0, len(out))), other)
    return b"".join(out)


@st.composite
def mutated(draw: st.DrawFn, body: bytes, extra: bytes = b"") -> tuple[str, bytes]:
    """(how, bytes): ``body`` intact or broken once; ``extra`` is a second request to run on."""
    how = draw(st.sampled_from(["intact", "intact", "concatenated", "truncated", "flipped", "sliced"]))
    if how == "intact" or not body:
        return "intact", body
    if how == "concatenated":
        return how, body + extra  # protobuf reads two requests run together as one
    at = draw(st.integers(0, len(body) - 1))
    if how == "truncated":
        return how, body[:at]
    if how == "flipped":
        return how, body[:at] + bytes([body[at] ^ draw(st.integers(1, 255))]) + body[at + 1 :]
    return how, body[:at] + body[at + draw(st.integers(1, 8)) :]


# --- OTLP/JSON, as a client writes it, then changed in one place -----------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in the document (dict keys and list indexes)."""
    places = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            places += _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            places += _places(value, (*path, index))
    return places


@st.composite
def json_mutated(draw: st.DrawFn, document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(how, document): intact, or one value replaced, dropped or given the wrong type."""
    how = draw(st.sampled_from(["intact", "intact", "replaced", "dropped", "retyped", "hex-broken"]))
    places = _places(document)
    if how == "intact" or not places:
        return "intact", document
    document = json.loads(json.dumps(document))
    path = draw(st.sampled_from(places))
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "dropped":
        del parent[last]
    elif how == "replaced":
        parent[last] = draw(json_values)
    elif how == "retyped":
        value = parent[last]
        parent[last] = [value] if not isinstance(value, list) else {"value": value}
    else:
        parent[last] = draw(st.sampled_from(["zz" * 8, "ABCDEF", "", "0" * 32, "0" * 16, "+/=="]))
    return how, document
