"""The shared trace index, feedback and batch ledger, in the catalog's PostgreSQL.

One row per trace, as the DuckDB store's ``traces`` table, plus the ids of the spans it
holds (so a span re-sent through any receiver counts once), the time range of its spans and
of its logs (a reader plans only those days' files) and the Iceberg sequence numbers of the
last commits that added to it (a reader whose table metadata is older reloads it first).

A group commit appends to Iceberg first, then ``record``s its batch here in one
transaction: the trace rows it touches that exist are locked in key order, its spans are
kept only if the locked rows do not hold them yet, the merged rows are written (those the
index did not hold inserted whole, once: a row another receiver inserted meanwhile makes
the transaction start again, creating the missing rows empty first), and the batch id with
them. A batch id recorded before makes ``record`` a no-op, so a
retry after an unknown outcome changes nothing.

Each row also lists the data files holding the trace's spans and its logs (``span_files``,
``log_files``), added in the same transaction from what the commit wrote (``files.Written``),
so a reader opens those files and plans nothing. NULL lists (rows indexed before migration
3) are unknown: their reads plan, until ``tracechat maintain`` backfills them. Maintenance
replacing files updates the lists of the traces they held in one transaction with the
retirement of the old files (``RETIRED``): a commit recording a retired file later (it was
between its two commits when compaction replaced the file) leaves it out, and orphan
removal keeps a retired file for the grace period, for a read that listed it just before.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg_pool import ConnectionPool

from tracechat.model.sessions import SessionEntry, SessionFilter, SessionSummary
from tracechat.model.stored import TraceIndexEntry
from tracechat.model.summaries import SpanMatch, StoredFeedback, TraceFilter
from tracechat.store import sessions, sql
from tracechat.store.iceberg import commitnotes, fulltext, tables, textindex
from tracechat.store.iceberg.spantotals import span_totals
from tracechat.store.iceberg.textindex import QueuedText
from tracechat.store.sql import like_escaped

TRACES = "tracechat_traces"
BATCHES = "tracechat_batches"
FEEDBACK = "tracechat_feedback"
SESSIONS = "tracechat_sessions"
RETIRED = "tracechat_retired_files"
TRACELESS_LOGS = "tracechat_traceless_logs"
VACUUMED = (TRACES, SESSIONS, BATCHES, RETIRED, textindex.QUEUE, fulltext.TEXTS)
"""The tables ``TraceIndex.vacuum`` vacuums: those whose rows are updated or deleted (trace and
session rows at every commit and by maintenance, the text queue's as the indexer empties it,
retired files as they age out), and the text, only inserted, whose GIN index keeps new
entries in a pending list every search reads through until a VACUUM merges them (375 pages,
7,011 entries at 1M spans as grown)."""

FILES_DDL = f"""
ALTER TABLE {TRACES} ADD COLUMN IF NOT EXISTS span_files text[];
ALTER TABLE {TRACES} ADD COLUMN IF NOT EXISTS log_files text[];
ALTER TABLE {TRACES} ALTER COLUMN span_files SET DEFAULT '{{}}';
ALTER TABLE {TRACES} ALTER COLUMN log_files SET DEFAULT '{{}}';
CREATE TABLE IF NOT EXISTS {RETIRED} (
    path text PRIMARY KEY,
    retired_at timestamptz NOT NULL DEFAULT now()
);
"""
"""Migration 4: rows that exist keep NULL lists (unknown: planned), new rows start empty."""

LOG_IDS_DDL = f"""
ALTER TABLE {TRACES} ADD COLUMN IF NOT EXISTS log_ids text[] NOT NULL DEFAULT '{{}}';
"""
"""Migration 5: the identities of a trace's log records (``tables.log_ids``), so a record sent
again is stored and counted once, as a span is by ``span_ids``. Records stored before are not
listed: one of them sent again after the upgrade is stored again."""

TRACELESS_LOGS_DDL = f"""
CREATE TABLE IF NOT EXISTS {TRACELESS_LOGS} (
    project text NOT NULL,
    log_id text NOT NULL,
    batch_id text NOT NULL,
    PRIMARY KEY (project, log_id)
);
"""
"""Migration 6: the identities (``tables.log_ids``) of the log records that name no trace, so
that one sent again in a later commit is stored and counted once, as ``log_ids`` does for a
trace's records. One row per such record, kept for good (about 180 bytes with its index, measured at 100,000 rows);
records stored before the upgrade are not listed: one of them sent again is stored again."""

_TOTALS = """has_error boolean NOT NULL DEFAULT false,
    input_tokens bigint,
    output_tokens bigint,
    agent_input_tokens bigint,
    agent_output_tokens bigint,
    cost double precision,
    agent_cost double precision,
    agents text[] NOT NULL DEFAULT '{}',
    models text[] NOT NULL DEFAULT '{}',"""
"""The columns a trace's and a session's index rows both total: errors, tokens, cost, agents, models."""

DDL = f"""
CREATE TABLE IF NOT EXISTS {TRACES} (
    project text NOT NULL,
    trace_id text NOT NULL,
    start_ns bigint,
    end_ns bigint,
    span_count bigint NOT NULL DEFAULT 0,
    log_count bigint NOT NULL DEFAULT 0,
    root_has_parent boolean,
    root_start_ns bigint,
    root_name text,
    root_span_id text,
    root_end_ns bigint,
    {_TOTALS}
    conversation_id text,
    log_start_ns bigint,
    log_end_ns bigint,
    span_seq bigint NOT NULL DEFAULT 0,
    log_seq bigint NOT NULL DEFAULT 0,
    span_ids text[] NOT NULL DEFAULT '{{}}',
    PRIMARY KEY (project, trace_id)
);
CREATE INDEX IF NOT EXISTS {TRACES}_newest ON {TRACES} (project, start_ns DESC, trace_id);
CREATE TABLE IF NOT EXISTS {BATCHES} (
    batch_id text PRIMARY KEY,
    spans bigint NOT NULL,
    logs bigint NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {FEEDBACK} (
    id text PRIMARY KEY,
    project text NOT NULL,
    trace_id text NOT NULL,
    span_id text,
    name text NOT NULL,
    score double precision,
    label text,
    value text,
    comment text,
    author text,
    created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS {FEEDBACK}_by_trace ON {FEEDBACK} (project, trace_id, created_at);
CREATE TABLE IF NOT EXISTS {SESSIONS} (
    project text NOT NULL,
    session_id text NOT NULL,
    start_ns bigint,
    end_ns bigint,
    trace_count bigint NOT NULL DEFAULT 0,
    trace_ids text[] NOT NULL DEFAULT '{{}}',
    {_TOTALS}
    PRIMARY KEY (project, session_id)
);
CREATE INDEX IF NOT EXISTS {SESSIONS}_active ON {SESSIONS} (project, end_ns DESC, session_id);
"""

SPAN_AGGREGATES = f"""
WITH {sql.commit_spans("new_spans", "true")}
SELECT project, trace_id, min(start_ns), max(end_ns), count(*), {sql.SPAN_TOTALS}, list(span_id)
FROM batch_spans GROUP BY project, trace_id
"""
"""Per trace, what a batch's new spans add to the index (DuckDB, over the Arrow rows): the
DuckDB store's own rules (``store.sql.SPAN_TOTALS``), over the commit's new spans. A commit
computes the same with pyarrow (``spantotals.span_totals``, ~10 ms a commit less); this
query is what the tests hold it to."""

LOG_AGGREGATES = """
SELECT project, trace_id, count(*), min(epoch_ns("time")), max(epoch_ns("time"))
FROM new_logs WHERE trace_id IS NOT NULL GROUP BY project, trace_id
"""


@dataclass(frozen=True, slots=True)
class TraceRow:
    """One row of the index, in the table's column order (the file lists last: migration 4
    added them)."""

    project: str
    trace_id: str
    start_ns: int | None = None
    end_ns: int | None = None
    span_count: int = 0
    log_count: int = 0
    root_has_parent: bool | None = None
    root_start_ns: int | None = None
    root_name: str | None = None
    root_span_id: str | None = None
    root_end_ns: int | None = None
    has_error: bool = False
    input_tokens: int | None = None
    output_tokens: int | None = None
    agent_input_tokens: int | None = None
    agent_output_tokens: int | None = None
    cost: float | None = None
    agent_cost: float | None = None
    agents: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    conversation_id: str | None = None
    log_start_ns: int | None = None
    log_end_ns: int | None = None
    span_seq: int = 0
    log_seq: int = 0
    span_ids: tuple[str, ...] = ()
    span_files: tuple[str, ...] | None = ()
    """Locations of the data files holding the trace's spans; None: unknown (plan them)."""
    log_files: tuple[str, ...] | None = ()
    log_ids: tuple[str, ...] = ()
    """The identities of the trace's log records (``tables.log_ids``; migration 5)."""

    @property
    def root(self) -> tuple[Any, ...] | None:
        """What orders root candidates: a parentless span first, then the earliest."""
        if self.root_has_parent is None:
            return None
        return (self.root_has_parent, self.root_start_ns, self.root_name, self.root_span_id, self.root_end_ns)


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One row of the session index, in the table's column order (as ``store.sessions``)."""

    project: str
    session_id: str
    start_ns: int | None = None
    end_ns: int | None = None
    trace_count: int = 0
    trace_ids: tuple[str, ...] = ()
    has_error: bool = False
    input_tokens: int | None = None
    output_tokens: int | None = None
    agent_input_tokens: int | None = None
    agent_output_tokens: int | None = None
    cost: float | None = None
    agent_cost: float | None = None
    agents: tuple[str, ...] = ()
    models: tuple[str, ...] = ()


_SESSION_COLUMNS = [f.name for f in fields(SessionRow)]


def session_delta(old: TraceRow, new: TraceRow, merged: TraceRow) -> tuple[SessionRow, bool] | None:
    """What a commit adds to the session of a trace, and whether the trace joins it: a trace
    that names its session for the first time brings everything counted for it so far
    (``merged``); a trace already in one adds the commit's new spans only (``new``), as the
    DuckDB store's ``store.sessions.INDEX_SESSIONS``."""
    if merged.conversation_id is None:
        return None
    joins = old.conversation_id is None
    source = merged if joins else new
    return SessionRow(
        merged.project,
        merged.conversation_id,
        source.start_ns,
        source.end_ns,
        1 if joins else 0,
        (merged.trace_id,) if joins else (),
        source.has_error,
        source.input_tokens,
        source.output_tokens,
        source.agent_input_tokens,
        source.agent_output_tokens,
        source.cost,
        source.agent_cost,
        source.agents,
        source.models,
    ), joins


def merge_session(old: SessionRow, new: SessionRow) -> SessionRow:
    return replace(
        old,
        start_ns=_least(old.start_ns, new.start_ns),
        end_ns=_greatest(old.end_ns, new.end_ns),
        trace_count=old.trace_count + new.trace_count,
        trace_ids=(*old.trace_ids, *new.trace_ids),
        has_error=old.has_error or new.has_error,
        input_tokens=_total(old.input_tokens, new.input_tokens),
        output_tokens=_total(old.output_tokens, new.output_tokens),
        agent_input_tokens=_total(old.agent_input_tokens, new.agent_input_tokens),
        agent_output_tokens=_total(old.agent_output_tokens, new.agent_output_tokens),
        cost=_sum(old.cost, new.cost),
        agent_cost=_sum(old.agent_cost, new.agent_cost),
        agents=_union(old.agents, new.agents),
        models=_union(old.models, new.models),
    )


_COLUMNS = [f.name for f in fields(TraceRow)]
_SELECT = ", ".join(_COLUMNS)
_BIGINT, _TEXT, _TEXTS, _BOOL, _DOUBLE = "bigint", "text", "text[]", "boolean", "double precision"
_TRACE_TYPES = {
    "project": _TEXT,
    "trace_id": _TEXT,
    **dict.fromkeys(["start_ns", "end_ns", "span_count", "log_count"], _BIGINT),
    "root_has_parent": _BOOL,
    "root_start_ns": _BIGINT,
    "root_name": _TEXT,
    "root_span_id": _TEXT,
    "root_end_ns": _BIGINT,
    "has_error": _BOOL,
    **dict.fromkeys(["input_tokens", "output_tokens", "agent_input_tokens", "agent_output_tokens"], _BIGINT),
    "cost": _DOUBLE,
    "agent_cost": _DOUBLE,
    "agents": _TEXTS,
    "models": _TEXTS,
    "conversation_id": _TEXT,
    **dict.fromkeys(["log_start_ns", "log_end_ns", "span_seq", "log_seq"], _BIGINT),
    "span_ids": _TEXTS,
    "span_files": _TEXTS,
    "log_files": _TEXTS,
    "log_ids": _TEXTS,
}
_SESSION_TYPES = {
    "project": _TEXT,
    "session_id": _TEXT,
    **dict.fromkeys(["start_ns", "end_ns", "trace_count"], _BIGINT),
    "trace_ids": _TEXTS,
    "has_error": _BOOL,
    **dict.fromkeys(["input_tokens", "output_tokens", "agent_input_tokens", "agent_output_tokens"], _BIGINT),
    "cost": _DOUBLE,
    "agent_cost": _DOUBLE,
    "agents": _TEXTS,
    "models": _TEXTS,
}
assert list(_TRACE_TYPES) == _COLUMNS
assert list(_SESSION_TYPES) == _SESSION_COLUMNS


def _json_value(value: Any) -> Any:
    """A column value as JSON carries it to PostgreSQL: a non-finite float (JSON has none)
    as the text PostgreSQL reads as one."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def update_rows(
    con: psycopg.Connection[tuple[Any, ...]], table: str, key: str, types: dict[str, str], rows: list[list[Any]]
) -> None:
    """Overwrite ``rows`` (every column of ``types``, in its order; the first two the key:
    project and ``key``) in one statement: one round trip for the whole commit, where one
    ``UPDATE`` per row cost a commit of a few hundred traces as much as its Iceberg commit."""
    if not rows:
        return
    names = list(types)
    document = json.dumps([dict(zip(names, map(_json_value, row), strict=True)) for row in rows], allow_nan=False)
    assignments = ", ".join(f"{name} = r.{name}" for name in names[2:])
    columns = ", ".join(f"{name} {kind}" for name, kind in types.items())
    con.execute(
        f"UPDATE {table} AS t SET {assignments} FROM jsonb_to_recordset(%s::jsonb) AS r({columns})"
        f" WHERE t.project = r.project AND t.{key} = r.{key}",
        [document],
    )


def insert_rows(
    con: psycopg.Connection[tuple[Any, ...]], table: str, key: str, types: dict[str, str], rows: list[list[Any]]
) -> int:
    """Insert ``rows`` whole (as ``update_rows`` takes them) in key order, in one statement;
    those whose key is taken already are left out: how many were inserted."""
    if not rows:
        return 0
    names = list(types)
    document = json.dumps([dict(zip(names, map(_json_value, row), strict=True)) for row in rows], allow_nan=False)
    columns = ", ".join(f"{name} {kind}" for name, kind in types.items())
    done = con.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)}"
        f" FROM jsonb_to_recordset(%s::jsonb) AS r({columns}) ORDER BY project, {key} ON CONFLICT DO NOTHING",
        [document],
    )
    return done.rowcount


class _RowRaced(Exception):
    """A trace row ``TraceIndex.record`` meant to insert was inserted by another receiver first."""


def _total(old: int | None, new: int | None) -> int | None:
    """NULL + NULL stays NULL (nothing reported); otherwise a missing side counts as zero."""
    return None if old is None and new is None else (old or 0) + (new or 0)


def _sum(old: float | None, new: float | None) -> float | None:
    return None if old is None and new is None else (old or 0.0) + (new or 0.0)


def _least(old: int | None, new: int | None) -> int | None:
    return new if old is None else old if new is None else min(old, new)


def _greatest(old: int | None, new: int | None) -> int | None:
    return new if old is None else old if new is None else max(old, new)


def _union(old: tuple[str, ...], new: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*old, *new)))


def merge_spans(old: TraceRow, new: TraceRow) -> TraceRow:
    """``old`` with the spans aggregated in ``new`` (none of which ``old`` holds) added."""
    root = new if old.root is None or (new.root is not None and new.root < old.root) else old
    return replace(
        old,
        start_ns=_least(old.start_ns, new.start_ns),
        end_ns=_greatest(old.end_ns, new.end_ns),
        span_count=old.span_count + new.span_count,
        root_has_parent=root.root_has_parent,
        root_start_ns=root.root_start_ns,
        root_name=root.root_name,
        root_span_id=root.root_span_id,
        root_end_ns=root.root_end_ns,
        has_error=old.has_error or new.has_error,
        input_tokens=_total(old.input_tokens, new.input_tokens),
        output_tokens=_total(old.output_tokens, new.output_tokens),
        agent_input_tokens=_total(old.agent_input_tokens, new.agent_input_tokens),
        agent_output_tokens=_total(old.agent_output_tokens, new.agent_output_tokens),
        cost=_sum(old.cost, new.cost),
        agent_cost=_sum(old.agent_cost, new.agent_cost),
        agents=_union(old.agents, new.agents),
        models=_union(old.models, new.models),
        conversation_id=old.conversation_id if old.conversation_id is not None else new.conversation_id,
        span_seq=max(old.span_seq, new.span_seq),
        span_ids=(*old.span_ids, *new.span_ids),
    )


def merge_logs(old: TraceRow, count: int, start_ns: int, end_ns: int, seq: int) -> TraceRow:
    return replace(
        old,
        log_count=old.log_count + count,
        log_start_ns=_least(old.log_start_ns, start_ns),
        log_end_ns=_greatest(old.log_end_ns, end_ns),
        log_seq=max(old.log_seq, seq),
    )


def _span_aggregate(row: tuple[Any, ...], seq: int) -> TraceRow:
    (
        project,
        trace_id,
        start,
        end,
        count,
        root,
        error,
        tin,
        tout,
        ain,
        aout,
        cost,
        acost,
        agents,
        models,
        conv,
        ids,
    ) = row
    return TraceRow(
        project,
        trace_id,
        start,
        end,
        count,
        root_has_parent=root["has_parent"],
        root_start_ns=root["start_ns"],
        root_name=root["name"],
        root_span_id=root["span_id"],
        root_end_ns=root["end_ns"],
        has_error=bool(error),
        input_tokens=_int(tin),
        output_tokens=_int(tout),
        agent_input_tokens=_int(ain),
        agent_output_tokens=_int(aout),
        cost=cost,
        agent_cost=acost,
        agents=tuple(agents),
        models=tuple(models),
        conversation_id=conv,
        span_seq=seq,
        span_ids=tuple(ids),
    )


def _int(value: Any) -> int | None:
    """DuckDB sums BIGINTs into HUGEINTs (Python ints already, or None)."""
    return None if value is None else int(value)


def _row(values: Sequence[Any]) -> TraceRow:
    row = TraceRow(*values)
    return replace(
        row,
        agents=tuple(row.agents),
        models=tuple(row.models),
        span_files=_paths(row.span_files),
        log_files=_paths(row.log_files),
        span_ids=tuple(row.span_ids),
        log_ids=tuple(row.log_ids),
    )


def _paths(paths: Sequence[str] | None) -> tuple[str, ...] | None:
    return tuple(paths) if paths is not None else None


def _listed(old: tuple[str, ...] | None, new: Sequence[str], retired: set[str]) -> tuple[str, ...] | None:
    """``old`` with ``new`` added, each once, but those of ``new`` maintenance has retired;
    an unknown list stays unknown (the files written before it was kept are not in it)."""
    if old is None:
        return None
    return tuple(dict.fromkeys((*old, *(path for path in new if path not in retired))))


@dataclass(frozen=True, slots=True)
class Recorded:
    """What ``TraceIndex.record`` added: the keys of the new spans (project, trace id, span
    id) and the ids of the new log records (``tables.log_ids``)."""

    spans: set[tuple[str, str, str]]
    logs: set[str]


@dataclass(frozen=True, slots=True)
class BatchFiles:
    """The data files a commit wrote, per trace (``files.Written.traces``)."""

    spans: Mapping[tuple[str, str], Sequence[str]] = field(default_factory=dict)
    logs: Mapping[tuple[str, str], Sequence[str]] = field(default_factory=dict)

    def paths(self) -> list[str]:
        return sorted({p for by_trace in (self.spans, self.logs) for paths in by_trace.values() for p in paths})


def without_spans(spans: pa.Table, held: dict[tuple[str, str], set[str]]) -> pa.Table:
    """``spans`` without the rows whose span id ``held`` lists for their trace."""
    if not held:
        return spans
    columns = zip(
        spans.column("project").to_pylist(),
        spans.column("trace_id").to_pylist(),
        spans.column("span_id").to_pylist(),
        strict=True,
    )
    fresh = [i for i, (p, t, s) in enumerate(columns) if s not in held.get((p, t), ())]
    return spans if len(fresh) == spans.num_rows else spans.take(pa.array(fresh, pa.int64()))


def _keys_param(keys: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    ordered = sorted(set(keys))
    return [k[0] for k in ordered], [k[1] for k in ordered]


def _add_traceless_logs(con: psycopg.Connection[tuple[Any, ...]], batch_id: str, logs: pa.Table | None) -> set[str]:
    """List the batch's log records of no trace in ``TRACELESS_LOGS``; the ids of those it
    listed first (the others another batch listed: sent again, by a retry that went to
    another receiver and appended them at the same time)."""
    if logs is None or not logs.num_rows:
        return set()
    no_trace = pc.is_null(logs.column("trace_id"))
    if not pc.any(no_trace).as_py():
        return set()
    of_none = logs.filter(no_trace)
    listed = con.execute(
        f"INSERT INTO {TRACELESS_LOGS} (project, log_id, batch_id)"
        " SELECT p, i, %s FROM unnest(%s::text[], %s::text[]) AS n(p, i) ORDER BY 1, 2"
        " ON CONFLICT DO NOTHING RETURNING log_id",
        [batch_id, of_none.column("project").to_pylist(), tables.row_log_ids(of_none)],
    ).fetchall()
    return {row[0] for row in listed}


_OF_KEYS = "(project, trace_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"


class TraceIndex:
    """The index over one PostgreSQL database. Thread-safe: every call takes a pooled
    connection; ``record`` is the group commit's (one writer thread per process)."""

    def __init__(self, pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]]) -> None:
        self._pool = pool
        self._duck = duckdb.connect(":memory:", config={"threads": 1})

    def ensure_schema(self) -> None:
        """Bring tracechat's PostgreSQL tables to this build's version (``pgschema``)."""
        from tracechat.store.iceberg import pgschema

        with self._pool.connection() as con:
            pgschema.migrate(con)

    def connection(self) -> AbstractContextManager[psycopg.Connection[tuple[Any, ...]]]:
        """A pooled connection (autocommit), for a read of the index's tables."""
        return self._pool.connection()

    # -- writing ---------------------------------------------------------------------------

    def stored_span_ids(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
        """The span ids the index holds for these traces (committed before; no lock): a
        batch need not append them to Iceberg again."""
        return self._stored_ids(keys, "span_ids", "span_count")

    def stored_log_ids(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
        """The log record ids the index holds for these traces (as ``stored_span_ids``)."""
        return self._stored_ids(keys, "log_ids", "log_count")

    def stored_traceless_log_ids(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those of these (project, log id) of records of no trace the index holds (committed
        before; no lock): a batch need not append them to Iceberg again."""
        projects, ids = _keys_param(keys)
        if not projects:
            return set()
        with self._pool.connection() as con:
            rows = con.execute(
                f"SELECT project, log_id FROM {TRACELESS_LOGS}"
                " WHERE (project, log_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                [projects, ids],
            ).fetchall()
        return {(p, i) for p, i in rows}

    def _stored_ids(self, keys: Iterable[tuple[str, str]], ids: str, count: str) -> dict[tuple[str, str], set[str]]:
        projects, traces = _keys_param(keys)
        if not projects:
            return {}
        with self._pool.connection() as con:
            rows = con.execute(
                f"SELECT project, trace_id, {ids} FROM {TRACES} WHERE {_OF_KEYS} AND {count} > 0",
                [projects, traces],
            ).fetchall()
        return {(p, t): set(found) for p, t, found in rows}

    def record(
        self,
        batch_id: str,
        spans: pa.Table | None,
        logs: pa.Table | None,
        span_seq: int,
        log_seq: int,
        text: QueuedText | None = None,
        files: BatchFiles = BatchFiles(),
    ) -> Recorded | None:
        """Add a committed batch's spans and logs to the index, once: what it added (the spans
        and log records the locked rows did not hold yet), or None when the batch id was
        recorded before (nothing changes then). ``text``: the files whose text the text
        indexer is to read (``textindex``), queued in the same transaction with the spans
        the index held already (their text is left out); None: the text index is off.
        ``files``: the data files the batch wrote, listed in its traces' rows (``span_files``,
        ``log_files``)."""
        keys: set[tuple[str, str]] = set()
        for table in (spans, logs):
            if table is not None:
                pairs = zip(table.column("project").to_pylist(), table.column("trace_id").to_pylist(), strict=True)
                keys.update((p, t) for p, t in pairs if t is not None)
        try:
            return self._record(batch_id, keys, spans, logs, span_seq, log_seq, text, files, create_first=False)
        except _RowRaced:  # rolled back: another receiver created one of the new rows meanwhile
            return self._record(batch_id, keys, spans, logs, span_seq, log_seq, text, files, create_first=True)

    def _record(
        self,
        batch_id: str,
        keys: set[tuple[str, str]],
        spans: pa.Table | None,
        logs: pa.Table | None,
        span_seq: int,
        log_seq: int,
        text: QueuedText | None,
        files: BatchFiles,
        *,
        create_first: bool,
    ) -> Recorded | None:
        """``record``'s transaction. The rows the index holds are locked in key order; the
        missing ones are inserted whole, once merged, in key order (``create_first=False``:
        one write of each new row and its index entries), and one another receiver inserted
        in between raises ``_RowRaced``, the transaction rolled back. ``create_first``: every
        missing row is inserted empty first, then all are locked (two writes of a new row,
        but no race left to lose)."""
        with self._pool.connection() as con, con.transaction():
            inserted = con.execute(
                f"INSERT INTO {BATCHES} (batch_id, spans, logs, text_queued) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                [
                    batch_id,
                    spans.num_rows if spans is not None else 0,
                    logs.num_rows if logs is not None else 0,
                    text is not None,
                ],
            )
            if not inserted.rowcount:
                return None
            traceless = _add_traceless_logs(con, batch_id, logs)
            if not keys:
                return Recorded(set(), traceless)
            projects, traces = _keys_param(keys)
            if create_first:
                con.execute(
                    f"INSERT INTO {TRACES} (project, trace_id)"
                    " SELECT * FROM unnest(%s::text[], %s::text[]) ORDER BY 1, 2 ON CONFLICT DO NOTHING",
                    [projects, traces],
                )
            # Lock the rows in key order: two receivers adding spans of one trace wait for
            # each other here (or at the insert of a new row), and neither counts a span twice.
            locked = con.execute(
                f"SELECT {_SELECT} FROM {TRACES} WHERE {_OF_KEYS} ORDER BY project, trace_id FOR UPDATE",
                [projects, traces],
            ).fetchall()
            rows = {(r.project, r.trace_id): r for r in map(_row, locked)}
            new_keys = sorted(keys - rows.keys())
            rows.update((key, TraceRow(*key)) for key in new_keys)
            before = dict(rows)
            added = self._add_spans(rows, spans, span_seq)
            new_logs = self._add_logs(rows, logs, log_seq)
            _add_files(rows, files, _retired(con, files.paths()))
            created_keys = set(new_keys)
            if new_keys:
                created = insert_rows(con, TRACES, "trace_id", _TRACE_TYPES, [_values(rows[key]) for key in new_keys])
                if created < len(new_keys):
                    raise _RowRaced
            if text is not None:
                textindex.enqueue(con, batch_id, text, _skipped(spans, added))
            self._index_sessions(con, [(before[key], new, rows[key]) for key, new in added.items()])
            commitnotes.notify(con, (trace_id for _, trace_id in keys))  # every node's watches
            held = [_values(row) for key, row in rows.items() if key not in created_keys]
            update_rows(con, TRACES, "trace_id", _TRACE_TYPES, held)
        new_spans = {(p, t, span_id) for (p, t), row in added.items() for span_id in row.span_ids}
        return Recorded(new_spans, new_logs | traceless)

    # -- the files of traces, for maintenance -----------------------------------------------

    def replace_files(self, kind: str, old: Sequence[str], new: Mapping[tuple[str, str], Sequence[str]]) -> None:
        """After maintenance committed files ``new`` in place of ``old`` in table ``kind``
        ("span" or "log"): in one transaction, ``old`` are retired and each trace of ``new``
        lists its new files instead of the old ones (a row not made yet, a commit between its
        two steps, is made here empty; its commit then adds its spans and not the retired
        file). Rows are locked in key order, as a commit locks them."""
        column = _files_column(kind)
        with self._pool.connection() as con, con.transaction():
            con.execute(f"INSERT INTO {RETIRED} (path) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING", [list(old)])
            if not new:
                return
            projects, traces = _keys_param(new)
            con.execute(
                f"INSERT INTO {TRACES} (project, trace_id)"
                " SELECT * FROM unnest(%s::text[], %s::text[]) ORDER BY 1, 2 ON CONFLICT DO NOTHING",
                [projects, traces],
            )
            con.execute(
                f"SELECT 1 FROM {TRACES} WHERE {_OF_KEYS} ORDER BY project, trace_id FOR UPDATE", [projects, traces]
            )
            document = json.dumps([{"project": p, "trace_id": t, "files": list(f)} for (p, t), f in new.items()])
            con.execute(
                f"UPDATE {TRACES} AS t SET {column} = ARRAY(SELECT DISTINCT f FROM unnest(t.{column} || r.files) AS f"
                " WHERE f <> ALL(%s::text[]) ORDER BY f)"
                " FROM jsonb_to_recordset(%s::jsonb) AS r(project text, trace_id text, files text[])"
                f" WHERE t.project = r.project AND t.trace_id = r.trace_id AND t.{column} IS NOT NULL",
                [list(old), document],
            )

    def retired_since(self, seconds: float, *, keep_rows_s: float) -> set[str]:
        """Files retired less than ``seconds`` ago (orphan removal keeps them); rows retired
        longer than ``keep_rows_s`` ago are dropped (no commit is still between its steps)."""
        with self._pool.connection() as con:
            con.execute(f"DELETE FROM {RETIRED} WHERE retired_at < now() - make_interval(secs => %s)", [keep_rows_s])
            rows = con.execute(
                f"SELECT path FROM {RETIRED} WHERE retired_at >= now() - make_interval(secs => %s)", [seconds]
            ).fetchall()
        return {row[0] for row in rows}

    def still_listed(self, paths: Sequence[str]) -> set[str]:
        """Those of ``paths`` some trace row lists (a scan of the index: maintenance only)."""
        if not paths:
            return set()
        with self._pool.connection() as con:
            rows = con.execute(
                f"SELECT DISTINCT f FROM {TRACES}, unnest(coalesce(span_files, '{{}}') || coalesce(log_files, '{{}}'))"
                " AS f WHERE (span_files && %s::text[] OR log_files && %s::text[]) AND f = ANY(%s::text[])",
                [list(paths)] * 3,
            ).fetchall()
        return {row[0] for row in rows}

    def forget_files(self, paths: Sequence[str]) -> int:
        """Make unknown (NULL) the lists of the rows listing any of ``paths``: files the table
        no longer holds (maintenance stopped between its Iceberg commit and its index
        transaction). ``backfill`` lists them again; meanwhile their reads plan."""
        if not paths:
            return 0
        with self._pool.connection() as con:
            done = con.execute(
                f"UPDATE {TRACES} SET span_files = NULL, log_files = NULL"
                " WHERE span_files && %s::text[] OR log_files && %s::text[]",
                [list(paths), list(paths)],
            )
        return done.rowcount

    def vacuum(self) -> list[str]:
        """``VACUUM`` the tables commits and maintenance rewrite rows of (``VACUUMED``), for
        ``maintain`` after its index transactions: a compaction re-pointing the lists of every
        trace of a partition, or a re-listing of every row indexed before the lists, leaves a
        dead version of each row and of its index entries, which a commit could not reuse
        until autovacuum came by. ``INDEX_CLEANUP ON``: the index entries too, even when few
        (PostgreSQL skips them then, leaving the rows' line pointers); ``ANALYZE``: the
        planner's counts after the rewrite. It returns no space to the filesystem (VACUUM
        FULL would, locking out the receivers). Which tables it vacuumed."""
        with self._pool.connection() as con:  # autocommit: VACUUM runs outside a transaction
            for table in VACUUMED:
                con.execute(f"VACUUM (ANALYZE, INDEX_CLEANUP ON) {table}")
        return list(VACUUMED)

    def unlisted_projects(self) -> list[str]:
        """Projects with rows whose file lists are unknown (indexed before migration 4)."""
        with self._pool.connection() as con:
            rows = con.execute(
                f"SELECT DISTINCT project FROM {TRACES} WHERE span_files IS NULL OR log_files IS NULL ORDER BY 1"
            ).fetchall()
        return [row[0] for row in rows]

    def backfill(self, files: BatchFiles, span_seq: int, log_seq: int) -> int:
        """List ``files`` (every file of the tables' snapshots at sequence numbers
        ``span_seq`` and ``log_seq``, per trace) in the rows whose lists are unknown and that
        no commit after those snapshots added to (those wait for the next run); how many."""
        with self._pool.connection() as con, con.transaction():
            locked = con.execute(
                f"SELECT project, trace_id FROM {TRACES} WHERE (span_files IS NULL OR log_files IS NULL)"
                " AND span_seq <= %s AND log_seq <= %s ORDER BY project, trace_id FOR UPDATE",
                [span_seq, log_seq],
            ).fetchall()
            if not locked:
                return 0
            retired = _retired(con, files.paths())
            document = json.dumps(
                [
                    {
                        "project": p,
                        "trace_id": t,
                        "span_files": [f for f in files.spans.get((p, t), ()) if f not in retired],
                        "log_files": [f for f in files.logs.get((p, t), ()) if f not in retired],
                    }
                    for p, t in locked
                ]
            )
            con.execute(
                f"UPDATE {TRACES} AS t SET span_files = r.span_files, log_files = r.log_files"
                " FROM jsonb_to_recordset(%s::jsonb)"
                " AS r(project text, trace_id text, span_files text[], log_files text[])"
                " WHERE t.project = r.project AND t.trace_id = r.trace_id",
                [document],
            )
        return len(locked)

    def _add_spans(
        self, rows: dict[tuple[str, str], TraceRow], spans: pa.Table | None, seq: int
    ) -> dict[tuple[str, str], TraceRow]:
        """Merge the new spans into ``rows``; what they added, per trace."""
        added: dict[tuple[str, str], TraceRow] = {}
        if spans is None or not spans.num_rows:
            return added
        spans = without_spans(spans, {key: set(row.span_ids) for key, row in rows.items() if row.span_ids})
        if not spans.num_rows:
            return added
        for aggregate in span_totals(spans):  # SPAN_AGGREGATES' figures, in pyarrow
            new = _span_aggregate(aggregate, seq)
            key = (new.project, new.trace_id)
            rows[key] = merge_spans(rows[key], new)
            added[key] = new
        return added

    def _index_sessions(
        self, con: psycopg.Connection[tuple[Any, ...]], changes: list[tuple[TraceRow, TraceRow, TraceRow]]
    ) -> None:
        """Add the commit's traces to their sessions, in the trace index's transaction: the
        session rows are created if missing and locked in key order (after the trace rows,
        in every receiver alike, so two commits never wait on each other in a circle)."""
        deltas: dict[tuple[str, str], list[tuple[int | None, str, SessionRow]]] = {}
        for old, new, merged in changes:
            found = session_delta(old, new, merged)
            if found is not None:
                delta, _ = found
                deltas.setdefault((delta.project, delta.session_id), []).append(
                    (merged.start_ns, merged.trace_id, delta)
                )
        if not deltas:
            return
        projects, session_ids = _keys_param(deltas)
        con.execute(
            f"INSERT INTO {SESSIONS} (project, session_id)"
            " SELECT * FROM unnest(%s::text[], %s::text[]) ORDER BY 1, 2 ON CONFLICT DO NOTHING",
            [projects, session_ids],
        )
        locked = con.execute(
            f"SELECT {', '.join(_SESSION_COLUMNS)} FROM {SESSIONS}"
            " WHERE (project, session_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
            " ORDER BY project, session_id FOR UPDATE",
            [projects, session_ids],
        ).fetchall()
        updated: list[SessionRow] = []
        for values in locked:
            row = _session_row(values)
            # traces joining in one commit join in start order, as in the DuckDB store
            for _, _, delta in sorted(deltas[(row.project, row.session_id)], key=lambda d: (d[0] or 0, d[1])):
                row = merge_session(row, delta)
            updated.append(row)
        update_rows(con, SESSIONS, "session_id", _SESSION_TYPES, [_session_values(row) for row in updated])

    def _add_logs(self, rows: dict[tuple[str, str], TraceRow], logs: pa.Table | None, seq: int) -> set[str]:
        """Merge the log records of a trace the locked rows do not hold yet into ``rows``;
        their ids (records of no trace: ``_add_traceless_logs``)."""
        if logs is None or not logs.num_rows:
            return set()
        ids = tables.row_log_ids(logs)
        keys = zip(logs.column("project").to_pylist(), logs.column("trace_id").to_pylist(), strict=True)
        held = {key: set(row.log_ids) for key, row in rows.items() if row.log_ids}
        keep = [t is not None and i not in held.get((p, t), ()) for (p, t), i in zip(keys, ids, strict=True)]
        logs = tables.without_rows(logs, keep)
        ids = [i for i, kept in zip(ids, keep, strict=True) if kept]
        if not logs.num_rows:
            return set()
        new_ids: dict[tuple[str, str], list[str]] = {}
        for p, t, i in zip(logs.column("project").to_pylist(), logs.column("trace_id").to_pylist(), ids, strict=True):
            if t is not None:
                new_ids.setdefault((p, t), []).append(i)
        self._duck.register("new_logs", logs)
        try:
            aggregates = self._duck.execute(LOG_AGGREGATES).fetchall()
        finally:
            self._duck.unregister("new_logs")
        for project, trace_id, count, start, end in aggregates:
            key = (project, trace_id)
            merged = merge_logs(rows[key], count, start, end, seq)
            rows[key] = replace(merged, log_ids=(*merged.log_ids, *new_ids[key]))
        return set(ids)

    def unrecorded(self, batch_ids: list[str]) -> list[str]:
        """Those of ``batch_ids`` the index has not recorded."""
        if not batch_ids:
            return []
        with self._pool.connection() as con:
            rows = con.execute(
                f"SELECT id FROM unnest(%s::text[]) AS b(id) WHERE NOT EXISTS"
                f" (SELECT 1 FROM {BATCHES} WHERE batch_id = b.id)",
                [batch_ids],
            ).fetchall()
        return [row[0] for row in rows]

    # -- reading ---------------------------------------------------------------------------

    def row(self, project: str, trace_id: str) -> TraceRow | None:
        """The trace's row, without its span and log ids (a reader needs their counts only)."""
        columns = ", ".join(name if name not in ("span_ids", "log_ids") else "'{}'::text[]" for name in _COLUMNS)
        with self._pool.connection() as con:
            found = con.execute(
                f"SELECT {columns} FROM {TRACES} WHERE project = %s AND trace_id = %s", [project, trace_id]
            ).fetchone()
        return _row(found) if found is not None else None

    def active_rows(self, project: str, since_ns: int) -> list[TraceRow]:
        """The rows of ``project``'s traces with spans that end at or after ``since_ns``,
        with what a read of their spans needs (times, count, sequence number, span files) and
        nothing else (``store.span_sources`` decides how they are read)."""
        with self._pool.connection() as con:
            found = con.execute(
                f"SELECT trace_id, start_ns, end_ns, span_count, span_seq, span_files FROM {TRACES}"
                " WHERE project = %s AND span_count > 0 AND end_ns >= %s",
                [project, since_ns],
            ).fetchall()
        return [
            TraceRow(project, t, start, end, count, span_seq=seq, span_files=_paths(files))
            for t, start, end, count, seq, files in found
        ]

    def span_count(self, project: str | None) -> int:
        query = f"SELECT coalesce(sum(span_count), 0) FROM {TRACES}"
        with self._pool.connection() as con:
            found = (
                con.execute(query + " WHERE project = %s", [project]).fetchone()
                if project is not None
                else con.execute(query).fetchone()
            )
        return int(found[0]) if found else 0

    def page(self, project: str, where: TraceFilter, limit: int, offset: int) -> tuple[list[tuple[Any, ...]], int]:
        """Rows in ``store.sql.TRACE_LIST_COLUMNS``' order, newest first, and the total."""
        clause, params = _list_where(project, where)
        with self._pool.connection() as con:
            rows = con.execute(
                f"SELECT {_LIST_COLUMNS}, count(*) OVER () FROM {TRACES} WHERE {clause}"
                " ORDER BY start_ns DESC, trace_id LIMIT %s OFFSET %s",
                [*params, limit, offset],
            ).fetchall()
            if rows:
                return [tuple(row[:-1]) for row in rows], int(rows[0][-1])
            total = con.execute(f"SELECT count(*) FROM {TRACES} WHERE {clause}", params).fetchone()
        return [], int(total[0]) if total else 0

    def session_page(
        self, project: str, where: SessionFilter, limit: int, offset: int
    ) -> tuple[list[SessionSummary], int]:
        """A page of sessions, the most recently active first (as ``store.sessions.list_page``)."""
        conditions: list[str] = ["project = %s", "trace_count > 0"]
        params: list[Any] = [project]
        for condition, value in (
            ("end_ns >= %s", where.since_ns),
            ("start_ns < %s", where.until_ns),
            ("%s = ANY(agents)", where.agent_name),
        ):
            if value is not None:
                conditions.append(condition)
                params.append(value)
        clause = " AND ".join(conditions)
        with self._pool.connection() as con:
            rows = con.execute(
                f"SELECT {_SESSION_LIST}, count(*) OVER () FROM {SESSIONS} WHERE {clause}"
                " ORDER BY end_ns DESC NULLS LAST, session_id LIMIT %s OFFSET %s",
                [*params, limit, offset],
            ).fetchall()
            if rows:
                return [sessions.summary(tuple(row[:-1])) for row in rows], int(rows[0][-1])
            total = con.execute(f"SELECT count(*) FROM {SESSIONS} WHERE {clause}", params).fetchone()
        return [], int(total[0]) if total else 0

    def session(self, project: str, session_id: str) -> SessionEntry | None:
        with self._pool.connection() as con:
            row = con.execute(
                f"SELECT {_SESSION_LIST}, trace_ids FROM {SESSIONS}"
                " WHERE project = %s AND session_id = %s AND trace_count > 0",
                [project, session_id],
            ).fetchone()
        return SessionEntry(sessions.summary(tuple(row[:-1])), tuple(row[-1])) if row is not None else None

    # -- feedback --------------------------------------------------------------------------

    def add_feedback(self, project: str, feedback: StoredFeedback) -> None:
        with self._pool.connection() as con:
            con.execute(
                f"INSERT INTO {FEEDBACK} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    feedback.id,
                    project,
                    feedback.trace_id,
                    feedback.span_id,
                    feedback.name,
                    feedback.score,
                    feedback.label,
                    json.dumps(feedback.value) if feedback.value is not None else None,
                    feedback.comment,
                    feedback.author,
                    feedback.created_at.astimezone(UTC),
                ],
            )

    def feedback(self, project: str, trace_id: str) -> list[StoredFeedback]:
        with self._pool.connection() as con:
            rows = con.execute(
                f"SELECT id, trace_id, span_id, name, score, label, value, comment, author, created_at FROM {FEEDBACK}"
                " WHERE project = %s AND trace_id = %s ORDER BY created_at, id",
                [project, trace_id],
            ).fetchall()
        return [_feedback(row) for row in rows]

    def text_matches(self, project: str, text: str, trace_ids: list[str], per_trace: int) -> dict[str, list[SpanMatch]]:
        with self._pool.connection() as con:
            return fulltext.matches(con, project, text, trace_ids, per_trace)

    def close(self) -> None:
        self._duck.close()


