"""The Iceberg store's text indexer: conversation text indexed after the acknowledgement,
from a queue of committed batches in PostgreSQL.

A receiver's trace index transaction (``traceindex.TraceIndex.record``) adds a row to
``tracechat_text_queue`` naming the batch, the data files it appended and the spans it left
out (another receiver stored them first): the batch is acknowledged once that transaction
commits, without waiting for its text. An indexer (a thread in every node of ``--role
query`` or ``all`` with the index on, and ``tracechat maintain``) then, in one transaction,
claims a few queued batches (``FOR UPDATE SKIP LOCKED``: indexers on several nodes share the
queue, never take one batch twice), reads their rows back from those files, has a worker
process read their text (``store.texts``), writes it (``fulltext.insert``) and deletes their
queue rows. A node killed meanwhile rolls its transaction back: the batches stay queued for
the next indexer. So an acknowledged span is in the queue or in the index, whatever dies.

Backfill: a batch the ledger holds without a queue row (stored while the text index was off,
or before this release) is queued by ``backfill`` (at an indexer's start and by ``tracechat
maintain``), without its files: its snapshot names them, or a scan by its batch id finds its
rows. Its text is kept only for spans the index holds no text of (a batch of an older
release may have been indexed in its index transaction already).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Final

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg_pool import ConnectionPool
from pyiceberg.expressions import EqualTo, Reference
from pyiceberg.expressions.literals import literal
from pyiceberg.manifest import ManifestEntryStatus
from pyiceberg.table import Table

from tracechat.store import sql
from tracechat.store.iceberg import fulltext, tables
from tracechat.store.iceberg import warehouse as warehouses
from tracechat.store.textretry import DEAD_SHOWN, DEFAULT_POLICY, DeadBatch, RetryPolicy, error_text
from tracechat.store.texts import IndexedText, Rows
from tracechat.store.textworker import TextWorker

log = logging.getLogger(__name__)

QUEUE: Final = "tracechat_text_queue"
DDL: Final = f"""
CREATE TABLE IF NOT EXISTS {QUEUE} (
    seq bigserial PRIMARY KEY,
    batch_id text NOT NULL UNIQUE,
    span_files text[],
    log_files text[],
    skipped text[] NOT NULL DEFAULT '{{}}',
    backfill boolean NOT NULL DEFAULT false,
    attempts integer NOT NULL DEFAULT 0,
    queued_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tracechat_batches ADD COLUMN IF NOT EXISTS text_queued boolean;
CREATE INDEX IF NOT EXISTS tracechat_batches_text_unqueued ON tracechat_batches (committed_at)
    WHERE text_queued IS NOT TRUE;
"""
"""Migration 3. ``text_queued``: whether the batch's text went to the queue (NULL: a batch
of an older release, which ``backfill`` queues once)."""

DEAD_LETTER_DDL: Final = f"""
ALTER TABLE {QUEUE} ADD COLUMN IF NOT EXISTS next_attempt_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE {QUEUE} ADD COLUMN IF NOT EXISTS dead_at timestamptz;
ALTER TABLE {QUEUE} ADD COLUMN IF NOT EXISTS last_error text;
"""
"""Migration 5: a batch that failed waits ``next_attempt_at`` (its backoff) before it is tried
again, and one that failed too often (``textretry.MAX_ATTEMPTS``) is dead (``dead_at``): no indexer takes it
until an operator retries it (``retry_dead``, ``tracechat maintain --retry-dead-text``). When
and how often: ``store.textretry``, the rule the DuckDB store's indexer follows too."""

BATCHES_PER_CLAIM: Final = 8
"""Batches one indexer transaction takes: their text is read by the worker in one call."""
POLL_S: Final = 0.25
"""How often an idle indexer looks for batches other nodes queued (its own node's commits
wake it at once)."""
_RETRY_S: Final = 5.0
_BUSY_SHARE: Final = 0.1
"""While this node's writer is saturated, its indexer works at most this share of the time."""

TableOf = Callable[[str, bool], Table]
"""The table of a name (``tables.SPANS``, ``tables.LOGS``); True: reloaded from the catalog."""


@dataclass(frozen=True, slots=True)
class QueuedText:
    """What a receiver's index transaction queues of its batch: the files it appended."""

    span_files: Sequence[str] | None = None
    log_files: Sequence[str] | None = None
    """None: not known (a batch ``maintain`` re-indexes): found by its snapshot or its id."""


