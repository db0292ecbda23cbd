"""What the store gives back: spans and log records as stored, payloads still encoded."""

from __future__ import annotations

from dataclasses import dataclass

from tracechat.model.records import SpanFields
from tracechat.model.span import SpanPayload


@dataclass(frozen=True, slots=True)
class StoredSpan:
    project: str
    trace_id: str
    fields: SpanFields
    """Its own fields and promoted columns: what ``genai.registry.normalize`` reads of it
    besides its payload."""
    raw: bytes
    """The span's own OTLP protobuf encoding: attributes, events, links, status, flags."""
    resource: bytes
    """The OTLP ``Resource`` it was sent under, protobuf-encoded."""
    scope: bytes
    """The OTLP ``InstrumentationScope`` it was sent under, protobuf-encoded."""
    payload: SpanPayload | None = None
    """``raw`` decoded, where the store decoded it to derive ``fields`` (a trace read,
    ``ingest.flatten.stored_span``); None where the columns were read as stored."""


@dataclass(frozen=True, slots=True)
class StoredLog:
    project: str
    trace_id: str | None
    span_id: str | None
    time_ns: int
    observed_ns: int
    severity_number: int
    severity_text: str | None
    event_name: str | None
    raw: bytes
    """The OTLP ``LogRecord`` protobuf encoding."""
    resource: bytes
    scope: bytes


@dataclass(frozen=True, slots=True)
class TraceIndexEntry:
    """One row of the trace index: what list views show without reading any span."""

    project: str
    trace_id: str
    start_ns: int | None
    end_ns: int | None
    span_count: int
    log_count: int
    root_span_id: str | None
    root_span_name: str | None
    root_is_orphan: bool | None
    root_start_ns: int | None
    root_end_ns: int | None
    has_error: bool
    input_tokens: int | None
    output_tokens: int | None
    agents: tuple[str, ...]
    models: tuple[str, ...]
    conversation_id: str | None
    first_batch: int = 0
    last_batch: int = 0


@dataclass(frozen=True, slots=True)
class StoredTrace:
    """Everything a trajectory reads of one trace: its root span's name (from the index),
    spans (start order) and logs."""

    root_span_name: str | None
    spans: list[StoredSpan]
    logs: list[StoredLog]
