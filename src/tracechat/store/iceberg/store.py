"""``SpanStore`` over Iceberg tables in a shared warehouse with a PostgreSQL catalog.

Any number of processes open one catalog: receivers append, readers read, each through
this class. A group commit (``store.writer``: one thread drains every request queued while
the previous commit ran) writes Parquet files once, commits them to the Iceberg table with
its batch id in the snapshot summary, then records the batch in the PostgreSQL trace index
(``traceindex``); only then are its requests acknowledged. A commit another writer beat
is re-based and tried again with the same files; one whose outcome is unknown (the
catalog's connection dropped) is looked up by its batch id before it is tried again.

A trace is read by asking the index for its row, which lists the data files its rows went
to (recorded with it at commit, kept by ``maintain``), and reading its rows from those files
with DuckDB (through the table's FileIO on S3): no planning, so a read costs the same
however many commits and manifests the table holds. A row whose lists are unknown (indexed
before they were kept), a listed file gone (maintenance raced the read) or fewer spans read
than the row counts falls back to planning the files of its project, days and trace-id
bucket with pyiceberg on freshly loaded metadata. A span stored twice (sent again through
another receiver before the first copy was indexed) is read once.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
from psycopg_pool import ConnectionPool
from pyiceberg.exceptions import CommitFailedException, NamespaceAlreadyExistsError, TableAlreadyExistsError
from pyiceberg.expressions import And, BooleanExpression, EqualTo, GreaterThanOrEqual, LessThanOrEqual, Reference
from pyiceberg.expressions.literals import literal
from pyiceberg.manifest import DataFile
from pyiceberg.schema import Schema
from pyiceberg.table import Table, Transaction
from pyiceberg.table.metadata import TableMetadata
from pyiceberg.table.snapshots import Snapshot
from pyiceberg.table.update import TableUpdate, update_table_metadata

from tracechat.errors import StorageUnavailable, TraceTooLarge, Unsupported
from tracechat.ingest.flatten import stored_span
from tracechat.model.records import IngestBatch, StoredCount
from tracechat.model.sessions import SessionEntry, SessionFilter, SessionSummary
from tracechat.model.stored import StoredLog, StoredSpan, StoredTrace, TraceIndexEntry
from tracechat.model.summaries import SpanMatch, StoredFeedback, TraceFilter
from tracechat.store.commits import CommitFeed, TraceWatch
from tracechat.store.iceberg import tables, textindex
from tracechat.store.iceberg import warehouse as warehouses
from tracechat.store.iceberg.commitnotes import CommitListener
from tracechat.store.iceberg.files import TraceKey, write_data_files
from tracechat.store.iceberg.outage import retryable
from tracechat.store.iceberg.textindex import QueuedText, TextIndexer
from tracechat.store.iceberg.traceindex import BatchFiles, Recorded, TraceIndex, TraceRow, entry, without_spans
from tracechat.store.staging import StagedBatch, concat, span_keys, stage, stored_counts
from tracechat.store.writer import CommitObserver, GroupCommitWriter

log = logging.getLogger(__name__)

_COMMIT_ATTEMPTS = 20
"""Tries of one Iceberg commit: a commit another receiver beat is re-based at once, so this
is how many receivers may beat one commit in a row before its requests are refused."""
_UNKNOWN_BACKOFF_S = (0.05, 0.2, 0.5, 1.0, 2.0)
_INDEX_ATTEMPTS = 4
METADATA_MAX_AGE_S = 60.0
"""How old a reader's view of a table may get: far below ``maintain``'s grace period, so
no read plans files from a snapshot whose files maintenance has removed."""
TEXT_MATCHES_PER_TRACE = 3
"""Matching pieces of text shown per trace, as on the DuckDB store."""
_POOL_WAIT_S = 5.0
"""How long a call waits for a PostgreSQL connection before it fails (retryably)."""
COMMIT_GATE = 7_412_002
"""Advisory lock every Iceberg commit holds: shared by receivers, exclusive for a
maintenance commit (``store.iceberg.maintain``)."""
_CATALOG_LOCK = 7_412_000
"""Advisory lock held while a node creates the catalog's tables and tracechat's, so nodes
starting together do not race on ``CREATE``."""


def sqlalchemy_uri(uri: str) -> str:
    """The catalog URI for SQLAlchemy, whose PostgreSQL driver here is psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix) :]
    if uri.startswith("postgresql+psycopg://"):
        return uri
    raise ValueError(f"the catalog URI must be a postgresql:// URI, not {uri.split(':', 1)[0]}://")


