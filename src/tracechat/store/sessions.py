"""The session index: one row per conversation (project, session id), kept in the same
commit as the spans, so the session list reads it alone and never spans.

A trace belongs to the session its spans name (the promoted ``conversation_id``: OTel
``gen_ai.conversation.id``, ``session.id``, ``langfuse.session.id``, …), the first one the
trace index recorded for it. ``INDEX_SESSIONS`` runs before the trace index takes in the
commit's spans, so it can still see what the trace index knew before: a trace that was
stored without a session id and now names one joins its session with everything counted
for it so far; a trace already in a session adds only the commit's new spans.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from tracechat.model.names import MODEL_OF_SPAN_SQL, model_family
from tracechat.model.sessions import SessionEntry, SessionFilter, SessionSummary
from tracechat.model.times import time_of
from tracechat.store import sql

TABLE = """
CREATE TABLE IF NOT EXISTS sessions (
    project VARCHAR NOT NULL,
    session_id VARCHAR NOT NULL,
    start_ns BIGINT,
    end_ns BIGINT,
    trace_count BIGINT NOT NULL,
    trace_ids VARCHAR[] NOT NULL,
    has_error BOOLEAN NOT NULL,
    input_tokens BIGINT,
    output_tokens BIGINT,
    agent_input_tokens BIGINT,
    agent_output_tokens BIGINT,
    cost DOUBLE,
    agent_cost DOUBLE,
    agents VARCHAR[] NOT NULL,
    models VARCHAR[] NOT NULL,
    PRIMARY KEY (project, session_id)
);
-- As for traces: DuckDB serves a point lookup from a single-column index only.
CREATE INDEX IF NOT EXISTS sessions_by_session_id ON sessions (session_id);
"""

_SUMMED = ("input_tokens", "output_tokens", "agent_input_tokens", "agent_output_tokens", "cost", "agent_cost")

BACKFILL = f"""
INSERT INTO sessions
SELECT project, conversation_id, min(start_ns), max(end_ns), count(*), list(trace_id ORDER BY start_ns, trace_id),
    bool_or(has_error), {", ".join(f"sum({c})" for c in _SUMMED)},
    list_distinct(flatten(list(agents))), list_distinct(flatten(list(models)))
FROM traces WHERE conversation_id IS NOT NULL AND span_count > 0
GROUP BY project, conversation_id
"""
"""A store written before the session index: every session from the trace index."""

_AGGREGATE = f"operation IN {sql.AGGREGATING}"
"""Agent spans: their usage sums their calls', kept apart as in the trace index."""


def _plus(left: str, right: str) -> str:
    """NULL + NULL stays NULL (nothing reported); otherwise a missing side counts as zero."""
    return f"CASE WHEN {left} IS NULL AND {right} IS NULL THEN NULL ELSE coalesce({left}, 0) + coalesce({right}, 0) END"


def _before(column: str) -> str:
    """What the trace index held for a trace that joins its session in this commit (nothing
    for a trace already in one: its earlier spans were counted then)."""
    return f"CASE WHEN t.conversation_id IS NULL THEN t.{column} END"


INDEX_SESSIONS = f"""
INSERT INTO sessions
WITH {sql.COMMIT_SPANS},
batch_traces AS (
    SELECT project, trace_id, min(conversation_id) AS conversation_id,
        min(start_ns) AS start_ns, max(end_ns) AS end_ns, bool_or(status_code = 2) AS has_error,
        sum(input_tokens) FILTER (WHERE {sql.COUNTED}) AS input_tokens,
        sum(output_tokens) FILTER (WHERE {sql.COUNTED}) AS output_tokens,
        sum(input_tokens) FILTER (WHERE {_AGGREGATE}) AS agent_input_tokens,
        sum(output_tokens) FILTER (WHERE {_AGGREGATE}) AS agent_output_tokens,
        sum(cost) FILTER (WHERE {sql.COUNTED}) AS cost,
        sum(cost) FILTER (WHERE {_AGGREGATE}) AS agent_cost,
        coalesce(list_distinct(list(agent_name)), []) AS agents,
        coalesce(list_distinct(list({MODEL_OF_SPAN_SQL})), []) AS models
    FROM batch_spans
    GROUP BY project, trace_id
),
joined AS (
    SELECT n.project, coalesce(t.conversation_id, n.conversation_id) AS session_id,
        t.conversation_id IS NULL AS joins, n.trace_id,
        least(n.start_ns, {_before("start_ns")}) AS start_ns,
        greatest(n.end_ns, {_before("end_ns")}) AS end_ns,
        n.has_error OR coalesce({_before("has_error")}, false) AS has_error,
        {", ".join(f"{_plus('n.' + c, _before(c))} AS {c}" for c in _SUMMED)},
        list_concat(n.agents, coalesce({_before("agents")}, [])) AS agents,
        list_concat(n.models, coalesce({_before("models")}, [])) AS models
    FROM batch_traces n
    LEFT JOIN traces t ON t.project = n.project AND t.trace_id = n.trace_id
)
SELECT project, session_id, min(start_ns), max(end_ns), count(*) FILTER (WHERE joins),
    coalesce(list(trace_id ORDER BY start_ns, trace_id) FILTER (WHERE joins), []),
    bool_or(has_error), {", ".join(f"sum({c})" for c in _SUMMED)},
    list_distinct(flatten(list(agents))), list_distinct(flatten(list(models)))
FROM joined WHERE session_id IS NOT NULL
GROUP BY project, session_id
ON CONFLICT (project, session_id) DO UPDATE SET
    start_ns = least(sessions.start_ns, excluded.start_ns),
    end_ns = greatest(sessions.end_ns, excluded.end_ns),
    trace_count = sessions.trace_count + excluded.trace_count,
    trace_ids = list_concat(sessions.trace_ids, excluded.trace_ids),
    has_error = sessions.has_error OR excluded.has_error,
    {", ".join(f"{c} = {_plus('sessions.' + c, 'excluded.' + c)}" for c in _SUMMED)},
    agents = list_distinct(list_concat(sessions.agents, excluded.agents)),
    models = list_distinct(list_concat(sessions.models, excluded.models))
"""
"""Run in the commit, after the spans are inserted and before ``sql.INDEX_SPANS``. The
conversation id a trace takes is the least one among its first spans that name one,
as ``sql.INDEX_SPANS`` records it."""

