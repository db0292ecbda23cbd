"""What ingest hands the store: rows of spans, log records and scopes, held column-wise.

Column lists (not one object per span) because a group commit moves tens of thousands of
spans and the store turns each list into one Arrow array without another pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

SPAN_TEXT_COLUMNS = (
    "operation",
    "agent_name",
    "request_model",
    "response_model",
    "provider",
    "tool_name",
    "conversation_id",
    "response_id",
)
"""Promoted span attributes held as text, in the order the promoter fills them."""

SPAN_INT_COLUMNS = ("input_tokens", "output_tokens")
"""Promoted span attributes held as integers."""


class SpanFields(NamedTuple):
    """A span's columns from ``span_id`` to ``output_tokens`` (``SpanColumns`` order, what
    ``ingest.flatten.span_fields`` returns) by name: what ``genai.registry.normalize`` reads
    of a span besides its payload."""

    span_id: str
    parent_span_id: str | None
    name: str
    kind: int
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str | None
    operation: str | None
    agent_name: str | None
    request_model: str | None
    response_model: str | None
    provider: str | None
    tool_name: str | None
    conversation_id: str | None
    response_id: str | None
    input_tokens: int | None
    output_tokens: int | None


SPAN_FIELDS = slice(2, 2 + len(SpanFields._fields))
"""Where a ``SpanFields`` is in a span row (after ``project`` and ``trace_id``)."""


@dataclass(slots=True)
class SpanColumns:
    project: list[str] = field(default_factory=list)
    trace_id: list[str] = field(default_factory=list)
    span_id: list[str] = field(default_factory=list)
    parent_span_id: list[str | None] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    start_ns: list[int] = field(default_factory=list)
    end_ns: list[int] = field(default_factory=list)
    status_code: list[int] = field(default_factory=list)
    status_message: list[str | None] = field(default_factory=list)
    operation: list[str | None] = field(default_factory=list)
    agent_name: list[str | None] = field(default_factory=list)
    request_model: list[str | None] = field(default_factory=list)
    response_model: list[str | None] = field(default_factory=list)
    provider: list[str | None] = field(default_factory=list)
    tool_name: list[str | None] = field(default_factory=list)
    conversation_id: list[str | None] = field(default_factory=list)
    response_id: list[str | None] = field(default_factory=list)
    input_tokens: list[int | None] = field(default_factory=list)
    output_tokens: list[int | None] = field(default_factory=list)
    cost: list[float | None] = field(default_factory=list)
    scope_id: list[str] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.span_id)

    @classmethod
    def from_rows(cls, rows: list[tuple[Any, ...]]) -> SpanColumns:
        """Columns from rows whose values are in field order (one transpose, in C)."""
        if not rows:
            return cls()
        return cls(*(list(column) for column in zip(*rows, strict=True)))


@dataclass(slots=True)
class LogColumns:
    project: list[str] = field(default_factory=list)
    trace_id: list[str | None] = field(default_factory=list)
    span_id: list[str | None] = field(default_factory=list)
    time_ns: list[int] = field(default_factory=list)
    observed_ns: list[int] = field(default_factory=list)
    severity_number: list[int] = field(default_factory=list)
    severity_text: list[str | None] = field(default_factory=list)
    event_name: list[str | None] = field(default_factory=list)
    scope_id: list[str] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.raw)


@dataclass(frozen=True, slots=True)
class ScopeRecord:
    """A resource and instrumentation scope, stored once and shared by the spans under it."""

    scope_id: str
    resource: bytes
    resource_schema_url: str
    scope: bytes
    scope_schema_url: str


@dataclass(slots=True)
class IngestBatch:
    """One export request, validated and flattened, ready for one commit."""

    spans: SpanColumns = field(default_factory=SpanColumns)
    logs: LogColumns = field(default_factory=LogColumns)
    scopes: dict[str, ScopeRecord] = field(default_factory=dict)
    size_bytes: int = 0

    @property
    def row_count(self) -> int:
        return len(self.spans) + len(self.logs)


@dataclass(frozen=True, slots=True)
class StoredCount:
    """What a commit stored of one request: its spans and log records that were new (one
    sent again, as OTLP retries do, is stored once and counted once)."""

    spans: int = 0
    logs: int = 0