def enqueue(con: psycopg.Connection[tuple[Any, ...]], batch_id: str, files: QueuedText, skipped: Sequence[str]) -> None:
    """Queue ``batch_id``'s text in the caller's transaction. ``skipped``: the
    ``trace_id/span_id`` of its spans the index already held (their text is someone else's)."""
    con.execute(
        f"INSERT INTO {QUEUE} (batch_id, span_files, log_files, skipped) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        [
            batch_id,
            list(files.span_files) if files.span_files is not None else None,
            list(files.log_files) if files.log_files is not None else None,
            list(skipped),
        ],
    )


def backfill(pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]]) -> int:
    """Queue every recorded batch whose text was never queued (oldest first); how many."""
    with pool.connection() as con, con.transaction():
        queued = con.execute(
            f"INSERT INTO {QUEUE} (batch_id, backfill)"
            " SELECT batch_id, true FROM tracechat_batches WHERE text_queued IS NOT TRUE"
            " ORDER BY committed_at ON CONFLICT DO NOTHING"
        ).rowcount
        con.execute("UPDATE tracechat_batches SET text_queued = true WHERE text_queued IS NOT TRUE")
    return max(queued, 0)


def pending(pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]]) -> int:
    """Batches queued whose text is not searchable yet (the dead ones apart: ``dead``)."""
    with pool.connection() as con:
        found = con.execute(f"SELECT count(*) FROM {QUEUE} WHERE dead_at IS NULL").fetchone()
    return int(found[0]) if found else 0


def dead(pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]]) -> int:
    """Batches given up on (``textretry``): no indexer takes them any more."""
    with pool.connection() as con:
        found = con.execute(f"SELECT count(*) FROM {QUEUE} WHERE dead_at IS NOT NULL").fetchone()
    return int(found[0]) if found else 0


def dead_batches(pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]], limit: int = DEAD_SHOWN) -> list[DeadBatch]:
    """The dead batches, oldest first (at most ``limit``), with the error of their last attempt."""
    with pool.connection() as con:
        rows = con.execute(
            f"SELECT batch_id, attempts, dead_at, last_error FROM {QUEUE} WHERE dead_at IS NOT NULL"
            " ORDER BY dead_at, seq LIMIT %s",
            [limit],
        ).fetchall()
    return [DeadBatch(b, int(a), d.astimezone(UTC).isoformat(), e) for b, a, d, e in rows]


def retry_dead(
    pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]], batch_ids: Sequence[str] | None = None
) -> int:
    """Give dead batches (``batch_ids``, or all) their attempts again, to be taken by the next
    indexer at once (an operator's retry, once what made them fail is mended); how many."""
    which = "dead_at IS NOT NULL" + (" AND batch_id = ANY(%s)" if batch_ids is not None else "")
    with pool.connection() as con:
        done = con.execute(
            f"UPDATE {QUEUE} SET dead_at = NULL, attempts = 0, next_attempt_at = now() WHERE {which}",
            [list(batch_ids)] if batch_ids is not None else [],
        )
    return max(done.rowcount, 0)


def wait_indexed(pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]], timeout: float) -> bool:
    """Wait until every batch queued so far is indexed (by any node); False on timeout."""
    deadline = time.monotonic() + timeout
    with pool.connection() as con:
        found = con.execute(f"SELECT max(seq) FROM {QUEUE} WHERE dead_at IS NULL").fetchone()
        target = found[0] if found else None
        while target is not None:
            left = con.execute(
                f"SELECT EXISTS (SELECT 1 FROM {QUEUE} WHERE seq <= %s AND dead_at IS NULL)", [target]
            ).fetchone()
            if not left or not left[0]:
                break
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
    return True


# -- reading a batch back ----------------------------------------------------------------------


def _columns(rows: pa.Table, names: Sequence[str]) -> pa.Table:
    """``rows`` as ``names`` (a column an older file lacks, ``response_id``, as nulls)."""
    arrays = [rows.column(n) if n in rows.column_names else pa.nulls(rows.num_rows, pa.string()) for n in names]
    return pa.table(arrays, names=list(names))


def _added_files(table: Table, batch_id: str) -> list[str] | None:
    """The data files the snapshot of ``batch_id`` added, or None when no kept snapshot is it."""
    for snapshot in table.metadata.snapshots:
        if snapshot.summary is None or snapshot.summary.get(tables.BATCH_PROPERTY) != batch_id:
            continue
        files: list[str] = []
        for manifest in snapshot.manifests(table.io):
            if manifest.added_snapshot_id != snapshot.snapshot_id:
                continue
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
                if entry.status == ManifestEntryStatus.ADDED:
                    files.append(entry.data_file.file_path)
        return files
    return None