LIST_COLUMNS = """
    session_id, start_ns, end_ns, trace_count,
    coalesce(input_tokens, agent_input_tokens), coalesce(output_tokens, agent_output_tokens),
    coalesce(cost, agent_cost), has_error, agents, models
"""

ENTRY = f"SELECT project, {LIST_COLUMNS}, trace_ids FROM sessions WHERE session_id = $session_id"
"""Every project's row for one session id, through the ``session_id`` index (the id is the
statement's sole predicate, as in ``sql.TRACE_ENTRY``); the caller keeps its project's."""


def list_where(*, since: bool, until: bool, agent: bool) -> str:
    """A session is listed when it was active in the window: its last trace ended at or
    after ``since`` and its first started before ``until``."""
    conditions = ["project = $project"]
    if since:
        conditions.append("end_ns >= $since")
    if until:
        conditions.append("start_ns < $until")
    if agent:
        conditions.append("list_contains(agents, $agent)")
    return " AND ".join(conditions)


def list_page(
    cursor: duckdb.DuckDBPyConnection, project: str, where: SessionFilter, limit: int, offset: int
) -> tuple[list[SessionSummary], int]:
    """A page of sessions, the most recently active first, and how many match in all."""
    since, until = where.since_ns is not None, where.until_ns is not None
    clause = list_where(since=since, until=until, agent=bool(where.agent_name))
    params: dict[str, Any] = {"project": project}
    optional = (("since", where.since_ns), ("until", where.until_ns), ("agent", where.agent_name))
    params.update({name: value for name, value in optional if value is not None})
    rows = cursor.execute(
        f"SELECT {LIST_COLUMNS}, count(*) OVER () FROM sessions WHERE {clause} "
        "ORDER BY end_ns DESC, session_id LIMIT $limit OFFSET $offset",
        {**params, "limit": limit, "offset": offset},
    ).fetchall()
    if rows:
        return [summary(row[:-1]) for row in rows], int(rows[0][-1])
    total = cursor.execute(f"SELECT count(*) FROM sessions WHERE {clause}", params).fetchone()
    return [], int(total[0]) if total else 0


def entry(cursor: duckdb.DuckDBPyConnection, project: str, session_id: str) -> SessionEntry | None:
    """The session's summary and its trace ids (in the order they joined), or None."""
    rows = cursor.execute(ENTRY, {"session_id": session_id}).fetchall()
    row = next((row[1:] for row in rows if row[0] == project), None)
    return SessionEntry(summary(row[:-1]), tuple(row[-1])) if row is not None else None


def summary(row: tuple[Any, ...]) -> SessionSummary:
    session_id, start_ns, end_ns, turns, tokens_in, tokens_out, cost, error, agents, models = row
    return SessionSummary(
        session_id=session_id,
        started_at=_time(start_ns),
        last_at=_time(end_ns),
        turns=turns,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost=round(cost, 8) if cost is not None else None,
        has_error=error,
        agents=list(agents),
        models=list(dict.fromkeys(model_family(m) for m in models)),
    )


def _time(ns: int | None) -> datetime | None:
    return time_of(ns) if ns is not None else None