def _skipped(spans: pa.Table | None, added: dict[tuple[str, str], TraceRow]) -> list[str]:
    """``trace_id/span_id`` of the spans of ``spans`` the index held already (not ``added``)."""
    if spans is None or sum(row.span_count for row in added.values()) == spans.num_rows:
        return []
    new = {(key, span_id) for key, row in added.items() for span_id in row.span_ids}
    columns = zip(
        spans.column("project").to_pylist(),
        spans.column("trace_id").to_pylist(),
        spans.column("span_id").to_pylist(),
        strict=True,
    )
    return [f"{t}/{s}" for p, t, s in columns if ((p, t), s) not in new]


def _files_column(kind: str) -> str:
    if kind not in ("span", "log"):
        raise ValueError(f"no such table kind: {kind!r}")
    return f"{kind}_files"


def _retired(con: psycopg.Connection[tuple[Any, ...]], paths: Sequence[str]) -> set[str]:
    """Those of ``paths`` maintenance has retired (replaced by a compacted file)."""
    if not paths:
        return set()
    rows = con.execute(f"SELECT path FROM {RETIRED} WHERE path = ANY(%s::text[])", [list(paths)]).fetchall()
    return {row[0] for row in rows}


def _add_files(rows: dict[tuple[str, str], TraceRow], files: BatchFiles, retired: set[str]) -> None:
    for key, row in rows.items():
        spans, logs = files.spans.get(key, ()), files.logs.get(key, ())
        if spans or logs:
            rows[key] = replace(
                row, span_files=_listed(row.span_files, spans, retired), log_files=_listed(row.log_files, logs, retired)
            )