def libpq_uri(uri: str) -> str:
    return uri.replace("postgresql+psycopg://", "postgresql://", 1)


def _local_path(location: str) -> str:
    """What DuckDB opens for a data file's location (a path, for a file:// warehouse)."""
    return location[len("file://") :] if location.startswith("file://") else location


class IcebergStore:
    """``SpanStore`` over the shared tables. See ``store.protocol.SpanStore`` for the promises;
    the text of a commit becomes searchable a moment after it is acknowledged, as on the
    DuckDB store, once a node's text indexer has taken it from the queue (``textindex``)."""

    def __init__(
        self,
        catalog_uri: str,
        warehouse: str,
        *,
        max_queue_bytes: int = 256 << 20,
        max_commit_bytes: int = 64 << 20,
        observer: CommitObserver | None = None,
        pool_size: int = 8,
        memory_mb: int = 512,
        writes: bool = True,
        search: bool = True,
        text_indexer: bool | None = None,
    ) -> None:
        """``writes=False``: a reader (``--role query``), with no writer; ``submit`` refuses.
        ``search=False``: commits queue no text for the full-text index (``TRACECHAT_SEARCH_INDEX=0``).
        ``text_indexer``: run a text indexer here (``textindex``; default: with ``search``)."""
        self._pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            libpq_uri(catalog_uri),
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "connect_timeout": 5},
            timeout=_POOL_WAIT_S,
            # A connection that a PostgreSQL restart broke is found and replaced when taken.
            check=ConnectionPool.check_connection,
            open=True,
        )
        try:
            self.index = TraceIndex(self._pool)
            with self._catalog_lock():
                self.index.ensure_schema()  # first: a database of a newer release is refused here
                self.catalog = warehouses.open_catalog(sqlalchemy_uri(catalog_uri), warehouse)
                self._create_tables()
        except BaseException:
            self._pool.close()
            raise
        self._closed = False
        self.problem: str | None = None
        """Never set: a damaged Iceberg table is not detected by this store (``ops`` reads it)."""
        self._feed = CommitFeed()
        self._listener = CommitListener(libpq_uri(catalog_uri), self._feed)
        self._tables: dict[str, Table] = {}
        self._loaded: dict[str, float] = {}
        self._tables_lock = threading.Lock()
        self._duck = duckdb.connect(":memory:", config={"threads": 1, "memory_limit": f"{memory_mb}MiB"})
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        self._search = search
        self._indexer: TextIndexer | None = None
        if search if text_indexer is None else text_indexer:
            self._indexer = TextIndexer(self._pool, self._table_for_text, busy=self._ingest_saturated)
            self._indexer.start()
        self.listed_reads = 0
        """Reads of the files a trace's index row lists (no planning): for tests and benchmarks."""
        self.planned_reads = 0
        """Reads of the files pyiceberg planned (rows with unknown lists, and fallbacks)."""
        self._writer: GroupCommitWriter[StagedBatch, StoredCount] | None = (
            GroupCommitWriter(
                self._commit,
                max_queue_bytes=max_queue_bytes,
                max_commit_bytes=max_commit_bytes,
                observer=observer,
                name="tracechat-iceberg-writer",
            )
            if writes
            else None
        )

    @contextmanager
    def _catalog_lock(self) -> Iterator[None]:
        with self._pool.connection() as con:
            con.execute("SELECT pg_advisory_lock(%s)", [_CATALOG_LOCK])
            try:
                yield
            finally:
                con.execute("SELECT pg_advisory_unlock(%s)", [_CATALOG_LOCK])

    def _create_tables(self) -> None:
        with suppress(NamespaceAlreadyExistsError):
            self.catalog.create_namespace(tables.NAMESPACE)
        for name, schema, spec, order in (
            (tables.SPANS, tables.SPAN_SCHEMA, tables.SPAN_SPEC, tables.SPAN_SORT),
            (tables.LOGS, tables.LOG_SCHEMA, tables.LOG_SPEC, tables.LOG_SORT),
        ):
            if self.catalog.table_exists(name):
                self._add_new_fields(name, schema)
                continue
            with suppress(TableAlreadyExistsError):
                self.catalog.create_table(
                    name, schema, partition_spec=spec, sort_order=order, properties=tables.TABLE_PROPERTIES
                )

    def _add_new_fields(self, name: str, schema: Schema) -> None:
        """Bring a table made by an older tracechat to ``schema``: the fields added since
        (optional, at the end: ``response_id``) are added; files written before read them as
        null. Runs under the catalog lock, so nodes starting together add them once."""
        table = self.catalog.load_table(name)
        have = {field.name for field in table.schema().fields}
        missing = [field for field in schema.fields if field.name not in have]
        if not missing:
            return
        with table.update_schema() as update:
            for field in missing:
                update.add_column(field.name, field.field_type, doc=field.doc)

    # -- writing -----------------------------------------------------------------------------

    @property
    def writer(self) -> GroupCommitWriter[StagedBatch, StoredCount] | NoWriter:
        return self._writer if self._writer is not None else NO_WRITER

    def submit(self, batch: IngestBatch) -> Future[StoredCount]:
        if self._writer is None:
            raise Unsupported(
                "this node runs --role query and stores nothing: send OTLP to a node of --role ingest or all"
            )
        if not batch.row_count:
            done: Future[StoredCount] = Future()
            done.set_result(StoredCount())
            return done
        staged = stage(batch)
        return self._writer.submit(staged, staged.size_bytes)

    @retryable
    def _commit(self, group: list[StagedBatch]) -> list[StoredCount]:
        batch_id = uuid.uuid4().hex
        scopes = concat([g.scopes for g in group])
        assert scopes is not None  # every staged batch has its scopes table, empty or not
        spans = concat([g.spans for g in group])
        logs = concat([g.logs for g in group])
        span_rows = (
            tables.span_rows(spans, scopes, batch_id, buckets=self._buckets(tables.SPANS))
            if spans is not None
            else None
        )
        if span_rows is not None:
            keys = zip(span_rows.column("project").to_pylist(), span_rows.column("trace_id").to_pylist(), strict=True)
            span_rows = without_spans(span_rows, self.index.stored_span_ids(keys))
        log_rows = (
            self._new_log_rows(tables.log_rows(logs, scopes, batch_id, buckets=self._buckets(tables.LOGS)))
            if logs is not None
            else None
        )
        has_spans = span_rows is not None and span_rows.num_rows
        has_logs = log_rows is not None and log_rows.num_rows
        span_seq, span_files = self._append(tables.SPANS, span_rows, batch_id) if has_spans else (0, {})
        log_seq, log_files = self._append(tables.LOGS, log_rows, batch_id) if has_logs else (0, {})
        text = QueuedText(_paths(span_files), _paths(log_files)) if self._search else None
        kept_spans = span_rows if has_spans else None
        kept_logs = log_rows if has_logs else None
        recorded = self._record(
            batch_id, kept_spans, kept_logs, span_seq, log_seq, text, BatchFiles(span_files, log_files)
        )
        if self._indexer is not None:
            self._indexer.wake()
        if self._feed.watched:  # after the commit and before its requests are acknowledged
            self._feed.publish(_trace_ids(spans, logs))
        if recorded is None:  # recorded by an attempt whose reply was lost: what it appended
            recorded = Recorded(
                set(span_keys(kept_spans)) if kept_spans is not None else set(),  # type: ignore[arg-type]
                set(tables.row_log_ids(kept_logs)) if kept_logs is not None else set(),
            )
        return _counts(group, spans, recorded)

    def _new_log_rows(self, rows: pa.Table) -> pa.Table:
        """``rows`` each once, without those the trace index holds already (an exporter's
        retry): ``tables.log_ids``, listed in their trace's row, or for a record of no trace
        in ``traceindex.TRACELESS_LOGS``."""
        ids = tables.row_log_ids(rows)
        keys = list(zip(rows.column("project").to_pylist(), rows.column("trace_id").to_pylist(), strict=True))
        held = self.index.stored_log_ids(k for k in keys if k[1] is not None)
        held_traceless = self.index.stored_traceless_log_ids(
            (p, i) for (p, t), i in zip(keys, ids, strict=True) if t is None
        )
        seen: set[str] = set()
        keep: list[bool] = []
        for (project, trace_id), log_id in zip(keys, ids, strict=True):
            stored = (
                (project, log_id) in held_traceless if trace_id is None else log_id in held.get((project, trace_id), ())
            )
            keep.append(log_id not in seen and not stored)
            seen.add(log_id)
        return tables.without_rows(rows, keep)

    def _append(self, name: str, rows: pa.Table, batch_id: str) -> tuple[int, dict[TraceKey, list[str]]]:
        """Commit ``rows`` to the table as one snapshot tagged with ``batch_id``; its
        sequence number and the files each trace's rows went to. The data files are written
        once, whatever the retries."""
        table = self._table(name, 0)
        written = write_data_files(table, rows)
        with self._pool.connection() as gate:
            # Shared: receivers commit side by side; maintenance takes the gate alone for
            # its few commits, which would otherwise lose every race to a busy receiver.
            gate.execute("SELECT pg_advisory_lock_shared(%s)", [COMMIT_GATE])
            try:
                return self._commit_files(name, table, written.files, batch_id), written.traces
            finally:
                gate.execute("SELECT pg_advisory_unlock_shared(%s)", [COMMIT_GATE])

    def _commit_files(self, name: str, table: Table, files: list[DataFile], batch_id: str) -> int:
        unknown = 0
        for _ in range(_COMMIT_ATTEMPTS):
            try:
                with (
                    OnceCopiedTransaction(table) as transaction,
                    transaction.update_snapshot(
                        snapshot_properties={tables.BATCH_PROPERTY: batch_id}
                    ).fast_append() as append,
                ):
                    for data_file in files:
                        append.append_data_file(data_file)
            except CommitFailedException:
                table = self._reload(name)  # another writer committed first: re-base, go again
                continue
            except Exception as exc:
                # The outcome is unknown (the catalog's connection failed during the commit).
                if unknown >= len(_UNKNOWN_BACKOFF_S):
                    raise StorageUnavailable(f"the catalog could not commit: {exc}", retry_after=5.0) from exc
                log.warning("commit of batch %s to %s: outcome unknown (%s); checking", batch_id, name, exc)
                time.sleep(_UNKNOWN_BACKOFF_S[unknown])
                unknown += 1
                try:
                    table = self._reload(name)
                except Exception:
                    continue
                found = _snapshot_of(table, batch_id)
                if found is not None:
                    return _sequence(found)
                continue
            self._remember(name, table)
            found = _snapshot_of(table, batch_id)
            assert found is not None, "a committed snapshot is in the table's metadata"
            return _sequence(found)
        raise StorageUnavailable(f"{name}: {_COMMIT_ATTEMPTS} commits in a row lost to other writers", retry_after=1.0)

    def _record(
        self,
        batch_id: str,
        spans: pa.Table | None,
        logs: pa.Table | None,
        span_seq: int,
        log_seq: int,
        text: QueuedText | None,
        files: BatchFiles,
    ) -> Recorded | None:
        """Record the committed batch in the trace index, retrying while PostgreSQL is away
        for a moment (the batch is in Iceberg already; recording it twice changes nothing);
        what it added (None: an attempt whose reply was lost recorded it)."""
        for attempt in range(_INDEX_ATTEMPTS):
            try:
                return self.index.record(batch_id, spans, logs, span_seq, log_seq, text, files)
            except psycopg.errors.DeadlockDetected:
                continue
            except psycopg.OperationalError as exc:
                if attempt + 1 == _INDEX_ATTEMPTS:
                    raise StorageUnavailable(f"the trace index could not commit: {exc}", retry_after=5.0) from exc
                time.sleep(_UNKNOWN_BACKOFF_S[attempt])
        raise StorageUnavailable("the trace index kept deadlocking with other receivers", retry_after=1.0)

    # -- tables --------------------------------------------------------------------------------

    def _table(self, name: str, at_least: int) -> Table:
        """The table as of sequence number ``at_least`` or later, loaded less than
        ``METADATA_MAX_AGE_S`` ago (reloaded otherwise)."""
        cached = self._tables.get(name)
        fresh = self._loaded.get(name, 0.0) > time.monotonic() - METADATA_MAX_AGE_S
        if cached is not None and fresh and _sequence_of(cached) >= at_least:
            return cached
        return self._reload(name)

    def _buckets(self, name: str) -> int:
        """The table's trace-id buckets (its partition spec's: tables of earlier versions have 16)."""
        return tables.trace_buckets(self._table(name, 0).metadata.spec())

    def _reload(self, name: str) -> Table:
        loaded = time.monotonic()
        table = self.catalog.load_table(name)
        self._remember(name, table)
        self._loaded[name] = loaded
        return table

    def _remember(self, name: str, table: Table) -> None:
        with self._tables_lock:
            cached = self._tables.get(name)
            if cached is None or _sequence_of(cached) <= _sequence_of(table):
                self._tables[name] = table

    # -- reading -------------------------------------------------------------------------------

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._duck.cursor()
            self._local.cursor = cursor
            with self._cursors_lock:
                self._cursors.append(cursor)
        return cursor

    def _files(self, name: str, seq: int, row_filter: BooleanExpression) -> list[str] | None:
        """The locations of the table's data files that may hold rows matching
        ``row_filter`` (None: some carry delete files, which only pyiceberg's own reader
        applies)."""
        scan = self._table(name, seq).scan(row_filter=row_filter)
        tasks = list(scan.plan_files())
        if any(task.delete_files for task in tasks):
            return None
        return [task.file.file_path for task in tasks]

    def _rows(
        self,
        name: str,
        seq: int,
        row_filter: BooleanExpression,
        columns: str,
        project: str,
        trace_id: str,
        *,
        fresh: bool = False,
    ) -> list[tuple[Any, ...]]:
        """The trace's rows from the files pyiceberg plans (the fallback of ``_listed_rows``;
        ``fresh``: on metadata loaded now, for what maintenance changed since)."""
        try:
            if fresh:
                self._reload(name)
            return self._read_rows(name, seq, row_filter, columns, project, trace_id)
        except (OSError, duckdb.IOException) as exc:  # the warehouse (a mount, an S3 API) failed
            raise StorageUnavailable(f"the warehouse could not be read: {exc}", retry_after=5.0) from exc

    def _listed_rows(
        self, name: str, files: tuple[str, ...], columns: str, project: str, trace_id: str
    ) -> list[tuple[Any, ...]] | None:
        """The trace's rows from the files its index row lists, planning nothing; None when
        one is gone (``maintain`` replaced it, and its grace period is over) or cannot be read."""
        self.listed_reads += 1
        try:
            return self._read_files(name, 0, list(files), None, columns, project, trace_id)
        except (OSError, duckdb.IOException) as exc:
            log.info("a listed file of trace %s could not be read (%s): planning instead", trace_id, exc)
            return None

    def _read_rows(
        self, name: str, seq: int, row_filter: BooleanExpression, columns: str, project: str, trace_id: str
    ) -> list[tuple[Any, ...]]:
        self.planned_reads += 1
        return self._read_files(name, seq, self._files(name, seq, row_filter), row_filter, columns, project, trace_id)

    def _read_files(
        self,
        name: str,
        seq: int,
        files: list[str] | None,
        row_filter: BooleanExpression | None,
        columns: str,
        project: str,
        trace_id: str,
    ) -> list[tuple[Any, ...]]:
        """The trace's rows in ``files`` (None: planned ones carrying delete files, which
        only pyiceberg's own reader applies, with ``row_filter``)."""
        if files is not None and not files:
            return []
        if files is not None and all(warehouses.is_local(f) for f in files):
            return (
                self._cursor()
                .execute(
                    f"SELECT {columns} FROM read_parquet($files) WHERE project = $project AND trace_id = $trace_id",
                    {"files": [_local_path(f) for f in files], "project": project, "trace_id": trace_id},
                )
                .fetchall()
            )
        if files is None:
            assert row_filter is not None
            arrow = self._table(name, seq).scan(row_filter=row_filter).to_arrow()
        else:
            # On S3: DuckDB's httpfs extension cannot be loaded here (no build for this
            # DuckDB on PyPI, no download at run time), so the planned files are read
            # through the table's own FileIO into Arrow, their row groups pruned by trace id.
            # The table's metadata, not its snapshot, gives the FileIO: any loaded one does.
            names = [column.strip() for column in columns.split(",")]
            arrow = warehouses.read_trace(self._table(name, seq).io, files, names, project, trace_id)
        cursor = self._cursor()
        cursor.register("planned", arrow)
        try:
            return cursor.execute(f"SELECT {columns} FROM planned").fetchall()
        finally:
            cursor.unregister("planned")

    def scan_cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor of the store's DuckDB, for a query over planned files (the caller
        closes it; what it registers goes with it)."""
        return self._duck.cursor()

    def span_files(self, project: str, from_ns: int, seq: int, *, fresh: bool = False) -> list[str] | pa.Table:
        """The span files, as of sequence number ``seq`` or later, that may hold ``project``'s
        spans started at ``from_ns`` or later (partition pruning by day); their rows instead
        (Arrow, read through the table's FileIO) when some carry delete files or are not on
        the local filesystem (DuckDB cannot read S3 here; see ``_read_rows``). Planned: for
        the rows ``span_sources`` cannot read from their lists (``planned_reads`` counts it);
        ``fresh``: on metadata loaded now (a listed file was gone)."""
        self.planned_reads += 1
        if fresh:
            self._reload(tables.SPANS)
        row_filter = And(
            EqualTo(term=Reference("project"), value=literal(project)),
            GreaterThanOrEqual(term=Reference("start_time"), value=literal(from_ns // 1000)),
        )
        files = self._files(tables.SPANS, seq, row_filter)
        if files is not None and all(warehouses.is_local(f) for f in files):
            return files
        return self._table(tables.SPANS, seq).scan(row_filter=row_filter).to_arrow()

    def listed_span_files(self, files: Sequence[str], columns: Sequence[str]) -> list[str] | pa.Table:
        """Listed span files (``span_sources``) as DuckDB reads them: their local paths, or
        their rows in ``columns`` read through the table's FileIO (DuckDB cannot read S3 here).
        Raises ``OSError`` for a file that is gone. ``listed_reads`` counts it."""
        self.listed_reads += 1
        if all(warehouses.is_local(f) for f in files):
            return [_local_path(f) for f in files]
        return warehouses.read_table(self._table(tables.SPANS, 0).io, list(files), list(columns))

    @retryable
    def trace(self, project: str, trace_id: str) -> TraceIndexEntry | None:
        row = self.index.row(project, trace_id)
        return entry(row) if row is not None and (row.span_count or row.log_count) else None

    @retryable
    def read_trace(self, project: str, trace_id: str, max_spans: int | None = None) -> StoredTrace | None:
        row = self.index.row(project, trace_id)
        if row is None or not (row.span_count or row.log_count):
            return None
        TraceTooLarge.check(trace_id, row.span_count, max_spans)
        return StoredTrace(row.root_name, self._spans(row), self._logs(row))

    @retryable
    def read_span(self, project: str, trace_id: str, span_id: str) -> StoredTrace | None:
        """The trace's planned files are read as for ``read_trace`` and kept to the one span
        and its logs (the files are sorted by trace id, not by span id)."""
        row = self.index.row(project, trace_id)
        if row is None or not (row.span_count or row.log_count):
            return None
        spans = [span for span in self._spans(row) if span.fields.span_id == span_id]
        logs = [record for record in self._logs(row) if record.span_id == span_id]
        return StoredTrace(row.root_name, spans, logs)

    def watch_trace(self, trace_id: str) -> TraceWatch:
        """Woken by a commit of the trace through this process (before it acknowledges) or
        through any other node (``commitnotes``: PostgreSQL's NOTIFY, after its commit)."""
        return self._feed.subscribe(trace_id)

    @retryable
    def trace_spans(self, project: str, trace_id: str) -> list[StoredSpan]:
        row = self.index.row(project, trace_id)
        return self._spans(row) if row is not None else []

    @retryable
    def trace_logs(self, project: str, trace_id: str) -> list[StoredLog]:
        row = self.index.row(project, trace_id)
        return self._logs(row) if row is not None else []

    def _spans(self, row: TraceRow) -> list[StoredSpan]:
        if not row.span_count or row.start_ns is None:
            return []
        columns = "span_id, raw, resource, scope"
        once: dict[str, tuple[Any, ...]] | None = None
        sources = span_sources([row])
        if sources.listed:
            listed = self._listed_rows(tables.SPANS, sources.listed, columns, row.project, row.trace_id)
            if listed is not None:
                once = _once(listed)
                if len(once) < row.span_count:  # a list missing a file: never a partial trace
                    log.warning("trace %s: listed files hold %d of %d spans", row.trace_id, len(once), row.span_count)
                    once = None
        if once is None:
            row_filter = _of_trace(row.project, row.trace_id, "start_time", row.start_ns, row.end_ns or row.start_ns)
            fresh = bool(row.span_files)  # a list gone stale: what maintenance changed, on fresh metadata
            found = self._rows(tables.SPANS, row.span_seq, row_filter, columns, row.project, row.trace_id, fresh=fresh)
            once = _once(found)
        spans = [stored_span(row.project, row.trace_id, *values) for values in once.values()]
        spans.sort(key=lambda span: (span.fields.start_ns, span.fields.span_id))
        return spans

    def _logs(self, row: TraceRow) -> list[StoredLog]:
        if not row.log_count or row.log_start_ns is None:
            return []
        columns = "span_id, time_ns, observed_ns, severity_number, severity_text, event_name, raw, resource, scope"
        found: list[tuple[Any, ...]] | None = None
        if row.log_files:
            found = self._listed_rows(tables.LOGS, row.log_files, columns, row.project, row.trace_id)
            if found is not None and len(found) < row.log_count:
                log.warning("trace %s: its listed files hold %d of %d logs", row.trace_id, len(found), row.log_count)
                found = None
        if found is None:
            row_filter = _of_trace(
                row.project, row.trace_id, "time", row.log_start_ns, row.log_end_ns or row.log_start_ns
            )
            fresh = bool(row.log_files)
            found = self._rows(tables.LOGS, row.log_seq, row_filter, columns, row.project, row.trace_id, fresh=fresh)
        found = list(dict.fromkeys(found))  # a record stored twice (two receivers at once) is read once
        found.sort(key=lambda values: (values[1], values[2]))
        return [StoredLog(row.project, row.trace_id, *values) for values in found]

    @retryable
    def list_traces(
        self, project: str, where: TraceFilter, limit: int, offset: int
    ) -> tuple[list[tuple[Any, ...]], int]:
        return self.index.page(project, where, limit, offset)

    @retryable
    def list_sessions(
        self, project: str, where: SessionFilter, limit: int, offset: int
    ) -> tuple[list[SessionSummary], int]:
        return self.index.session_page(project, where, limit, offset)

    @retryable
    def session(self, project: str, session_id: str) -> SessionEntry | None:
        return self.index.session(project, session_id)

    def text_matches(self, project: str, text: str, trace_ids: list[str]) -> dict[str, list[SpanMatch]]:
        return self.index.text_matches(project, text, trace_ids, TEXT_MATCHES_PER_TRACE)

    @retryable
    def add_feedback(self, project: str, feedback: StoredFeedback) -> None:
        self.index.add_feedback(project, feedback)

    @retryable
    def feedback(self, project: str, trace_id: str) -> list[StoredFeedback]:
        return self.index.feedback(project, trace_id)

    @retryable
    def span_count(self, project: str | None = None) -> int:
        return self.index.span_count(project)

    def search_lag(self) -> int:
        """Committed batches whose text is not searchable yet (on any node: one queue)."""
        return textindex.pending(self._pool) if self._search else 0

    def search_dead(self) -> int:
        """Committed batches whose text indexing failed too often and stopped (``textindex``)."""
        return textindex.dead(self._pool) if self._search else 0

    def wait_searchable(self, timeout: float) -> bool:
        """Wait until the text of every batch committed so far (through any node) is
        searchable (but dead ones); False on timeout (on a node without an indexer, others must index it)."""
        return textindex.wait_indexed(self._pool, timeout) if self._search else True

    def _ingest_saturated(self) -> bool:
        """Whether requests wait on this node's writer beyond its next group commit (its text
        indexer then gives way). Not the writer's load, as on the DuckDB store: an Iceberg
        commit is mostly waiting on the catalog, so a writer busy all the time at a modest
        rate leaves the cores free, and pacing the indexer then only made text seconds late."""
        writer = getattr(self, "_writer", None)
        return writer is not None and writer.queued_items >= 2

    def _table_for_text(self, name: str, fresh: bool) -> Table:
        return self._reload(name) if fresh else self._table(name, 0)

    def close(self) -> None:
        """Commit what is queued, stop the writer, close the connections (once)."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._writer.close()
        if self._indexer is not None:
            self._indexer.close()
        self._listener.close()
        with self._cursors_lock:
            for cursor in self._cursors:
                cursor.close()
            self._cursors.clear()
        self._local = threading.local()
        self._duck.close()
        self.index.close()
        self.catalog.engine.dispose()
        self._pool.close()


class NoWriter:
    """The write queue of a store that has no writer: always empty."""

    queued_bytes = 0
    queued_items = 0


NO_WRITER = NoWriter()


class OnceCopiedTransaction(Transaction):
    """pyiceberg's ``Transaction``, its ``table_metadata`` made once per change instead of at
    every read. pyiceberg applies the staged updates to a deep copy of the table's metadata
    each time it is read (pydantic's ``__deepcopy__``, over every snapshot the table keeps
    until ``maintain`` expires them), and a fast append reads it 14 times before the
    catalog's own copy. The metadata is frozen, so one copy serves every read until the
    table or the staged updates change."""

    _made: tuple[TableMetadata, tuple[TableUpdate, ...], TableMetadata] | None = None

    @property
    def table_metadata(self) -> TableMetadata:
        base, updates = self._table.metadata, self._updates
        if self._made is None or self._made[0] is not base or self._made[1] is not updates:
            self._made = (base, updates, update_table_metadata(base, updates))
        return self._made[2]


def _trace_ids(*tables_: pa.Table | None) -> set[str]:
    ids: set[str] = set()
    for table in tables_:
        if table is not None:
            ids.update(t for t in table.column("trace_id").to_pylist() if t is not None)
    return ids


def _of_trace(project: str, trace_id: str, time_column: str, start_ns: int, end_ns: int) -> BooleanExpression:
    """A trace's rows: its project, its trace id (its bucket) and the days it spans."""
    return And(
        EqualTo(term=Reference("project"), value=literal(project)),
        EqualTo(term=Reference("trace_id"), value=literal(trace_id)),
        GreaterThanOrEqual(term=Reference(time_column), value=literal(start_ns // 1000)),
        LessThanOrEqual(term=Reference(time_column), value=literal(end_ns // 1000 + 1)),
    )


def _counts(group: list[StagedBatch], spans: pa.Table | None, recorded: Recorded) -> list[StoredCount]:
    """What the commit stored of each request (``staging.stored_counts``): every row unless
    the index left some out."""
    staged_logs = sum(g.logs.num_rows for g in group if g.logs is not None)
    new_spans = None if spans is None or len(recorded.spans) == spans.num_rows else recorded.spans
    new_logs = None if len(recorded.logs) == staged_logs else recorded.logs
    return stored_counts(group, new_spans, new_logs, _staged_log_ids)


def _staged_log_ids(staged: StagedBatch) -> list[str]:
    assert staged.logs is not None
    return tables.staged_log_ids(staged.logs, staged.scopes)


@dataclass(frozen=True, slots=True)
class SpanSources:
    """Where the spans of some traces are, by their index rows (``span_sources``)."""

    listed: tuple[str, ...] = ()
    """The files the rows that list theirs name, each once: read, planning nothing."""
    unlisted: tuple[TraceRow, ...] = ()
    """The rows whose lists are unknown: their files are planned."""


def span_sources(rows: Iterable[TraceRow]) -> SpanSources:
    """The rule every read of spans on this store follows (a trace's, ``_spans``; the
    assistant's statistics over a window, ``analytics``): a row that lists its span files is
    read from those files; a row whose list is unknown (NULL: indexed before the index kept
    lists, or forgotten by ``maintain`` until it lists them again) or empty though it counts
    spans is planned with pyiceberg. A row of no spans needs neither."""
    listed: dict[str, None] = {}
    unlisted: list[TraceRow] = []
    for row in rows:
        if not row.span_count:
            continue
        if row.span_files:
            listed.update(dict.fromkeys(row.span_files))
        else:
            unlisted.append(row)
    return SpanSources(tuple(listed), tuple(unlisted))


def _once(found: list[tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """(span id, raw, resource, scope) rows by span id, each once (a span stored twice)."""
    once: dict[str, tuple[Any, ...]] = {}
    for span_id, raw, resource, scope in found:
        once.setdefault(span_id, (raw, resource, scope))
    return once


def _snapshot_of(table: Table, batch_id: str) -> Snapshot | None:
    """The table's snapshot written by batch ``batch_id``, newest first."""
    for snapshot in sorted(table.metadata.snapshots, key=lambda s: s.timestamp_ms, reverse=True):
        if snapshot.summary is not None and snapshot.summary.get(tables.BATCH_PROPERTY) == batch_id:
            return snapshot
    return None


def _sequence_of(table: Table) -> int:
    """The table's last sequence number (format version 2 on: tracechat creates v2 tables)."""
    return int(getattr(table.metadata, "last_sequence_number", 0))


def _sequence(snapshot: Snapshot) -> int:
    return snapshot.sequence_number or 0


def _paths(by_trace: dict[TraceKey, list[str]]) -> list[str]:
    """Every file a commit wrote: each holds some trace's rows."""
    return sorted({path for paths in by_trace.values() for path in paths})
