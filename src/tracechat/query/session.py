"""A session → one conversation over all its traces (``SessionTrajectory``).

Chat apps and agent frameworks trace each user turn as its own trace and tie them with a
conversation id; every later trace repeats the earlier turns in its model input. The
session is read the way one trace is (``query.trajectory``, every step and invariant of
it, per trace), with one difference: the traces are read in the order they started, and
each one is read knowing what the earlier ones showed (``trajectory.Known``):

- the conversation so far: a later trace's model input is compared with it as a model
  call's input is compared with the calls before it in one trace, so each user turn,
  answer and tool call shows once (a repeated question is a new turn when it is asked
  again: the messages are counted, not only compared);
- the agents met: an ``agent_start`` comes once per agent, again only when its
  instructions change.

What a reader remembers only within a run (the agent speaking, tool calls waiting for their
result) starts afresh with each trace: each is a new run of the app. Each entry names the
trace and the span it comes from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tracechat.genai.types import SpanFacts
from tracechat.model.sessions import SessionMessage, SessionSummary, SessionTrace, SessionTrajectory
from tracechat.model.times import time_of
from tracechat.model.trajectory import AgentChatTrajectory
from tracechat.query.content import ContentRefs
from tracechat.query.trajectory import Known, build_trajectory


@dataclass(frozen=True, slots=True)
class TraceOfSession:
    trace_id: str
    spans: list[SpanFacts]
    root_span_name: str | None

    @property
    def start_ns(self) -> int | None:
        return min((s.start_ns for s in self.spans), default=None)


def in_order(traces: Iterable[TraceOfSession]) -> list[TraceOfSession]:
    """The order the traces ran in: by their first span's start, then by id."""
    return sorted(traces, key=lambda t: (t.start_ns or 0, t.trace_id))


def read_traces(traces: Iterable[TraceOfSession]) -> list[AgentChatTrajectory]:
    """Each trace's trajectory in the order they ran, each read knowing the earlier ones."""
    known = Known()
    return [build_trajectory(t.trace_id, t.spans, t.root_span_name, ContentRefs(t.trace_id), known) for t in traces]


def merge(
    session_id: str,
    traces: list[TraceOfSession],
    read: list[AgentChatTrajectory],
    summary: SessionSummary | None = None,
) -> SessionTrajectory:
    """One trajectory out of the traces' (``read_traces``), each entry naming its trace."""
    messages = [
        SessionMessage.model_validate({**dict(message), "trace_id": trajectory.trace_id})
        for trajectory in read
        for message in trajectory.messages
    ]
    parts = [
        SessionTrace(
            trace_id=trajectory.trace_id,
            root_span_name=trajectory.root_span_name,
            started_at=time_of(trace.start_ns) if trace.start_ns is not None else None,
            total_duration_ms=trajectory.total_duration_ms,
            provider=trajectory.provider,
            feedback=trajectory.feedback,
        )
        for trace, trajectory in zip(traces, read, strict=True)
    ]
    return SessionTrajectory(session_id=session_id, summary=summary, traces=parts, messages=messages)


def build_session(session_id: str, traces: Iterable[TraceOfSession]) -> SessionTrajectory:
    ordered = in_order(traces)
    return merge(session_id, ordered, read_traces(ordered))