def _values(row: TraceRow) -> list[Any]:
    values = [getattr(row, name) for name in _COLUMNS]
    for name in ("agents", "models", "span_files", "log_files", "span_ids", "log_ids"):
        position = _COLUMNS.index(name)
        if values[position] is not None:
            values[position] = list(values[position])
    return values


def _session_row(values: Sequence[Any]) -> SessionRow:
    row = SessionRow(*values)
    return replace(row, trace_ids=tuple(row.trace_ids), agents=tuple(row.agents), models=tuple(row.models))


def _session_values(row: SessionRow) -> list[Any]:
    values = [getattr(row, name) for name in _SESSION_COLUMNS]
    for position in (_SESSION_COLUMNS.index("trace_ids"), _SESSION_COLUMNS.index("agents")):
        values[position] = list(values[position])
    values[_SESSION_COLUMNS.index("models")] = list(row.models)
    return values


_SESSION_LIST = """
    session_id, start_ns, end_ns, trace_count,
    coalesce(input_tokens, agent_input_tokens), coalesce(output_tokens, agent_output_tokens),
    coalesce(cost, agent_cost), has_error, agents, models
"""


def _feedback(row: Sequence[Any]) -> StoredFeedback:
    identifier, trace_id, span_id, name, score, label, value, comment, author, created_at = row
    decoded = json.loads(value) if value is not None else None
    created: datetime = created_at.astimezone(UTC)
    return StoredFeedback(identifier, trace_id, span_id, name, score, label, decoded, comment, author, created)


