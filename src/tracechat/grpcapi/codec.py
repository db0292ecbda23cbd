"""The API's models ↔ the tracechat.v1 messages: pure functions, field for field.

Encoders take the models the HTTP API serializes, so both edges answer the same thing; a
None becomes an absent field (proto3 ``optional``), never a zero. Decoders check a request as
the HTTP routes check theirs (the same pydantic models and bounds) and raise
``InvalidRequest`` with their messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import json_format, struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import ValidationError

from tracechat.api.sessions import SessionRequest
from tracechat.api.traces import TrajectoryRequest
from tracechat.errors import InvalidRequest
from tracechat.model.names import model_family
from tracechat.model.sessions import SessionFilter, SessionList, SessionMessage, SessionSummary, SessionTrajectory
from tracechat.model.summaries import DEFAULT_WINDOW, TraceFilter, TraceList, TraceSummary
from tracechat.model.times import ns_of
from tracechat.model.trajectory import (
    AgentChatMessage,
    AgentChatTrajectory,
    AgentHandoff,
    AgentStart,
    AssistantMessage,
    ContextCompacted,
    Feedback,
    ToolCall,
    UserMessage,
)
from tracechat.v1 import query_pb2 as pb_query
from tracechat.v1 import session_pb2 as pb_session
from tracechat.v1 import trajectory_pb2 as pb

LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, Q_MAX = 50, 500, 200
QUIET_DEFAULT = timedelta(seconds=30)
QUIET_MAX = timedelta(hours=1)
_OFFSET_MAX = 2**63 - 1

# -- responses -------------------------------------------------------------------------------


def encode_trajectory(trajectory: AgentChatTrajectory) -> pb.AgentChatTrajectory:
    return pb.AgentChatTrajectory(
        trace_id=trajectory.trace_id,
        root_span_name=trajectory.root_span_name,
        provider=trajectory.provider,
        total_duration_ms=trajectory.total_duration_ms,
        messages=[encode_message(m) for m in trajectory.messages],
        feedback=[encode_feedback(f) for f in trajectory.feedback or ()],
    )


def encode_message(message: AgentChatMessage) -> pb.AgentChatMessage:
    encoded = pb.AgentChatMessage()
    _fill_message(encoded, message)
    return encoded


def _fill_message(encoded: pb.AgentChatMessage | pb_session.SessionMessage, message: AgentChatMessage) -> None:
    """Set the fields AgentChatMessage and SessionMessage share (the same names and numbers)."""
    encoded.type = message.type
    encoded.span_id = message.span_id
    if message.agent_name is not None:
        encoded.agent_name = message.agent_name
    if message.started_at is not None:
        encoded.started_at.FromDatetime(message.started_at)
    encoded.feedback.extend(encode_feedback(f) for f in message.feedback or ())
    entry = message.entry
    target = getattr(encoded, message.type)
    if isinstance(entry, AgentStart):
        target.CopyFrom(pb.AgentStart(**entry.model_dump()))
    elif isinstance(entry, UserMessage):
        target.CopyFrom(pb.UserMessage(**entry.model_dump()))
    elif isinstance(entry, AssistantMessage):
        fields = entry.model_dump(exclude={"tool_calls"})
        calls = [pb.RequestedToolCall(id=c.id, name=c.name) for c in entry.tool_calls or ()]
        target.CopyFrom(pb.AssistantMessage(**fields, tool_calls=calls))
    elif isinstance(entry, ToolCall):
        target.CopyFrom(pb.ToolCall(**entry.model_dump()))
    elif isinstance(entry, AgentHandoff):
        # the model allows extra fields (the seed leaves a handoff open); none is made yet,
        # and one made later needs a field number here first
        target.CopyFrom(pb.AgentHandoff(from_agent=entry.from_agent, to_agent=entry.to_agent))
    elif isinstance(entry, ContextCompacted):
        target.CopyFrom(pb.ContextCompacted(**entry.model_dump()))
    else:  # a new entry type: give it a field of the oneof first
        raise TypeError(f"no tracechat.v1 entry for {type(entry).__name__}")


def encode_feedback(feedback: Feedback) -> pb.Feedback:
    return pb.Feedback(
        id=feedback.id,
        name=feedback.name,
        score=feedback.score,
        label=feedback.label,
        value=_json_value(feedback.value),
        comment=feedback.comment,
        author=feedback.author,
        span_id=feedback.span_id,
        created_at=_timestamp(feedback.created_at),
        source=feedback.source,
    )


def _timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _json_value(value: Any) -> struct_pb2.Value | None:
    if value is None:
        return None
    return json_format.ParseDict(value, struct_pb2.Value())


def encode_trace_list(traces: TraceList) -> pb.TraceList:
    return pb.TraceList(
        traces=[encode_summary(t) for t in traces.traces],
        total=traces.total,
        limit=traces.limit,
        offset=traces.offset,
        since=_timestamp(traces.since),
    )


def encode_summary(summary: TraceSummary) -> pb.TraceSummary:
    return pb.TraceSummary(
        **summary.model_dump(exclude={"matches", "started_at"}),
        started_at=_timestamp(summary.started_at),
        matches=[pb.SpanMatch(span_id=m.span_id, field=m.field, snippet=m.snippet) for m in summary.matches],
    )


def encode_session_list(sessions: SessionList) -> pb_session.SessionList:
    return pb_session.SessionList(
        sessions=[encode_session_summary(s) for s in sessions.sessions],
        total=sessions.total,
        limit=sessions.limit,
        offset=sessions.offset,
        since=_timestamp(sessions.since),
    )


def encode_session_summary(summary: SessionSummary) -> pb_session.SessionSummary:
    return pb_session.SessionSummary(
        **summary.model_dump(exclude={"started_at", "last_at"}),
        started_at=_timestamp(summary.started_at),
        last_at=_timestamp(summary.last_at),
    )


def encode_session_trajectory(trajectory: SessionTrajectory) -> pb_session.SessionTrajectory:
    return pb_session.SessionTrajectory(
        session_id=trajectory.session_id,
        summary=encode_session_summary(trajectory.summary) if trajectory.summary is not None else None,
        traces=[
            pb_session.SessionTrace(
                trace_id=t.trace_id,
                root_span_name=t.root_span_name,
                started_at=_timestamp(t.started_at),
                total_duration_ms=t.total_duration_ms,
                provider=t.provider,
                feedback=[encode_feedback(f) for f in t.feedback or ()],
            )
            for t in trajectory.traces
        ],
        messages=[encode_session_message(m) for m in trajectory.messages],
    )


def encode_session_message(message: SessionMessage) -> pb_session.SessionMessage:
    encoded = pb_session.SessionMessage(trace_id=message.trace_id)
    _fill_message(encoded, message)
    return encoded


# -- requests --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TraceRef:
    project_id: str
    trace_id: str


def decode_trace_ref(project_id: str, trace_id: str) -> TraceRef:
    """A project and trace id checked as ``POST /agents/traces/chat`` checks them (with its
    request model)."""
    try:
        checked = TrajectoryRequest(project_id=project_id, trace_id=trace_id)
    except ValidationError as exc:
        raise InvalidRequest(_problems(exc)) from None
    return TraceRef(checked.project_id, checked.trace_id)


@dataclass(frozen=True, slots=True)
class SessionRef:
    project_id: str
    session_id: str


def decode_session_ref(project_id: str, session_id: str) -> SessionRef:
    """A project and session id checked as ``POST /agents/sessions/chat`` checks them (with
    its request model)."""
    try:
        checked = SessionRequest(project_id=project_id, session_id=session_id)
    except ValidationError as exc:
        raise InvalidRequest(_problems(exc)) from None
    return SessionRef(checked.project_id, checked.session_id)


def decode_quiet_for(request: pb_query.WatchTrajectoryRequest) -> timedelta:
    if not request.HasField("quiet_for"):
        return QUIET_DEFAULT
    quiet = request.quiet_for.ToTimedelta()
    if not timedelta(0) < quiet <= QUIET_MAX:
        raise InvalidRequest(f"quiet_for: must be more than 0 and at most {int(QUIET_MAX.total_seconds())} s")
    return quiet


@dataclass(frozen=True, slots=True)
class ListQuery:
    project_id: str | None
    where: TraceFilter
    limit: int
    offset: int
    since: datetime


def decode_list_request(request: pb_query.ListTracesRequest, now: datetime) -> ListQuery:
    """The parameters of ``GET /agents/traces``, bounded as that route bounds them."""
    limit, offset = _paging(request)
    if request.HasField("q") and len(request.q) > Q_MAX:
        raise InvalidRequest(f"q: at most {Q_MAX} characters")
    since = _moment(request.since) if request.HasField("since") else now - DEFAULT_WINDOW
    until = _moment(request.until) if request.HasField("until") else None
    where = TraceFilter(
        since_ns=ns_of(since),
        until_ns=ns_of(until),
        agent_name=request.agent_name if request.HasField("agent_name") else None,
        model=model_family(request.model) if request.HasField("model") and request.model else None,
        has_error=request.has_error if request.HasField("has_error") else None,
        text=request.q or None,
    )
    return ListQuery(request.project_id or None, where, limit, offset, since)


@dataclass(frozen=True, slots=True)
class SessionListQuery:
    project_id: str | None
    where: SessionFilter
    limit: int
    offset: int
    since: datetime


def decode_session_list_request(request: pb_query.ListSessionsRequest, now: datetime) -> SessionListQuery:
    """The parameters of ``GET /agents/sessions``, bounded as that route bounds them."""
    limit, offset = _paging(request)
    since = _moment(request.since) if request.HasField("since") else now - DEFAULT_WINDOW
    until = _moment(request.until) if request.HasField("until") else None
    where = SessionFilter(since_ns=ns_of(since), until_ns=ns_of(until), agent_name=request.agent_name or None)
    return SessionListQuery(request.project_id or None, where, limit, offset, since)


def _paging(request: pb_query.ListTracesRequest | pb_query.ListSessionsRequest) -> tuple[int, int]:
    limit = request.limit if request.HasField("limit") else LIST_LIMIT_DEFAULT
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise InvalidRequest(f"limit: must be from 1 to {LIST_LIMIT_MAX}")
    if not 0 <= request.offset <= _OFFSET_MAX:
        raise InvalidRequest("offset: must not be negative")
    return limit, request.offset


def _moment(stamp: Timestamp) -> datetime:
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidRequest("a timestamp out of range (years 1 to 9999)") from None


def _problems(exc: ValidationError) -> str:
    """The HTTP API's 422 message: ``field: problem`` for each problem."""
    return "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors())
