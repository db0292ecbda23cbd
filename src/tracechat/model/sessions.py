"""Sessions: the traces of one conversation (each user turn often its own trace), tied by
the conversation id promoted at ingest. The list reads the session index alone; the
trajectory reads the session's traces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from tracechat.model.trajectory import AgentChatMessage, Feedback


class SessionSummary(BaseModel):
    session_id: str
    started_at: datetime | None = Field(description="When the session's first trace started.")
    last_at: datetime | None = Field(description="When the session's last trace ended.")
    turns: int = Field(description="Traces in the session (each usually one user turn).")
    input_tokens: int | None
    output_tokens: int | None
    cost: float | None = Field(description="Dollars, as the trace list counts them; null when no model is priced.")
    has_error: bool
    agents: list[str] = Field(description="The agents its traces' trajectories name (as the trace list's).")
    models: list[str]


class SessionList(BaseModel):
    sessions: list[SessionSummary]
    total: int
    limit: int
    offset: int
    since: datetime | None = Field(
        default=None, description="Where the listed window starts: `since` as asked, else 7 days before now."
    )


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """What ``GET /agents/sessions`` narrows by; None means no condition. A session is in
    the window when it was active in it (its last trace ended after ``since``, its first
    started before ``until``)."""

    since_ns: int | None = None
    until_ns: int | None = None
    agent_name: str | None = None


@dataclass(frozen=True, slots=True)
class SessionEntry:
    """The session index's row: its summary and its traces' ids."""

    summary: SessionSummary
    trace_ids: tuple[str, ...]


class SessionMessage(AgentChatMessage):
    trace_id: str = Field(description="The trace the entry comes from (its span_id is a span of that trace).")


class SessionTrace(BaseModel):
    """One trace of the session, in the order they ran."""

    trace_id: str
    root_span_name: str | None = None
    started_at: datetime | None = None
    total_duration_ms: int | None = None
    provider: str | None = None
    feedback: list[Feedback] | None = Field(default=None, description="Trace-level feedback, with include_feedback.")


class SessionTrajectory(BaseModel):
    session_id: str
    summary: SessionSummary | None = Field(default=None, description="The session's figures, as the list has them.")
    traces: list[SessionTrace]
    messages: list[SessionMessage] = Field(
        default_factory=list,
        description="The conversation over all the session's traces: each user turn, answer and tool call once.",
    )