def entry(row: TraceRow) -> TraceIndexEntry:
    return TraceIndexEntry(
        project=row.project,
        trace_id=row.trace_id,
        start_ns=row.start_ns,
        end_ns=row.end_ns,
        span_count=row.span_count,
        log_count=row.log_count,
        root_span_id=row.root_span_id,
        root_span_name=row.root_name,
        root_is_orphan=row.root_has_parent,
        root_start_ns=row.root_start_ns,
        root_end_ns=row.root_end_ns,
        has_error=row.has_error,
        input_tokens=row.input_tokens if row.input_tokens is not None else row.agent_input_tokens,
        output_tokens=row.output_tokens if row.output_tokens is not None else row.agent_output_tokens,
        agents=row.agents,
        models=row.models,
        conversation_id=row.conversation_id,
        first_batch=row.span_seq,
        last_batch=max(row.span_seq, row.log_seq),
    )


_LIST_COLUMNS = """
    trace_id, root_name, start_ns,
    CASE WHEN root_has_parent = false THEN root_end_ns - root_start_ns ELSE end_ns - start_ns END,
    agents, models, span_count,
    coalesce(input_tokens, agent_input_tokens), coalesce(output_tokens, agent_output_tokens),
    coalesce(cost, agent_cost), has_error, conversation_id
"""


