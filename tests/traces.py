"""Build OTLP traces span by span for tests, with attributes of any type, and read back
their trajectory through the real store and query path."""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tracechat.ingest.flatten import flatten_logs, flatten_traces
from tracechat.model.trajectory import AgentChatTrajectory
from tracechat.query.service import TraceQueries
from tracechat.store.duck import DuckDBStore

MS = 1_000_000
BASE_NS = 1_760_000_000_000_000_000


def any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, (list, tuple)):
        result = AnyValue()
        result.array_value.values.extend(any_value(v) for v in value)
        return result
    if isinstance(value, dict):
        result = AnyValue()
        result.kvlist_value.values.extend(KeyValue(key=k, value=any_value(v)) for k, v in value.items())
        return result
    return AnyValue(string_value=str(value))


def as_json(value: Any) -> str:
    return json.dumps(value)


@dataclass
class TraceBuilder:
    trace_id: bytes = field(default_factory=lambda: os.urandom(16))
    base_ns: int = BASE_NS
    """When ``start_ms=0`` is: a fixed day, or now for tests of time-windowed views."""
    spans: list[Span] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def trace_hex(self) -> str:
        return self.trace_id.hex()

    def span(
        self,
        name: str,
        attributes: dict[str, Any] | None = None,
        *,
        parent: str | None = None,
        start_ms: int = 0,
        duration_ms: int = 10,
        events: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
        error: bool = False,
    ) -> str:
        span_id = next(self._ids).to_bytes(8, "big")
        span = Span(
            trace_id=self.trace_id,
            span_id=span_id,
            name=name,
            start_time_unix_nano=self.base_ns + start_ms * MS,
            end_time_unix_nano=self.base_ns + (start_ms + duration_ms) * MS,
        )
        if parent:
            span.parent_span_id = bytes.fromhex(parent)
        for key, value in (attributes or {}).items():
            span.attributes.add(key=key, value=any_value(value))
        for event_name, event_attributes in events:
            event = span.events.add(name=event_name, time_unix_nano=span.start_time_unix_nano)
            for key, value in event_attributes.items():
                event.attributes.add(key=key, value=any_value(value))
        if error:
            span.status.code = 2
        self.spans.append(span)
        return span_id.hex()

    def log(self, span_id: str | None, event_name: str, body: Any, attributes: dict[str, Any] | None = None) -> None:
        record = LogRecord(trace_id=self.trace_id, event_name=event_name, time_unix_nano=self.base_ns)
        if span_id:
            record.span_id = bytes.fromhex(span_id)
        record.body.CopyFrom(any_value(body))
        for key, value in (attributes or {}).items():
            record.attributes.add(key=key, value=any_value(value))
        self.logs.append(record)

    def trace_request(self) -> ExportTraceServiceRequest:
        request = ExportTraceServiceRequest()
        request.resource_spans.add().scope_spans.add().spans.extend(self.spans)
        return request

    def logs_request(self) -> ExportLogsServiceRequest:
        request = ExportLogsServiceRequest()
        request.resource_logs.add().scope_logs.add().log_records.extend(self.logs)
        return request

    def store_in(self, store: DuckDBStore, project: str = "p") -> None:
        store.submit(flatten_traces(self.trace_request(), lambda resource: project).batch).result()
        if self.logs:
            store.submit(flatten_logs(self.logs_request(), lambda resource: project).batch).result()


def trajectory(store: DuckDBStore, trace: TraceBuilder, include_feedback: bool = False) -> AgentChatTrajectory:
    trace.store_in(store)
    return TraceQueries(store).trajectory("p", trace.trace_hex, include_feedback)


def outline(result: AgentChatTrajectory) -> list[tuple[str, str | None, str | None]]:
    """(type, agent, the entry's main text) of each message: what a reader sees at a glance."""
    rows = []
    for message in result.messages:
        entry = message.entry
        main = {
            "agent_start": "system_instructions",
            "user_message": "text",
            "assistant_message": "text",
            "tool_call": "tool_name",
            "agent_handoff": "to_agent",
            "context_compacted": "compaction_summary",
        }[message.type]
        rows.append((message.type, message.agent_name, getattr(entry, main)))
    return rows