def batch_rows(table_of: TableOf, name: str, batch_id: str, files: Sequence[str] | None) -> pa.Table | None:
    """The rows ``batch_id`` appended to table ``name``, in ``sql.BATCH_*_COLUMNS``: read from
    ``files`` (or its snapshot's), or, once those are gone (compacted and removed), found by
    a scan of the table for its batch id."""
    columns = sql.BATCH_SPAN_COLUMNS if name == tables.SPANS else sql.BATCH_LOG_COLUMNS
    table = table_of(name, files is None)
    known = list(files) if files is not None else _added_files(table, batch_id)
    if known is not None and not known:
        return None
    if known:
        try:
            rows = warehouses.read_table(table.io, known)
            rows = rows.filter(pc.equal(rows.column("batch"), batch_id))
            return _columns(rows, columns)
        except OSError:  # gone (compacted, then removed): found by the batch id below
            table = table_of(name, True)
    found = table.scan(row_filter=EqualTo(term=Reference("batch"), value=literal(batch_id))).to_arrow()
    return _columns(found, columns) if found.num_rows else None


def _without(spans: pa.Table | None, skipped: Sequence[str]) -> pa.Table | None:
    if spans is None or not skipped:
        return spans
    keys = pc.binary_join_element_wise(spans.column("trace_id"), spans.column("span_id"), "/")
    return spans.filter(pc.invert(pc.is_in(keys, value_set=pa.array(list(skipped), pa.string()))))


def _not_indexed(con: psycopg.Connection[tuple[Any, ...]], texts: list[IndexedText]) -> list[IndexedText]:
    """``texts`` of the spans (and span-less logs) the index holds no text of yet."""
    if not texts:
        return texts
    keys = sorted({(t.project, t.trace_id) for t in texts})
    held = con.execute(
        f"SELECT DISTINCT project, trace_id, span_id FROM {fulltext.TEXTS}"
        " WHERE (project, trace_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
        [[k[0] for k in keys], [k[1] for k in keys]],
    ).fetchall()
    indexed = {tuple(row) for row in held}
    return [t for t in texts if (t.project, t.trace_id, t.span_id) not in indexed]


# -- indexing ------------------------------------------------------------------------------------


class RecordedFailure(Exception):
    """A claim failed and its failure was recorded in the queue: its batches back off (or are
    dead), and an indexer goes on with the others."""


