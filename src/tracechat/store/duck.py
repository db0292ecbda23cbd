"""The embedded store: one DuckDB file, one writer thread, a cursor per reader thread."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from tracechat import interrupts
from tracechat.errors import StoreCorrupted, TraceTooLarge
from tracechat.genai.values import bounded_json
from tracechat.ingest.flatten import stored_span
from tracechat.migration import MigrationStatus
from tracechat.model.records import IngestBatch, StoredCount
from tracechat.model.sessions import SessionEntry, SessionFilter, SessionSummary
from tracechat.model.stored import StoredLog, StoredSpan, StoredTrace, TraceIndexEntry
from tracechat.model.summaries import SpanMatch, StoredFeedback, TraceFilter
from tracechat.store import payloads, sessions, sql
from tracechat.store.commits import CommitFeed, TraceWatch
from tracechat.store.connection import Config, StoreConnection
from tracechat.store.indexer import Indexer
from tracechat.store.integrity import CommitLedger, Verifier, check_file_size
from tracechat.store.schema import ensure_schema
from tracechat.store.search import SearchIndex
from tracechat.store.staging import LOG_SCHEMA, SPAN_SCHEMA, StagedBatch, concat, stage, stored_counts
from tracechat.store.textretry import DEFAULT_POLICY, RetryPolicy
from tracechat.store.writer import CommitObserver, GroupCommitWriter

_SPAN_COLUMNS = ", ".join(name for name in SPAN_SCHEMA.names if name != "raw")  # payloads: in ``payloads``
_LOG_COLUMNS = ", ".join(LOG_SCHEMA.names)
_SCOPE_CACHE_SIZE = 4096
DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    # Histories repeat from span to span; zstd shrinks them several times over (docs/storage.md).
    "force_compression": "zstd",
    "checkpoint_threshold": "256MB",
    # Commits are many small statements; one thread runs them faster (measured +15%) and
    # leaves the other core to the threads decoding requests.
    "threads": 1,
}
_KNOWN_SCOPES_MAX = 100_000
TEXT_MATCHES_PER_TRACE = 3
_SATURATED = 0.8
"""Writer load past which the search indexer gives way (``store.indexer``)."""
log = logging.getLogger("tracechat.store")
P = ParamSpec("P")
R = TypeVar("R")


def _reading(method: Callable[Concatenate[DuckDBStore, P], R]) -> Callable[Concatenate[DuckDBStore, P], R]:
    """A read that meets a damaged block marks the store corrupt and says so (503), and one
    that meets an invalidated database reopens it (503: retry), instead of a bare 500."""

    @functools.wraps(method)
    def read(store: DuckDBStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        generation = store._db.generation
        try:
            return method(store, *args, **kwargs)
        except duckdb.InterruptException as exc:
            handle = interrupts.current()
            if handle is None or handle.reason is None:
                raise
            raise handle.error() from exc
        except duckdb.Error as exc:
            failure = store._db.failed(exc, generation)
            if failure is exc:
                raise
            raise failure from exc
        finally:
            handle = interrupts.current()
            cursor = store._db.current_cursor()
            if handle is not None and cursor is not None:
                handle.detach(cursor)

    return read


class DuckDBStore:
    """``SpanStore`` over one DuckDB file. See ``store.protocol.SpanStore`` for the promises."""

    def __init__(
        self,
        path: Path,
        *,
        max_queue_bytes: int = 256 << 20,
        max_commit_bytes: int = 64 << 20,
        memory_mb: int = 1024,
        observer: CommitObserver | None = None,
        search_dir: Path | None = None,
        search_refresh_s: float = 0.2,
        verify: bool = True,
        migration: MigrationStatus | None = None,
        text_retry: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        """``verify``: read every block once in the background, to find damage early.
        ``search_dir``: where the full-text index of conversation text lives (None: no
        index; a text search then matches names only). ``search_refresh_s``: how often at
        most that index commits, so how long at most a committed span waits to be
        searchable, beside the indexing itself. ``text_retry``: when a commit whose text
        failed is tried again, and given up on (``store.textretry``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        existed = path.exists()
        wal = path.with_name(path.name + ".wal")
        wal_bytes = wal.stat().st_size if wal.exists() else None
        # Bounded, so the server's memory is too: DuckDB otherwise takes 80% of the machine.
        config: Config = {**DUCKDB_CONFIG, "memory_limit": f"{memory_mb}MiB"}
        self._db = StoreConnection(path, config, on_reopen=self._reopened)
        try:
            check_file_size(self._db.con, path)
            ensure_schema(self._db.con, migration)
        except BaseException:
            self._db.close()
            raise
        self._ledger = CommitLedger(path.with_name(path.name + ".lastbatch"))
        if not existed:
            self._ledger.recorded = None  # a new file: what an old one recorded is not its history
        self._scopes: OrderedDict[str, tuple[bytes, bytes]] = OrderedDict()
        self._scopes_lock = threading.Lock()
        self._known_scopes: set[str] = set()
        self._search: SearchIndex | None = None
        self._indexer: Indexer | None = None
        self._feed = CommitFeed()
        last_batch = self._last_batch()
        if search_dir is not None:
            self._search = SearchIndex(search_dir)
            # A commit that stored nothing new (all spans sent before) leaves no row to
            # recount its number from, but the index has seen it: never number a batch again.
            last_batch = max(last_batch, self._search.indexed_batch())
            self._indexer = Indexer(
                self._search,
                self._batch_rows,
                last_batch,
                refresh_s=search_refresh_s,
                busy=self._ingest_saturated,
                retry=text_retry,
            )
        self._ledger.check_replay(self._last_batch(), wal_bytes)
        self._next_batch = last_batch + 1
        self._verifier = Verifier(self._db.con.cursor(), path, self._db.mark_corrupt) if verify else None
        self._writer: GroupCommitWriter[StagedBatch, StoredCount] = GroupCommitWriter(
            self._commit,
            max_queue_bytes=max_queue_bytes,
            max_commit_bytes=max_commit_bytes,
            observer=observer,
        )

    # -- writing -----------------------------------------------------------------------------

    @property
    def problem(self) -> str | None:
        """Why nothing more is written (a damaged file), or None."""
        return self._db.problem

    @property
    def writer(self) -> GroupCommitWriter[StagedBatch, StoredCount]:
        return self._writer

    def submit(self, batch: IngestBatch) -> Future[StoredCount]:
        if self.problem is not None:
            raise StoreCorrupted(f"the store is damaged and takes no more writes: {self.problem}")
        if not batch.row_count:
            done: Future[StoredCount] = Future()
            done.set_result(StoredCount())
            return done
        staged = stage(batch)
        if len(batch.spans):
            spans = batch.spans
            by_trace = payloads.by_trace(spans.project, spans.trace_id, spans.span_id, spans.scope_id, spans.raw)
            staged = replace(staged, payloads=by_trace)
        return self._writer.submit(staged, staged.size_bytes)

    def _commit(self, group: list[StagedBatch]) -> list[StoredCount]:
        with self._db.lock:
            generation = self._db.generation
            try:
                return self._commit_group(group)
            except duckdb.Error as exc:
                failure = self._db.failed(exc, generation)
                if failure is exc:
                    raise
                raise failure from exc

    def _commit_group(self, group: list[StagedBatch]) -> list[StoredCount]:
        con = self._db.con
        batch_no = self._next_batch
        new_spans = new_logs = 0
        spans = concat([g.spans for g in group])
        logs = concat([g.logs for g in group])
        scopes = concat([g.scopes for g in group])
        con.execute("BEGIN TRANSACTION")
        try:
            new_scopes = self._new_scopes(scopes)
            if new_scopes is not None:
                con.register("staged_scopes", new_scopes)
                con.execute("INSERT OR IGNORE INTO scopes SELECT DISTINCT ON (scope_id) * FROM staged_scopes")
            if spans is not None:
                con.register("staged_spans", spans)
                new_spans, deduplicated = self._insert_spans(con, batch_no)
                self._insert_payloads(
                    con, batch_no, [g.payloads for g in group if g.payloads is not None], deduplicated
                )
                con.execute(sessions.INDEX_SESSIONS, {"batch": batch_no})  # reads the trace index before
                con.execute(sql.INDEX_SPANS, {"batch": batch_no})
            if logs is not None:
                con.register("staged_logs", logs)
                new_logs = self._insert_logs(con, batch_no)
                con.execute(sql.INDEX_LOGS, {"batch": batch_no})
            counts = self._counts(con, batch_no, group, spans, new_spans, logs, new_logs)
            con.execute("COMMIT")
        except BaseException:
            _roll_back(con)
            raise
        finally:
            for name in ("staged_scopes", "staged_spans", "staged_logs", "staged_payloads"):
                con.unregister(name)
        stored = new_spans + new_logs
        self._next_batch = batch_no + 1
        if stored:
            self._ledger.record(batch_no)
        self._remember_scopes(scopes)
        if self._indexer is not None:
            self._indexer.committed(batch_no)
        if self._feed.watched:
            self._feed.publish(_trace_ids(spans, logs))
        return counts

    @staticmethod
    def _counts(
        con: duckdb.DuckDBPyConnection,
        batch_no: int,
        group: list[StagedBatch],
        spans: pa.Table | None,
        new_spans: int,
        logs: pa.Table | None,
        new_logs: int,
    ) -> list[StoredCount]:
        """What the commit stored of each request: every row, unless some were left out (sent
        before); then the keys it stored say whose they were."""
        kept_spans = None if spans is None or new_spans == spans.num_rows else _keys(con, sql.BATCH_SPAN_KEYS, batch_no)
        kept_logs = None if logs is None or new_logs == logs.num_rows else _keys(con, sql.BATCH_LOG_KEYS, batch_no)
        return stored_counts(group, kept_spans, kept_logs, _log_keys)

    def _insert_logs(self, con: duckdb.DuckDBPyConnection, batch_no: int) -> int:
        """Appends the staged log records; returns how many were new (``sql.LOG_IDENTITY``)."""
        row = con.execute(sql.BEFORE_LOG_INSERT).fetchone()
        since, duplicates, low, high, traceless = row if row else (None, False, 0, 0, None)
        skip_traceless = traceless is not None and traceless[0] is not None
        statement = sql.insert_logs(
            _LOG_COLUMNS, skip_stored=since is not None, skip_traceless=skip_traceless, dedupe_batch=bool(duplicates)
        )
        params: dict[str, Any] = {"batch": batch_no}
        if since is not None:
            params.update(since=since, low=low, high=high)
        if skip_traceless:
            params.update(dict(zip(("tl_low", "tl_high", "ol_low", "ol_high"), traceless, strict=True)))
        inserted = con.execute(statement, params).fetchone()
        return int(inserted[0]) if inserted else 0

    def _new_scopes(self, scopes: pa.Table | None) -> pa.Table | None:
        """The staged scopes not committed before (most requests repeat their resource)."""
        if scopes is None or not scopes.num_rows:
            return None
        ids = scopes.column("scope_id").to_pylist()
        fresh = [i for i, scope_id in enumerate(ids) if scope_id not in self._known_scopes]
        return scopes.take(fresh) if fresh else None

    def _remember_scopes(self, scopes: pa.Table | None) -> None:
        if scopes is None:
            return
        if len(self._known_scopes) > _KNOWN_SCOPES_MAX:
            self._known_scopes.clear()
        self._known_scopes.update(scopes.column("scope_id").to_pylist())

    def _insert_spans(self, con: duckdb.DuckDBPyConnection, batch_no: int) -> tuple[int, bool]:
        """Appends the staged spans; returns how many were new, and whether some may have
        been left out (sent before, or twice in this commit)."""
        row = con.execute(sql.BEFORE_INSERT).fetchone()
        since, duplicates = (row[0], bool(row[1])) if row else (None, False)
        statement = sql.insert_spans(_SPAN_COLUMNS, skip_stored=since is not None, dedupe_batch=duplicates)
        params = {"batch": batch_no, "since": since} if since is not None else {"batch": batch_no}
        inserted = con.execute(statement, params).fetchone()
        return (int(inserted[0]) if inserted else 0), since is not None or duplicates

    def _insert_payloads(
        self, con: duckdb.DuckDBPyConnection, batch_no: int, tables: list[pa.Table], deduplicated: bool
    ) -> None:
        """The commit's payloads, one row per trace. When spans were left out as stored
        before, a trace none of whose spans was new gets no row (a request sent again
        costs no space); a row may still hold a span stored before beside new ones, which
        reads leave out (``payloads.first_of_each``)."""
        keep = None
        if deduplicated:
            keep = {
                (project, trace_id)
                for project, trace_id in con.execute(sql.BATCH_TRACES, {"batch": batch_no}).fetchall()
            }
        table = payloads.merged(tables, keep)
        if table.num_rows:
            con.register("staged_payloads", table)
            con.execute(sql.INSERT_PAYLOADS, {"batch": batch_no})

    def _reopened(self) -> None:
        """After DuckDB invalidated the file and it was opened again (``StoreConnection``)."""
        self._known_scopes.clear()
        log.warning("the store holds %d spans after reopening", self.span_count())

    def _last_batch(self) -> int:
        row = self._db.con.execute(
            "SELECT greatest(coalesce((SELECT max(batch) FROM spans), 0), coalesce((SELECT max(batch) FROM logs), 0))"
        ).fetchone()
        return int(row[0]) if row else 0

    def _batch_rows(self, batch_no: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """What one commit stored, as rows of ``sql.BATCH_SPAN_COLUMNS`` (the payload from
        the batch's ``payloads``) and ``sql.BATCH_LOGS`` (the indexer's reads)."""
        cursor = self._cursor()
        rows = cursor.execute(sql.BATCH_SPANS, {"batch": batch_no}).fetchall()
        raws: dict[tuple[str, str, str], bytes] = {}
        for project, trace_id, chunk in cursor.execute(sql.BATCH_PAYLOADS, {"batch": batch_no}).fetchall():
            for span_id, _, raw in payloads.unpack(chunk):
                raws.setdefault((project, trace_id, span_id), raw)
        spans = [(*row, raws[row[0], row[1], row[2]]) for row in rows]
        return spans, cursor.execute(sql.BATCH_LOGS, {"batch": batch_no}).fetchall()

    def _ingest_saturated(self) -> bool:
        """Whether clients are waiting on the writer: several requests queued, or one while
        it commits nearly all the time (the search indexer then gives way). The indexer
        starts catching up before the writer exists: nothing is queued then."""
        writer: GroupCommitWriter[StagedBatch, StoredCount] | None = getattr(self, "_writer", None)
        if writer is None:
            return False
        queued = writer.queued_items
        return queued >= 2 or (queued > 0 and writer.load > _SATURATED)

    def watch_trace(self, trace_id: str) -> TraceWatch:
        return self._feed.subscribe(trace_id)

    def search_lag(self) -> int:
        """Commits whose text is not searchable yet, the dead ones apart (0 without an index)."""
        if self._indexer is None:
            return 0
        return self._next_batch - 1 - self._indexer.indexed_batch + self._indexer.waiting

    def search_dead(self) -> int:
        """Commits whose text the indexer gave up on (``store.textretry``): their spans are
        stored and read, their text is not searchable until ``retry_dead_text``."""
        return self._indexer.dead() if self._indexer is not None else 0

    @property
    def text_indexer(self) -> Indexer | None:
        """The search indexer (None without an index): its dead commits, their retry
        (``tracechat maintain --retry-dead-text``: ``store.upkeep``)."""
        return self._indexer

    def wait_searchable(self, timeout: float) -> bool:
        """Wait until the text of every span committed so far is searchable (benchmarks and
        tests); False on timeout, True at once when there is no index."""
        return self._indexer.wait_indexed(timeout) if self._indexer is not None else True

    # -- reading -----------------------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's read cursor on the database (also used for the small chat and
        feedback transactions that do not go through the span writer)."""
        return self._cursor()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = self._db.cursor()
        handle = interrupts.current()
        if handle is not None:  # a read the API may stop: it can interrupt this cursor
            handle.attach(cursor)
        return cursor

    def _of_trace(self, query: str, project: str, trace_id: str) -> list[tuple[Any, ...]]:
        """The rows ``query`` finds for the trace id (through its index: the trace id is the
        statement's only condition, see ``sql.TRACE_ENTRY``) that belong to ``project``,
        named by their first column."""
        rows = self._cursor().execute(query, {"trace_id": trace_id}).fetchall()
        return [row for row in rows if row[0] == project]

    @_reading
    def trace(self, project: str, trace_id: str) -> TraceIndexEntry | None:
        rows = self._of_trace(sql.TRACE_ENTRY, project, trace_id)
        if not rows:
            return None
        row = rows[0]
        return TraceIndexEntry(
            project=row[0],
            trace_id=row[1],
            start_ns=row[2],
            end_ns=row[3],
            span_count=row[4],
            log_count=row[5],
            root_span_id=row[6],
            root_span_name=row[7],
            root_is_orphan=row[8],
            root_start_ns=row[9],
            root_end_ns=row[10],
            has_error=row[11],
            input_tokens=row[12],
            output_tokens=row[13],
            agents=tuple(row[14]),
            models=tuple(row[15]),
            conversation_id=row[16],
            first_batch=row[17],
            last_batch=row[18],
        )

    def _location(self, project: str, trace_id: str) -> tuple[Any, ...] | None:
        """(project, first batch, last batch, span count, log count, root name) of the trace."""
        rows = self._of_trace(sql.TRACE_LOCATION, project, trace_id)
        return rows[0] if rows else None

    def _batch_range(self, project: str, trace_id: str) -> tuple[int, int] | None:
        row = self._location(project, trace_id)
        return (row[1], row[2]) if row else None

    @_reading
    def trace_spans(self, project: str, trace_id: str) -> list[StoredSpan]:
        batches = self._batch_range(project, trace_id)
        return self._spans(project, trace_id, batches) if batches else []

    @_reading
    def trace_logs(self, project: str, trace_id: str) -> list[StoredLog]:
        batches = self._batch_range(project, trace_id)
        return self._logs(project, trace_id, batches) if batches else []

    @_reading
    def read_trace(self, project: str, trace_id: str, max_spans: int | None = None) -> StoredTrace | None:
        row = self._location(project, trace_id)
        if row is None:
            return None
        _, first, last, span_count, log_count, root_span_name = row
        TraceTooLarge.check(trace_id, span_count, max_spans)
        spans = self._spans(project, trace_id, (first, last)) if span_count else []
        logs = self._logs(project, trace_id, (first, last)) if log_count else []
        return StoredTrace(root_span_name, spans, logs)

    @_reading
    def read_span(self, project: str, trace_id: str, span_id: str) -> StoredTrace | None:
        row = self._location(project, trace_id)
        if row is None:
            return None
        batches, only = (row[1], row[2]), {"span_id": span_id}
        spans = self._spans(project, trace_id, batches, span_id) if row[3] else []
        logs = [StoredLog(*columns) for columns in self._trace_rows(sql.SPAN_LOGS, project, trace_id, batches, only)]
        return StoredTrace(row[5], spans, logs)

    def _spans(
        self, project: str, trace_id: str, batches: tuple[int, int], only: str | None = None
    ) -> list[StoredSpan]:
        """The trace's spans (only the one of id ``only``, when given) from its payloads,
        each span once."""
        params = {"first": batches[0], "last": batches[1], "project": project, "trace_id": trace_id}
        chunks = sorted(self._cursor().execute(sql.TRACE_PAYLOADS, params).fetchall())
        records = payloads.first_of_each(chunk for _, chunk in chunks)
        if only is not None:
            records = [record for record in records if record[0] == only]
        scopes = self._scopes_of({scope_id for _, scope_id, _ in records})
        spans = [stored_span(project, trace_id, raw, *scopes[scope_id]) for _, scope_id, raw in records]
        spans.sort(key=lambda span: (span.fields.start_ns, span.fields.span_id))
        return spans

    def _logs(self, project: str, trace_id: str, batches: tuple[int, int]) -> list[StoredLog]:
        return [StoredLog(*row) for row in self._trace_rows(sql.TRACE_LOGS, project, trace_id, batches)]

    def _trace_rows(
        self, query: str, project: str, trace_id: str, batches: tuple[int, int], extra: dict[str, str] | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of ``query`` within the trace's batch range, their scope id (the last column)
        replaced by the resource and scope bytes."""
        params = {"first": batches[0], "last": batches[1], "project": project, "trace_id": trace_id, **(extra or {})}
        rows = self._cursor().execute(query, params).fetchall()
        scopes = self._scopes_of({row[-1] for row in rows})
        return [(*row[:-1], *scopes[row[-1]]) for row in rows]

    def _scopes_of(self, scope_ids: set[str]) -> dict[str, tuple[bytes, bytes]]:
        found: dict[str, tuple[bytes, bytes]] = {}
        with self._scopes_lock:
            for scope_id in scope_ids:
                if scope_id in self._scopes:
                    self._scopes.move_to_end(scope_id)
                    found[scope_id] = self._scopes[scope_id]
        missing = list(scope_ids - found.keys())
        if missing:
            rows = (
                self._cursor()
                .execute(
                    "SELECT scope_id, resource, scope FROM scopes WHERE scope_id IN (SELECT unnest($ids))",
                    {"ids": missing},
                )
                .fetchall()
            )
            with self._scopes_lock:
                for scope_id, resource, scope in rows:
                    found[scope_id] = self._scopes[scope_id] = (resource, scope)
                while len(self._scopes) > _SCOPE_CACHE_SIZE:
                    self._scopes.popitem(last=False)
        return found

    @_reading
    def span_count(self, project: str | None = None) -> int:
        query = "SELECT coalesce(sum(span_count), 0) FROM traces"
        if project is None:
            row = self._cursor().execute(query).fetchone()
        else:
            row = self._cursor().execute(query + " WHERE project = ?", [project]).fetchone()
        return int(row[0]) if row else 0

    @_reading
    def list_traces(
        self, project: str, where: TraceFilter, limit: int, offset: int
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Rows of ``sql.TRACE_LIST_COLUMNS``, newest first, and how many match in all."""
        hits = self._search.trace_ids(project, where.text, where.since_ns) if self._search and where.text else []
        clause = sql.trace_list_where(
            since=where.since_ns is not None,
            until=where.until_ns is not None,
            agent=where.agent_name is not None,
            model=where.model is not None,
            has_error=where.has_error,
            text=bool(where.text),
            text_hits=bool(hits),
            active=where.active_since_ns is not None,
        )
        params: dict[str, Any] = {"project": project}
        optional = {
            "since": where.since_ns,
            "until": where.until_ns,
            "active": where.active_since_ns,
            "agent": where.agent_name,
            "model": where.model,
        }
        params.update({name: value for name, value in optional.items() if value is not None})
        if where.text:
            params["text"] = where.text
            params["pattern"] = "%" + sql.like_escaped(where.text) + "%"
        cursor = self._cursor()
        if hits:
            # A registered Arrow column joins in half the time of a list parameter (55k ids:
            # 68 ms against 133). DuckDB 2.0 refuses to register while an earlier statement's
            # result is open on the cursor (a fetchone() leaves it so): finish it first.
            cursor.complete()
            cursor.register(sql.TEXT_HITS, pa.table({"trace_id": hits}))
        try:
            return self._trace_page(cursor, clause, params, limit, offset)
        finally:
            if hits:
                # An empty page ends on the count's fetchone(), which leaves its result open,
                # and DuckDB 2.0 refuses to unregister then (a 500): drop that result first.
                cursor.abort()
                cursor.unregister(sql.TEXT_HITS)

    def _trace_page(
        self, cursor: duckdb.DuckDBPyConnection, clause: str, params: dict[str, Any], limit: int, offset: int
    ) -> tuple[list[tuple[Any, ...]], int]:
        rows = cursor.execute(
            f"SELECT {sql.TRACE_LIST_COLUMNS}, count(*) OVER () FROM traces WHERE {clause} "
            "ORDER BY start_ns DESC, trace_id LIMIT $limit OFFSET $offset",
            {**params, "limit": limit, "offset": offset},
        ).fetchall()
        if rows:
            return [row[:-1] for row in rows], int(rows[0][-1])
        total = cursor.execute(f"SELECT count(*) FROM traces WHERE {clause}", params).fetchone()
        return [], int(total[0]) if total else 0

    @_reading
    def list_sessions(
        self, project: str, where: SessionFilter, limit: int, offset: int
    ) -> tuple[list[SessionSummary], int]:
        return sessions.list_page(self._cursor(), project, where, limit, offset)

    @_reading
    def session(self, project: str, session_id: str) -> SessionEntry | None:
        return sessions.entry(self._cursor(), project, session_id)

    @_reading
    def text_matches(self, project: str, text: str, trace_ids: list[str]) -> dict[str, list[SpanMatch]]:
        if self._search is None:
            return {}
        return self._search.matches(project, text, trace_ids, per_trace=TEXT_MATCHES_PER_TRACE)

    @_reading
    def add_feedback(self, project: str, feedback: StoredFeedback) -> None:
        """Stored in its own small transaction on this thread's cursor (feedback is rare and
        tiny; it does not queue behind span commits)."""
        self._cursor().execute(
            "INSERT INTO feedback VALUES ($id, $project, $trace_id, $span_id, $name, $score, $label, $value,"
            " $comment, $author, $created_at)",
            {
                "id": feedback.id,
                "project": project,
                "trace_id": feedback.trace_id,
                "span_id": feedback.span_id,
                "name": feedback.name,
                "score": feedback.score,
                "label": feedback.label,
                "value": json.dumps(feedback.value) if feedback.value is not None else None,
                "comment": feedback.comment,
                "author": feedback.author,
                "created_at": feedback.created_at.astimezone(UTC).replace(tzinfo=None),
            },
        )

    @_reading
    def feedback(self, project: str, trace_id: str) -> list[StoredFeedback]:
        return [_feedback(row[1:]) for row in self._of_trace(sql.TRACE_FEEDBACK, project, trace_id)]

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own in one read transaction: everything it reads is as of the
        moment it began, while the writer goes on committing (DuckDB's MVCC). For long
        reads (a live export) on the caller's thread, never the writer's."""
        cursor = self._db.con.cursor()
        try:
            cursor.execute("BEGIN TRANSACTION")
            # DuckDB starts a transaction on a file at its first read of it, not at BEGIN:
            # read now, so that the snapshot is of this moment.
            cursor.execute("SELECT count(*) FROM meta").fetchall()
            yield cursor
        finally:
            _roll_back(cursor)
            cursor.close()

    def checkpoint(self) -> None:
        """Write everything committed into the compressed file and empty the WAL."""
        self._cursor().execute("CHECKPOINT")

    def close(self) -> None:
        self._writer.close()
        if self._verifier is not None:
            self._verifier.stop()
        if self._indexer is not None:
            self._indexer.close()
        self._ledger.close()
        self._db.close()


def _feedback(row: tuple[Any, ...]) -> StoredFeedback:
    identifier, trace_id, span_id, name, score, label, value, comment, author, created_at = row
    decoded = bounded_json(value) if value is not None else None
    created = created_at.replace(tzinfo=UTC)
    return StoredFeedback(identifier, trace_id, span_id, name, score, label, decoded, comment, author, created)


def _trace_ids(*tables: pa.Table | None) -> set[str]:
    """The trace ids of the rows of a commit."""
    found: set[str] = set()
    for table in tables:
        if table is not None:
            found.update(pc.unique(table.column("trace_id")).to_pylist())
    return found


def _roll_back(con: duckdb.DuckDBPyConnection) -> None:
    """Undo a failed transaction. A COMMIT that failed (disk full at the WAL write) was
    already rolled back by DuckDB; the error that matters is the one that made it fail."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _keys(con: duckdb.DuckDBPyConnection, query: str, batch_no: int) -> set[tuple[Any, ...]]:
    return set(con.execute(query, {"batch": batch_no}).fetchall())


def _log_keys(staged: StagedBatch) -> Any:
    """A request's log records' identities (``sql.LOG_IDENTITY``), as ``sql.BATCH_LOG_KEYS`` reads them."""
    assert staged.logs is not None
    return zip(*(staged.logs.column(name).to_pylist() for name in sql.LOG_IDENTITY), strict=True)
