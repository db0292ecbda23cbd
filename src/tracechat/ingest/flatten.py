"""Export requests → validated, flattened rows (an ``IngestBatch``), and the reasons for
every record left out.

A bad span never spoils its request: it is counted in ``rejected`` and named in
``problems``, and the good ones go on to be stored (OTLP ``partial_success``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest as PB2LogsRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest as PB2TraceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope as PB2Scope
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord as PB2LogRecord
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as PB2Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PB2Span

from tracechat import pricing
from tracechat.genai.kinds import may_be_tool
from tracechat.genai.messages import ToolResult, read_result
from tracechat.genai.registry import normalize
from tracechat.genai.types import Kind, SpanFacts
from tracechat.ingest.agents import shown_agents_of
from tracechat.ingest.codec import span_payload
from tracechat.ingest.promote import PROMOTED_COLUMNS, promote, promote_read
from tracechat.ingest.wire import SpanSlices
from tracechat.model.ids import SPAN_ID_BYTES, TRACE_ID_BYTES, id_problem
from tracechat.model.records import (
    IngestBatch,
    ScopeRecord,
    SpanColumns,
    SpanFields,
)
from tracechat.model.span import STATUS_ERROR, SpanPayload
from tracechat.model.stored import StoredSpan

ProjectOf = Callable[[PB2Resource], str]
"""Resolves the project of a resource (the caller's key decides; see ``ingest.projects``)."""

MAX_PROBLEMS_REPORTED = 5
_INT64_MAX = (1 << 63) - 1
_ZERO_SPAN_ID = bytes(SPAN_ID_BYTES)
_OPERATION = PROMOTED_COLUMNS.index("operation")
_PROVIDER = PROMOTED_COLUMNS.index("provider")
_REQUEST_MODEL = PROMOTED_COLUMNS.index("request_model")
_RESPONSE_MODEL = PROMOTED_COLUMNS.index("response_model")
_FIRST_PROMOTED = 8  # span_fields: eight fields of the span itself come first


@dataclass(slots=True)
class Flattened:
    batch: IngestBatch = field(default_factory=IngestBatch)
    rejected: int = 0
    problems: list[str] = field(default_factory=list)

    def reject(self, where: str, problem: str) -> None:
        self.rejected += 1
        if len(self.problems) < MAX_PROBLEMS_REPORTED:
            self.problems.append(f"{where}: {problem}")

    def error_message(self, noun: str) -> str:
        if not self.rejected:
            return ""
        more = self.rejected - len(self.problems)
        tail = f"; and {more} more" if more > 0 else ""
        return f"rejected {self.rejected} {noun}: " + "; ".join(self.problems) + tail


def flatten_traces(request: PB2TraceRequest, project_of: ProjectOf, slices: SpanSlices | None = None) -> Flattened:
    """Validated span rows of ``request``. ``slices`` (from ``ingest.wire.span_slices`` on the
    request's bytes) saves re-encoding every span; without them spans are re-serialized."""
    out = Flattened()
    rows: list[tuple[Any, ...]] = []
    for i, resource_spans in enumerate(request.resource_spans):
        project = project_of(resource_spans.resource)
        resource = resource_spans.resource.SerializeToString()
        for j, scope_spans in enumerate(resource_spans.scope_spans):
            scope_id = _remember_scope(
                out.batch, resource, resource_spans.schema_url, scope_spans.scope, scope_spans.schema_url
            )
            raws = _slices_of(slices, i, j, len(scope_spans.spans))
            for k, span in enumerate(scope_spans.spans):
                problem = _span_problem(span)
                if problem:
                    out.reject(f"resource_spans[{i}].scope_spans[{j}].spans[{k}]", problem)
                    continue
                raw = raws[k] if raws is not None else span.SerializeToString()
                out.batch.size_bytes += len(raw)
                rows.append(_span_row(project, scope_id, span, raw))
    out.batch.spans = SpanColumns.from_rows(rows)
    out.batch.spans.agent_name = shown_agents_of(rows)
    return out


def _slices_of(slices: SpanSlices | None, i: int, j: int, count: int) -> list[bytes] | None:
    if slices is None or i >= len(slices) or j >= len(slices[i]) or len(slices[i][j]) != count:
        return None
    found: list[bytes] = slices[i][j]
    return found


def flatten_logs(request: PB2LogsRequest, project_of: ProjectOf) -> Flattened:
    out = Flattened()
    logs = out.batch.logs
    for i, resource_logs in enumerate(request.resource_logs):
        project = project_of(resource_logs.resource)
        resource = resource_logs.resource.SerializeToString()
        for j, scope_logs in enumerate(resource_logs.scope_logs):
            scope_id = _remember_scope(
                out.batch,
                resource,
                resource_logs.schema_url,
                scope_logs.scope,
                scope_logs.schema_url,
            )
            for k, record in enumerate(scope_logs.log_records):
                problem = _log_problem(record)
                if problem:
                    out.reject(f"resource_logs[{i}].scope_logs[{j}].log_records[{k}]", problem)
                    continue
                raw = record.SerializeToString()
                out.batch.size_bytes += len(raw)
                logs.project.append(project)
                logs.trace_id.append(record.trace_id.hex() or None)
                logs.span_id.append(record.span_id.hex() or None)
                logs.time_ns.append(record.time_unix_nano)
                logs.observed_ns.append(record.observed_time_unix_nano)
                logs.severity_number.append(record.severity_number)
                logs.severity_text.append(record.severity_text or None)
                logs.event_name.append(_event_name(record))
                logs.scope_id.append(scope_id)
                logs.raw.append(raw)
    return out


def _span_problem(span: PB2Span) -> str | None:
    problem = id_problem(span.trace_id, TRACE_ID_BYTES, "trace_id") or id_problem(
        span.span_id, SPAN_ID_BYTES, "span_id"
    )
    if problem:
        return problem
    if span.parent_span_id and len(span.parent_span_id) != SPAN_ID_BYTES:
        return f"parent_span_id must be empty or {SPAN_ID_BYTES} bytes, got {len(span.parent_span_id)}"
    if span.start_time_unix_nano > _INT64_MAX or span.end_time_unix_nano > _INT64_MAX:
        return "start or end time is beyond the year 2262"
    return None


def _log_problem(record: PB2LogRecord) -> str | None:
    if record.trace_id:
        problem = id_problem(record.trace_id, TRACE_ID_BYTES, "trace_id")
        if problem:
            return problem
    if record.span_id:
        problem = id_problem(record.span_id, SPAN_ID_BYTES, "span_id")
        if problem:
            return problem
    if record.span_id and not record.trace_id:
        return "span_id is set but trace_id is not"
    if record.time_unix_nano > _INT64_MAX or record.observed_time_unix_nano > _INT64_MAX:
        return "time is beyond the year 2262"
    return None


def span_fields(span: PB2Span, payload: SpanPayload | None = None, raw: bytes | None = None) -> tuple[Any, ...]:
    """A span's columns from ``span_id`` to ``output_tokens``, in ``SpanColumns`` order: its own
    fields, then the promoted attributes. Ingest stores them; trace reads derive them again
    from the stored payload (cheaper than reading a column each), so both read one status
    (``span_status``). A read passes the span's decoded ``payload`` (``codec.span_payload``),
    which it needs anyway: the promoted attributes are read from its values, not decoded
    from the protobuf a second time. ``raw``: the span's protobuf, when the caller has it."""
    parent = span.parent_span_id
    own = (
        span.span_id.hex(),
        parent.hex() if parent and parent != _ZERO_SPAN_ID else None,
        span.name,
        span.kind,
        span.start_time_unix_nano,
        span.end_time_unix_nano,
    )
    if payload is None:
        promoted = promote(span.attributes, span.name)
    else:
        promoted = promote_read(span.attributes, payload.attributes, span.name)
    return (*own, *span_status(span, own, promoted, payload, raw), *promoted)


def stored_span(project: str, trace_id: str, raw: bytes, resource: bytes, scope: bytes) -> StoredSpan:
    """A span as a trace read gives it back: its payload decoded once, its columns derived
    from it (``span_fields``)."""
    span = PB2Span.FromString(raw)
    payload = span_payload(span)
    fields = SpanFields._make(span_fields(span, payload, raw))
    return StoredSpan(project, trace_id, fields, raw, resource, scope, payload)


EXCEPTION_KEYS = ("exception.message", "exception.type")
"""Where an OTel ``exception`` event says why: its message, else its type."""


FAILED_RESULT_BYTES = (b'"error', b"\n\x05error", b"is_error", b"isError")
"""What a span's protobuf holds when a tool's result in it says the tool failed
(``genai.messages.read_result``): the state ``error`` as a JSON string (also inside a
JSON-encoded string, ``\\"error\\"``) or as an OTLP string value (a structured result: the
value's field tag and length before it), or the flag's name (``is_error``, ``isError``).
Each ends in ``rror`` and is at most 8 bytes long (``_may_say_failed``). A span holding none
of them is told apart by that alone: most tool spans are not normalized for the rule."""


def span_status(
    span: PB2Span,
    own: tuple[Any, ...],
    promoted: Sequence[Any],
    payload: SpanPayload | None = None,
    raw: bytes | None = None,
) -> tuple[int, str | None]:
    """The status a span is stored and read with (``status_code``, ``status_message``), the
    same for the trace list, the error analytics, the span view and the trajectory:

    - a failed span is failed for the reason its status describes; when its status says only
      that it failed, for the exception it recorded (OTel's ``exception`` event: its
      ``exception.message``, else its ``exception.type``; pydantic-ai's instrumentation
      version 6 sets a failed tool's status to ERROR with no description);
    - a span that recorded an exception and returned nothing (no tool result, output text or
      output messages, as the conventions read the span: ``genai.registry.normalize``)
      failed, whatever its status says: OTel keeps a status set OK before the failure was
      recorded (LangSmith's OTel export ends a failed run's span OK, then adds the
      ``exception`` event and asks for ERROR too late);
    - a tool's span whose recorded result says the tool failed (``genai.messages.read_result``:
      flagged ``is_error`` / ``isError``, or of ``state`` / ``status`` ``error``) failed, for
      the result's text (none when the result is still JSON after unwrapping), whatever its
      status says: AgentScope catches a tool's exception, ends its span OK and sends the
      exception's text back to the model as a ``ToolResponse`` of ``state: error``.

    ``own`` and ``promoted``: the span's fields before its status and after it, in
    ``span_fields`` order; ``payload``: its decoded payload, and ``raw``: its protobuf, when
    the caller has them. Most spans are told apart without normalizing them: by their events
    (none), their promoted operation (one that names no tool) or their bytes (none of
    ``FAILED_RESULT_BYTES``). Only the span's attributes and events are read, not the log
    records sent about it, which may come in another request. The payload keeps the status
    the span was sent with."""
    status = span.status
    code, message = status.code, status.message
    if code == STATUS_ERROR:
        return code, message or (_exception_message(span) if span.events else None)
    facts: SpanFacts | None = None
    exception = _exception_message(span) if span.events else None
    if exception is not None:
        facts = _facts(span, own, promoted, payload)
        if not _returned_something(facts):
            return STATUS_ERROR, exception
    if may_be_tool(promoted[_OPERATION]) and _may_say_failed(span, raw):
        result = _tool_result(facts or _facts(span, own, promoted, payload))
        if result is not None and result.failed:
            return STATUS_ERROR, result.failure
    return code, message or None


def _exception_message(span: PB2Span) -> str | None:
    """Why a span failed by the first exception it recorded that says why."""
    for event in span.events:
        if event.name == "exception":
            values = {kv.key: kv.value.string_value for kv in event.attributes if kv.key in EXCEPTION_KEYS}
            for key in EXCEPTION_KEYS:
                if values.get(key, "").strip():
                    return values[key].strip()
    return None


def _facts(span: PB2Span, own: tuple[Any, ...], promoted: Sequence[Any], payload: SpanPayload | None) -> SpanFacts:
    """The span as the conventions read it, with the status it was sent with."""
    fields = SpanFields._make((*own, span.status.code, span.status.message or None, *promoted))
    return normalize(fields, payload or span_payload(span), [], {})


def _returned_something(facts: SpanFacts) -> bool:
    """Whether a span recorded what it returned, as the conventions read it: a tool's result,
    an output text or output messages."""
    return facts.tool_result is not None or facts.output_text is not None or facts.output_messages is not None


def _may_say_failed(span: PB2Span, raw: bytes | None) -> bool:
    """Whether a span's bytes may hold a tool's result that says it failed: one of
    ``FAILED_RESULT_BYTES``, each ending in ``rror``, so one search for that (in C) and a look
    at the bytes before each it finds (most spans: none, or a few in a text that says error)."""
    found = raw if raw is not None else span.SerializeToString()
    at = found.find(b"rror")
    while at >= 0:
        if found[max(at - 4, 0) : at + 4].endswith(FAILED_RESULT_BYTES):
            return True
        at = found.find(b"rror", at + 4)
    return False


def _tool_result(facts: SpanFacts) -> ToolResult | None:
    """A tool span's recorded result, read (``genai.messages.read_result``); None for another span."""
    if facts.kind is not Kind.TOOL or facts.tool_result is None:
        return None
    return read_result(facts.tool_result)


def _span_row(project: str, scope_id: str, span: PB2Span, raw: bytes) -> tuple[Any, ...]:
    """One span as a row in ``SpanColumns`` order."""
    fields = span_fields(span, raw=raw)
    promoted = fields[_FIRST_PROMOTED:]
    return (
        project,
        span.trace_id.hex(),
        *fields,
        pricing.cost(promoted[_PROVIDER], promoted[_RESPONSE_MODEL] or promoted[_REQUEST_MODEL], *promoted[-2:]),
        scope_id,
        raw,
    )


def _event_name(record: PB2LogRecord) -> str | None:
    if record.event_name:
        return record.event_name
    for kv in record.attributes:
        if kv.key == "event.name" and kv.value.string_value:
            return kv.value.string_value
    return None


def _remember_scope(
    batch: IngestBatch,
    resource: bytes,
    resource_schema_url: str,
    scope: PB2Scope,
    scope_schema_url: str,
) -> str:
    scope_bytes = scope.SerializeToString()
    digest = hashlib.blake2b(digest_size=16)
    for part in (
        resource,
        resource_schema_url.encode(),
        scope_bytes,
        scope_schema_url.encode(),
    ):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    scope_id = digest.hexdigest()
    if scope_id not in batch.scopes:
        batch.scopes[scope_id] = ScopeRecord(scope_id, resource, resource_schema_url, scope_bytes, scope_schema_url)
    return scope_id