class TextIndexer:
    """Indexes queued batches: ``index_pending`` in the caller's thread (``maintain``), or a
    thread of its own (``start``), woken by its node's commits and every ``POLL_S``.

    A batch whose indexing fails is tried again alone after a backoff, while the others go
    on, and is dead after too many failures (``retry``: ``textretry.RetryPolicy``; ``dead``,
    ``retry_dead``)."""

    def __init__(
        self,
        pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]],
        table_of: TableOf,
        *,
        busy: Callable[[], bool] = lambda: False,
        retry: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self._pool = pool
        self._table_of = table_of
        self._busy = busy
        self._retry = retry
        self._worker = TextWorker()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failed = 0
        """Attempts that failed and were recorded (the batch backs off, or is dead)."""

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tracechat-text-indexer", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A batch was queued on this node: look now."""
        self._wake.set()

    def index_pending(self, limit: int | None = None) -> int:
        """Index queued batches until none is left that is due (or ``limit`` claims); how
        many. A batch that fails backs off (``failed`` counts it) and the rest go on; a
        failure that could not be recorded (PostgreSQL away) is raised."""
        done = claims = 0
        while (limit is None or claims < limit) and not self._stop.is_set():
            try:
                indexed = self.index_some()
            except RecordedFailure:
                claims += 1
                continue
            if not indexed:
                break
            done += indexed
            claims += 1
        return done

    def index_some(self) -> int:
        """One transaction: claim queued batches, write their text, delete their queue rows;
        how many (0: none due, or all claimed elsewhere). Batches never tried are claimed
        ``BATCHES_PER_CLAIM`` at a time, oldest first; when such a claim fails, its batches
        are tried again one at a time, at once; a batch that fails alone waits its backoff
        before its next try, and is dead after ``retry.max_attempts`` failures. So a batch that
        keeps failing (a damaged file) holds up no other. Raises ``RecordedFailure`` when
        the failure was recorded (its batches back off; go on with the others), the error
        itself when it could not be (PostgreSQL away: try again later)."""
        claimed: list[tuple[Any, ...]] = []
        try:
            with self._pool.connection() as con, con.transaction():
                claimed = self._claim(con, "attempts = 0", BATCHES_PER_CLAIM) or self._claim(
                    con, "attempts > 0 AND next_attempt_at <= now()", 1
                )
                if not claimed:
                    return 0
                self._index(con, claimed)
        except Exception as exc:
            self._worker.stop()  # a new one hands this text out again with the next claim
            if claimed and self._record_failure([row[0] for row in claimed], exc):
                raise RecordedFailure(f"indexing {len(claimed)} queued batches failed: {exc}") from exc
            raise
        except BaseException:
            self._worker.stop()
            raise
        return len(claimed)

    def _index(self, con: psycopg.Connection[tuple[Any, ...]], claimed: list[tuple[Any, ...]]) -> None:
        fresh: tuple[Rows, Rows] = ([], [])
        old: tuple[Rows, Rows] = ([], [])
        for batch_id, span_files, log_files, skipped, is_backfill in claimed:
            spans = _without(batch_rows(self._table_of, tables.SPANS, batch_id, span_files), skipped)
            logs = batch_rows(self._table_of, tables.LOGS, batch_id, log_files)
            into = old if is_backfill else fresh
            into[0].extend(fulltext.rows(spans, sql.BATCH_SPAN_COLUMNS))
            into[1].extend(row for row in fulltext.rows(logs, sql.BATCH_LOG_COLUMNS) if row[1] is not None)
        texts = self._texts(*fresh)
        texts.extend(_not_indexed(con, self._texts(*old)))
        fulltext.insert(con, texts)
        con.execute(f"DELETE FROM {QUEUE} WHERE batch_id = ANY(%s)", [[row[0] for row in claimed]])

    @staticmethod
    def _claim(con: psycopg.Connection[tuple[Any, ...]], which: str, limit: int) -> list[tuple[Any, ...]]:
        return con.execute(
            f"SELECT batch_id, span_files, log_files, skipped, backfill FROM {QUEUE}"
            f" WHERE dead_at IS NULL AND {which} ORDER BY attempts, seq LIMIT %s FOR UPDATE SKIP LOCKED",
            [limit],
        ).fetchall()

    def _record_failure(self, batch_ids: list[str], error: Exception) -> bool:
        """Count a failed attempt at ``batch_ids`` (``textretry.RetryPolicy.after_failure``:
        a batch that failed alone backs off, or is dead; batches that failed together are
        tried alone at once). False when PostgreSQL could not be told (the claim is then
        tried again as it was)."""
        alone = len(batch_ids) == 1
        message = error_text(error)
        rows: list[tuple[str, int, bool]] = []
        try:
            with self._pool.connection() as con, con.transaction():
                held = con.execute(
                    f"SELECT batch_id, attempts FROM {QUEUE} WHERE batch_id = ANY(%s) ORDER BY seq FOR UPDATE",
                    [batch_ids],
                ).fetchall()
                for batch_id, attempts in held:
                    verdict = self._retry.after_failure(int(attempts), alone=alone)
                    con.execute(
                        f"UPDATE {QUEUE} SET attempts = %s, last_error = %s,"
                        " next_attempt_at = now() + make_interval(secs => %s),"
                        " dead_at = CASE WHEN %s THEN now() END WHERE batch_id = %s",
                        [verdict.attempts, message, verdict.retry_in_s, verdict.dead, batch_id],
                    )
                    rows.append((batch_id, verdict.attempts, verdict.dead))
        except Exception:
            log.warning("could not count a failed attempt at indexing %d batches", len(batch_ids))
            return False
        self.failed += 1
        for batch_id, attempts, is_dead in rows:
            if is_dead:
                log.error(
                    "the text of batch %s is dead after %d failed attempts (%s): retry it with"
                    " tracechat maintain --retry-dead-text once mended",
                    batch_id,
                    attempts,
                    message,
                )
            elif alone:
                log.warning("indexing the text of batch %s failed (attempt %d): %s", batch_id, attempts, message)
        return True

    def _texts(self, span_rows: Rows, log_rows: Rows) -> list[IndexedText]:
        """The text of the rows, read by the worker process (only what their traces have not
        had indexed by this worker: a trace's history is indexed once)."""
        return self._worker.texts(span_rows, log_rows) if span_rows or log_rows else []

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._worker.stop()

    def _run(self) -> None:
        try:
            backfill(self._pool)
        except Exception:
            log.exception("the text index could not queue the batches stored without it")
        while not self._stop.is_set():
            self._wake.wait(POLL_S)
            self._wake.clear()
            try:
                while not self._stop.is_set():
                    started = time.perf_counter()
                    try:
                        if not self.index_some():
                            break
                    except RecordedFailure:  # those batches back off; the others go on at once
                        pass
                    if self._busy():  # acknowledging requests comes first
                        self._stop.wait((time.perf_counter() - started) * (1 - _BUSY_SHARE) / _BUSY_SHARE)
            except Exception:  # PostgreSQL or the warehouse away, the worker killed: later
                if not self._stop.is_set():
                    log.exception("the text index could not take queued batches; trying again in %.0f s", _RETRY_S)
                    self._stop.wait(_RETRY_S)
