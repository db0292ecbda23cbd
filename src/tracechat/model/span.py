"""A stored span or log record, decoded: attribute values as plain Python values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AttributeValue = Any
"""str, bool, int, float, bytes, None, or a list / dict of these (OTLP AnyValue)."""

Attributes = dict[str, AttributeValue]

STATUS_ERROR = 2
"""OTLP ``Status.STATUS_CODE_ERROR``: the span failed."""


@dataclass(frozen=True, slots=True)
class SpanEvent:
    name: str
    time_ns: int
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SpanLink:
    trace_id: str
    span_id: str
    attributes: Attributes = field(default_factory=dict)
    trace_state: str = ""


@dataclass(frozen=True, slots=True)
class SpanPayload:
    """What a span's ``raw`` column holds beyond the promoted columns."""

    attributes: Attributes
    events: tuple[SpanEvent, ...]
    links: tuple[SpanLink, ...]
    trace_state: str
    flags: int
    dropped_attributes_count: int
    dropped_events_count: int
    dropped_links_count: int


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    version: str
    attributes: Attributes


@dataclass(frozen=True, slots=True)
class LogPayload:
    body: AttributeValue
    attributes: Attributes
    event_name: str | None
    flags: int
