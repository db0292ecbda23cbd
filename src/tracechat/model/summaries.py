"""Trace summaries for lists and dashboards, read from the trace index alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

DEFAULT_WINDOW = timedelta(days=7)
"""The one default time window: the trace list (API and viewer) and the assistant's tools
look this far back unless asked for another window."""
DEFAULT_WINDOW_HOURS = int(DEFAULT_WINDOW.total_seconds()) // 3600

TextField = Literal[
    "user_message",
    "assistant_message",
    "system_instructions",
    "reasoning",
    "tool_arguments",
    "tool_result",
    "compaction_summary",
    "input",
    "output",
]
"""Which text of a span a search matched: a message by its role (``user_message``,
``assistant_message``, ``system_instructions``), ``reasoning``, a tool call's
``tool_arguments`` or ``tool_result``, a ``compaction_summary``, or the generic ``input`` /
``output`` of a span that recorded no messages."""


class SpanMatch(BaseModel):
    """A span whose text matched ``q``."""

    span_id: str | None = Field(description="The span the text was recorded on (null: a log record of no span).")
    field: TextField
    snippet: str = Field(description="The matching passage, up to about 160 characters.")


class TraceSummary(BaseModel):
    trace_id: str
    root_span_name: str | None
    started_at: datetime | None
    duration_ms: int | None
    agents: list[str] = Field(
        description="The agents its trajectory names (its agents' starts and its model calls' agents), "
        "decided as its spans arrived; `agent_name` filters by them."
    )
    models: list[str]
    span_count: int
    input_tokens: int | None
    output_tokens: int | None
    cost: float | None
    has_error: bool
    conversation_id: str | None = None
    matches: list[SpanMatch] = Field(
        default_factory=list,
        description="With q: the spans whose message text, tool arguments or tool results matched (at most 3, "
        "best first); empty when only the root span name, trace id, agent or model matched, and without q.",
    )


class SpanView(BaseModel):
    """One span as the viewer shows it: timing for the waterfall, everything else raw."""

    span_id: str
    parent_span_id: str | None
    name: str
    kind: str = Field(description="What tracechat reads the span as: agent, llm, tool, handoff, …")
    start_ns: int
    end_ns: int
    status_code: int = Field(
        description="The span's status code as sent (0 unset, 1 OK, 2 ERROR), but 2 for a span that recorded an "
        "exception and returned nothing, and for a tool's span whose recorded result says the tool failed "
        "(`is_error` / `isError`, `state` / `status` `error`), whatever status it was sent with (docs/storage.md)."
    )
    status_message: str | None = Field(
        description="The status's description; for a failed span whose status has none, the message of the exception "
        "it recorded (its `exception` event), else the exception's type; for a tool whose result says it failed, "
        "the result's text."
    )
    attributes: dict[str, Any]
    events: list[dict[str, Any]]
    resource: dict[str, Any]


class SpanList(BaseModel):
    trace_id: str
    spans: list[SpanView]


class TraceList(BaseModel):
    traces: list[TraceSummary]
    total: int
    limit: int
    offset: int
    since: datetime | None = Field(
        default=None, description="Where the listed window starts: `since` as asked, else 7 days before now."
    )


@dataclass(frozen=True, slots=True)
class TraceFilter:
    """What ``GET /agents/traces`` narrows by; None means no condition."""

    since_ns: int | None = None
    until_ns: int | None = None
    agent_name: str | None = None
    model: str | None = None
    has_error: bool | None = None
    text: str | None = None
    active_since_ns: int | None = None
    """Traces with activity since then: their last span ended at or after it, whenever they
    started (the assistant's "tokens by agent" reads traces so; ``since_ns`` is of the start)."""


@dataclass(frozen=True, slots=True)
class StoredFeedback:
    id: str
    trace_id: str
    span_id: str | None
    name: str
    score: float | None
    label: str | None
    value: Any
    comment: str | None
    author: str | None
    created_at: datetime
