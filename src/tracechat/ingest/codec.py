"""Decode what the store keeps as protobuf bytes (spans, log records, resources, scopes) into
the plain values of ``tracechat.model.span``; and those values into JSON-safe ones."""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue as PB2AnyValue
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope as PB2Scope
from opentelemetry.proto.common.v1.common_pb2 import KeyValue as PB2KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord as PB2LogRecord
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as PB2Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PB2Span

from tracechat.model.span import (
    Attributes,
    AttributeValue,
    LogPayload,
    Scope,
    SpanEvent,
    SpanLink,
    SpanPayload,
)

MAX_DEPTH = 64
"""Nesting past this is cut (shown as None) so a hostile value cannot exhaust the stack."""


def any_value(value: PB2AnyValue, depth: int = 0) -> AttributeValue:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        if depth >= MAX_DEPTH:
            return None
        return [any_value(v, depth + 1) for v in value.array_value.values]
    if which == "kvlist_value":
        if depth >= MAX_DEPTH:
            return None
        return attributes(value.kvlist_value.values, depth + 1)
    return getattr(value, which)


def attributes(kvs: Iterable[PB2KeyValue], depth: int = 0) -> Attributes:
    found: Attributes = {}
    for kv in kvs:
        value = kv.value
        # strings and integers are nearly all of them: read without a call per value
        which = value.WhichOneof("value")
        if which == "string_value":
            found[kv.key] = value.string_value
        elif which == "int_value":
            found[kv.key] = value.int_value
        else:
            found[kv.key] = any_value(value, depth)
    return found


def decode_span_payload(raw: bytes) -> SpanPayload:
    return span_payload(PB2Span.FromString(raw))


def span_payload(span: PB2Span) -> SpanPayload:
    """What a decoded span says besides its own fields and status (``decode_span_payload``)."""
    events, links = span.events, span.links
    return SpanPayload(
        attributes=attributes(span.attributes),
        events=tuple(SpanEvent(e.name, e.time_unix_nano, attributes(e.attributes)) for e in events) if events else (),
        links=tuple(
            SpanLink(
                link.trace_id.hex(),
                link.span_id.hex(),
                attributes(link.attributes),
                link.trace_state,
            )
            for link in links
        )
        if links
        else (),
        trace_state=span.trace_state,
        flags=span.flags,
        dropped_attributes_count=span.dropped_attributes_count,
        dropped_events_count=span.dropped_events_count,
        dropped_links_count=span.dropped_links_count,
    )


def decode_log_payload(raw: bytes) -> LogPayload:
    record = PB2LogRecord.FromString(raw)
    return LogPayload(
        body=any_value(record.body),
        attributes=attributes(record.attributes),
        event_name=record.event_name or None,
        flags=record.flags,
    )


def decode_resource(raw: bytes) -> Attributes:
    return attributes(PB2Resource.FromString(raw).attributes)


def decode_scope(raw: bytes) -> Scope:
    scope = PB2Scope.FromString(raw)
    return Scope(scope.name, scope.version, attributes(scope.attributes))


def json_safe(value: AttributeValue) -> Any:
    """Bytes become base64 text (as OTLP/JSON writes them); containers are walked."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):  # no JSON form: keep as text
        return str(value)
    return value
