"""Session reads for the API: the session list (from the session index) and one session's
trajectory (from its traces)."""

from __future__ import annotations

from tracechat.errors import NotFound
from tracechat.model.sessions import SessionFilter, SessionList, SessionTrajectory
from tracechat.query.service import TraceQueries, trace_facts
from tracechat.query.session import TraceOfSession, in_order, merge, read_traces

MAX_TRACES = 1000
"""Traces read for one session trajectory (the most recent, when a session has more)."""


class SessionQueries(TraceQueries):
    @classmethod
    def over(cls, traces: TraceQueries) -> SessionQueries:
        """Session reads over the store ``traces`` reads (itself when it reads sessions already)."""
        return traces if isinstance(traces, SessionQueries) else cls(traces._store, traces._max_spans)

    def list_sessions(self, project: str, where: SessionFilter, limit: int, offset: int) -> SessionList:
        rows, total = self._store.list_sessions(project, where, limit, offset)
        return SessionList(sessions=rows, total=total, limit=limit, offset=offset)

    def session_trajectory(self, project: str, session_id: str, include_feedback: bool = False) -> SessionTrajectory:
        entry = self._store.session(project, session_id)
        if entry is None:
            raise NotFound(f"no session {session_id!r} in project {project!r}")
        traces, logs = [], {}
        for trace_id in entry.trace_ids[-MAX_TRACES:]:
            stored = self._store.read_trace(project, trace_id)
            if stored is None or not stored.spans:
                continue
            facts, logs[trace_id] = trace_facts(stored.spans, stored.logs)
            traces.append(TraceOfSession(trace_id, facts, stored.root_span_name))
        ordered = in_order(traces)
        read = read_traces(ordered)
        if include_feedback:
            for trace, trajectory in zip(ordered, read, strict=True):
                self._attach_feedback(project, trajectory, trace.spans, logs[trace.trace_id])
        return merge(session_id, ordered, read, entry.summary)