def _list_where(project: str, where: TraceFilter) -> tuple[str, list[Any]]:
    """The trace list's WHERE clause (as ``store.sql.trace_list_where``) and its parameters;
    ``where.text`` also matches conversation text (``fulltext``)."""
    conditions = ["project = %s", "span_count > 0"]
    params: list[Any] = [project]
    optional = (
        ("start_ns >= %s", where.since_ns),
        ("start_ns < %s", where.until_ns),
        ("end_ns >= %s", where.active_since_ns),
        ("%s = ANY(agents)", where.agent_name),
        ("%s = ANY(models)", where.model),
    )
    for condition, value in optional:
        if value is not None:
            conditions.append(condition)
            params.append(value)
    if where.has_error is not None:
        conditions.append("has_error" if where.has_error else "NOT has_error")
    if where.text:
        texts = fulltext.matching_traces(project, where.text, where.since_ns)
        conditions.append(
            "(root_name ILIKE %s ESCAPE '\\' OR trace_id = lower(%s) OR conversation_id = %s"
            " OR %s = ANY(agents) OR %s = ANY(models)"
            + (f" OR trace_id IN ({texts[0]}))" if texts is not None else ")")
        )
        params.extend(["%" + like_escaped(where.text) + "%", where.text, where.text, where.text, where.text])
        if texts is not None:
            params.extend(texts[1])
    return " AND ".join(conditions), params
