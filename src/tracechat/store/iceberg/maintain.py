"""Upkeep of the shared tables (``tracechat maintain``), safe beside running receivers and
readers:

0. **Re-index**: a batch a receiver committed to Iceberg but never recorded in the trace
   index (it died between the two commits, and its client never sent it again) is found by
   the batch id in its snapshot and recorded, so its spans are listed and read. Then the
   **text** of every batch queued and not yet indexed by a node is indexed (``textindex``),
   batches stored while the text index was off queued first (backfill).
1. **Compact**: in each partition holding several small files, the files are read, their
   rows sorted by trace id (a span stored twice, through two receivers, kept once) and
   written as one file, which replaces exactly those files in one snapshot. Rows receivers
   append meanwhile are in other files and stay; a receiver's commit that lands first makes
   pyiceberg re-base the replacement (or refuse it, to be tried at the next run). Right
   after the commit, one index transaction points the traces of those rows at the new file
   and retires the old ones (``TraceIndex.replace_files``); a read that listed an old file
   just before still finds it: it stays for the grace period after it was retired (4).
2. **Rewrite manifests**: every receiver's commit adds a manifest naming its files, and
   planning a read opens each manifest whose partition range may hold the trace (a
   commit's covers every bucket, so all of them). The live entries are rewritten into few
   manifests, sorted by partition, so a read opens the one or two whose range holds its
   partition. The same files stay in the table, in one ``replace`` snapshot; a receiver's
   commit landing first makes pyiceberg redo it over the new manifest list.
3. **Expire** snapshots older than the retention (``keep_snapshots``, its own setting: every
   commit copies the metadata listing them all, so fewer is cheaper; the current one always
   stays). Readers reload metadata every minute and plan only from the current snapshot,
   and re-indexing (0, run first) has found a dead receiver's batch by its snapshot once it
   is ``UNINDEXED_AFTER`` old, so any retention of at least that is safe.
3b. **Re-list**: trace rows whose file lists are unknown (indexed before the index kept
   them, or forgotten below) get them from the files of the current snapshots (their trace
   ids read, not their payloads); a row a commit added to since then waits for the next run.
4. **Remove orphans**: files under the table's location that no remaining snapshot or
   metadata version references, that are older than the grace period, not retired within
   it, and that no trace row lists. A receiver writes its files before its commit and a
   reader plans its files from a snapshot it loaded, or reads those its trace row lists;
   each takes well under the grace period, so none finds a file gone — and a read that
   does (a grace period shorter than a read) plans again instead of answering part of a
   trace. A file a row still lists though no snapshot holds it (maintenance stopped
   between a compaction's commit and its index transaction) has its rows' lists forgotten
   first, and re-listed (3b).
5. **Vacuum** the trace index's tables (``TraceIndex.vacuum``): the re-pointing (1), the
   re-listing (3b) and the text indexer (0) rewrite or delete rows by the thousand, whose
   dead versions commits can reuse once vacuumed.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg_pool import ConnectionPool
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.expressions import EqualTo, In, Reference
from pyiceberg.expressions.literals import literal
from pyiceberg.io import FileIO
from pyiceberg.io.pyarrow import _dataframe_to_data_files
from pyiceberg.manifest import DataFile, ManifestContent, ManifestEntry, ManifestFile
from pyiceberg.table import Table, Transaction
from pyiceberg.table.snapshots import Operation, Summary
from pyiceberg.table.update.snapshot import _SnapshotProducer
from pyiceberg.typedef import EMPTY_DICT

from tracechat.store.iceberg import tables, textindex
from tracechat.store.iceberg import warehouse as warehouses
from tracechat.store.iceberg.files import TraceKey, located, trace_keys
from tracechat.store.iceberg.outage import catalog_reachable
from tracechat.store.iceberg.store import COMMIT_GATE
from tracechat.store.iceberg.textindex import QueuedText
from tracechat.store.iceberg.traceindex import BatchFiles, TraceIndex

log = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(hours=1)
MAINTAIN_PROPERTY = "tracechat.maintain"
_SMALL_BYTES = 32 << 20
"""Files below this are compacted when their partition has ``min_files`` of them."""
_REPLACE_ATTEMPTS = 5
MANIFEST_ENTRIES = 100
"""Data files per rewritten manifest: a read plans from the manifests whose partition range
may hold its trace, each read whole (planning costs by the entry: 1,000 per manifest left
a read decoding most of a table's entries still), so small manifests of sorted entries
prune best; the manifest list they make stays small beside them."""
MIN_MANIFESTS = 8
"""Rewrite a table's manifests once it has this many more than a rewrite would leave."""
RETIRED_KEPT = timedelta(days=1)
"""How long the index remembers a retired file (at least the grace period): a commit that
was between its two steps when its file was compacted, or re-indexed later by ``reindex``,
must find it retired."""
UNINDEXED_AFTER = timedelta(minutes=5)
"""A receiver's batch committed to Iceberg this long ago and still not in the trace index
was left there by a receiver that died between its two commits."""


@dataclass
class MaintenanceReport:
    compacted_partitions: int = 0
    files_replaced: int = 0
    files_written: int = 0
    duplicate_rows_dropped: int = 0
    skipped_partitions: int = 0
    snapshots_expired: int = 0
    orphans_removed: int = 0
    orphans_kept_young: int = 0
    batches_reindexed: int = 0
    text_batches_backfilled: int = 0
    text_batches_indexed: int = 0
    text_batches_failed: int = 0
    """Attempts at a queued batch's text that failed in this run (the batch backs off)."""
    text_batches_retried: int = 0
    """Dead batches given their attempts again (``--retry-dead-text``)."""
    text_batches_dead: int = 0
    """Batches whose text indexing gave up (``textretry.MAX_ATTEMPTS`` failures), after this run."""
    dead_text_batches: list[dict[str, Any]] = field(default_factory=list)
    """The first of those, with their last error."""
    manifests_rewritten: int = 0
    manifests_written: int = 0
    traces_relisted: int = 0
    listings_forgotten: int = 0
    orphans_kept_listed: int = 0
    tables: list[str] = field(default_factory=list)
    vacuumed: list[str] = field(default_factory=list)
    """The trace index's tables vacuumed after the run's index transactions (``TraceIndex.vacuum``)."""

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _key_columns(name: str) -> tuple[list[str], str]:
    """The columns a row is one of a kind by (None: log records, kept as they are), and the
    time column within a trace."""
    return (["project", "trace_id", "span_id"], "start_ns") if name == tables.SPANS else ([], "time_ns")


def _kind(name: str) -> str:
    """The trace index's name of a table's file lists."""
    return "span" if name == tables.SPANS else "log"


def compact(
    table: Table,
    name: str,
    gate: psycopg.Connection[tuple[Any, ...]],
    *,
    min_files: int,
    report: MaintenanceReport,
    index: TraceIndex | None = None,
) -> None:
    scan = table.scan()
    snapshot = table.current_snapshot()
    if snapshot is None:
        return
    by_partition: dict[Any, list[DataFile]] = defaultdict(list)
    for task in scan.plan_files():
        if task.delete_files:
            continue  # another engine's deletes: left to it
        if task.file.file_size_in_bytes < _SMALL_BYTES:
            by_partition[(task.file.spec_id, task.file.partition)].append(task.file)
    keys, time_column = _key_columns(name)
    for files in by_partition.values():
        if len(files) < min_files:
            continue
        rows = warehouses.read_table(table.io, [f.file_path for f in files])
        before = rows.num_rows
        if keys:
            rows = tables.unique_rows(rows, keys)
        rows = rows.sort_by([("project", "ascending"), ("trace_id", "ascending"), (time_column, "ascending")])
        written = list(_dataframe_to_data_files(table_metadata=table.metadata, df=rows, io=table.io))
        if not _replace(table, files, written, gate):
            # left for the next run; the files just written are orphans its removal collects
            log.warning("compaction of %d files in %s skipped: receivers kept committing first", len(files), name)
            report.skipped_partitions += 1
            continue
        if index is not None:
            new = [f.file_path for f in written]
            index.replace_files(_kind(name), [f.file_path for f in files], dict.fromkeys(trace_keys(rows), new))
        report.compacted_partitions += 1
        report.files_replaced += len(files)
        report.files_written += len(written)
        report.duplicate_rows_dropped += before - rows.num_rows


@contextmanager
def alone(gate: psycopg.Connection[tuple[Any, ...]]) -> Iterator[None]:
    """Hold the commit gate exclusively: receivers' commits wait (they take it shared) until
    this one's commit is done."""
    gate.execute("SELECT pg_advisory_lock(%s)", [COMMIT_GATE])
    try:
        yield
    finally:
        gate.execute("SELECT pg_advisory_unlock(%s)", [COMMIT_GATE])


def _replace(table: Table, old: list[DataFile], new: list[DataFile], gate: psycopg.Connection[tuple[Any, ...]]) -> bool:
    """Replace ``old`` by ``new`` in one snapshot, alone at the gate; False when that still
    failed (another maintenance job, or another engine, committed first)."""
    for _ in range(_REPLACE_ATTEMPTS):
        try:
            with (
                alone(gate),
                table.transaction() as transaction,
                transaction.update_snapshot(snapshot_properties={MAINTAIN_PROPERTY: "compact"}).overwrite() as rewrite,
            ):
                for data_file in old:
                    rewrite.delete_data_file(data_file)
                for data_file in new:
                    rewrite.append_data_file(data_file)
        except CommitFailedException:
            table.refresh()
            continue
        return True
    return False


class _RewriteManifests(_SnapshotProducer["_RewriteManifests"]):
    """A ``replace`` snapshot with the parent's live data files in new manifests, sorted by
    partition, ``MANIFEST_ENTRIES`` at most each (pyiceberg 0.12 has no ``rewrite_manifests``).
    Delete manifests (another engine's) are kept as they are. Nothing is validated against
    concurrent commits: the same files are live before and after, and a retry after another
    writer's commit rewrites that writer's manifest too."""

    def __init__(self, transaction: Transaction, io: FileIO, snapshot_properties: dict[str, str] = EMPTY_DICT) -> None:
        super().__init__(Operation.REPLACE, transaction, io, snapshot_properties=snapshot_properties)
        self.rewritten = 0
        self.written = 0

    def _validate_concurrency(self) -> None:
        """Nothing to validate: no file is added or removed."""

    def _deleted_entries(self) -> list[ManifestEntry]:
        return []

    def _existing_manifests(self) -> list[ManifestFile]:
        parent = self._transaction.table_metadata.snapshot_by_id(self._parent_snapshot_id or -1)
        if parent is None:
            return []
        manifests = parent.manifests(io=self._io)
        kept = [m for m in manifests if m.content != ManifestContent.DATA]
        by_spec: dict[int, list[ManifestEntry]] = defaultdict(list)
        for manifest in manifests:
            if manifest.content == ManifestContent.DATA:
                by_spec[manifest.partition_spec_id].extend(self.fetch_manifest_entry(manifest, discard_deleted=True))
        self.rewritten = len(manifests) - len(kept)
        self.written = 0
        for spec_id, entries in by_spec.items():
            entries.sort(key=lambda entry: _partition_order(entry.data_file.partition))
            for start in range(0, len(entries), MANIFEST_ENTRIES):
                with self.new_manifest_writer(self.spec(spec_id)) as writer:
                    for entry in entries[start : start + MANIFEST_ENTRIES]:
                        writer.existing(entry)
                kept.append(writer.to_manifest_file())
                self.written += 1
        return kept

    def _summary(self, snapshot_properties: dict[str, str] = EMPTY_DICT) -> Summary:
        """The parent's totals: the table's data is the same."""
        metadata = self._transaction.table_metadata
        parent = metadata.snapshot_by_id(self._parent_snapshot_id) if self._parent_snapshot_id is not None else None
        totals = {
            key: value
            for key, value in (parent.summary.additional_properties if parent and parent.summary else {}).items()
            if key.startswith("total-")
        }
        return Summary(operation=Operation.REPLACE, **totals, **snapshot_properties)


def _partition_order(partition: Any) -> tuple[tuple[bool, Any], ...]:
    """A sort key of a partition tuple (each field in its own type's order; None last)."""
    return tuple((value is None, value) for value in partition)


def manifests_to_rewrite(table: Table) -> tuple[int, int]:
    """(data manifests of the current snapshot, how many a rewrite would leave)."""
    snapshot = table.current_snapshot()
    if snapshot is None:
        return 0, 0
    data = [m for m in snapshot.manifests(table.io) if m.content == ManifestContent.DATA]
    files = sum((m.added_files_count or 0) + (m.existing_files_count or 0) for m in data)
    specs = len({m.partition_spec_id for m in data})
    return len(data), max(specs, -(-files // MANIFEST_ENTRIES))


def rewrite_manifests(
    table: Table,
    gate: psycopg.Connection[tuple[Any, ...]],
    *,
    report: MaintenanceReport,
    min_manifests: int = MIN_MANIFESTS,
) -> None:
    """Rewrite the table's data manifests (``_RewriteManifests``) once it has at least
    ``min_manifests`` more than the rewrite would leave."""
    count, after = manifests_to_rewrite(table)
    if count < after + min_manifests:
        return
    try:
        with alone(gate), table.transaction() as transaction:
            rewrite = _RewriteManifests(transaction, table.io, {MAINTAIN_PROPERTY: "rewrite-manifests"})
            rewrite.commit()
    except CommitFailedException as exc:
        log.warning("rewriting manifests skipped (receivers kept committing first): %s", exc)
        table.refresh()
        return
    report.manifests_rewritten += rewrite.rewritten
    report.manifests_written += rewrite.written


def expire(
    table: Table, gate: psycopg.Connection[tuple[Any, ...]], *, older_than: datetime, report: MaintenanceReport
) -> None:
    before = len(table.metadata.snapshots)
    try:
        with alone(gate):
            table.maintenance.expire_snapshots().older_than(older_than).commit()
    except CommitFailedException as exc:
        log.warning("expiring snapshots skipped (a receiver committed meanwhile): %s", exc)
        table.refresh()
        return
    report.snapshots_expired += before - len(table.metadata.snapshots)


def referenced(table: Table) -> set[str]:
    """Every file of the table a snapshot or metadata version still names. A data file a
    snapshot's manifest lists as deleted (compaction replaced it) is not named by it: it is
    referenced only while a snapshot that still holds it live is kept."""
    found: set[str] = {table.metadata_location}
    found.update(entry.metadata_file for entry in table.metadata.metadata_log)
    for snapshot in table.metadata.snapshots:
        found.add(snapshot.manifest_list)
        for manifest in snapshot.manifests(table.io):
            if manifest.manifest_path in found:
                continue  # snapshots share most of their manifests: each is read once
            found.add(manifest.manifest_path)
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
                found.add(entry.data_file.file_path)
    return {warehouses.path_of(location) for location in found}


def unreferenced(table: Table) -> list[tuple[str, float]]:
    """Files under the table's location (a directory, or an S3 prefix: every object under
    it, listed) that no snapshot or metadata version references, with their mtimes."""
    keep = referenced(table)
    return [(p, m) for p, m in warehouses.list_files(table.io, table.metadata.location) if p not in keep]


def _locations(table: Table, paths: list[str]) -> dict[str, str]:
    """The locations (as a data file names itself) of filesystem ``paths`` of the table."""
    scheme = table.metadata.location.split("://", 1)[0] if "://" in table.metadata.location else "file"
    return {f"{scheme}://{path}": path for path in paths} | {path: path for path in paths}


def forget_unheld(table: Table, index: TraceIndex, *, report: MaintenanceReport) -> None:
    """Forget the lists of trace rows naming a file the table no longer references (a
    compaction whose index transaction never ran): ``relist`` makes them again."""
    by_location = _locations(table, [path for path, _ in unreferenced(table)])
    listed = index.still_listed(list(by_location))
    if listed:
        report.listings_forgotten += index.forget_files(sorted(listed))


def remove_orphans(
    table: Table, *, grace: timedelta, report: MaintenanceReport, index: TraceIndex | None = None
) -> None:
    """Files under the table's location that nothing references, older than ``grace``; with
    ``index``, not those it retired within ``grace`` (a read may have listed them just
    before) nor those a trace row still lists."""
    cutoff = time.time() - grace.total_seconds()
    root = table.metadata.location
    candidates = unreferenced(table)
    young = [path for path, modified in candidates if modified > cutoff]
    report.orphans_kept_young += len(young)
    old = [path for path, modified in candidates if modified <= cutoff]
    if index is not None and old:
        by_location = _locations(table, old)
        kept_s = max(grace, RETIRED_KEPT).total_seconds()
        held = index.retired_since(grace.total_seconds(), keep_rows_s=kept_s) | index.still_listed(list(by_location))
        kept = {by_location[location] for location in held if location in by_location}
        report.orphans_kept_listed += len(kept)
        old = [path for path in old if path not in kept]
    for path in old:
        if warehouses.delete(table.io, path, like=root):
            report.orphans_removed += 1


def _files_by_trace(table: Table, where: Any, arrow_where: pc.Expression | None = None) -> dict[TraceKey, list[str]]:
    """Per trace, the current snapshot's data files holding its rows (of ``where``)."""
    locations = [task.file.file_path for task in table.scan(row_filter=where).plan_files()]
    if not locations:
        return {}
    return located(list(warehouses.trace_keys_by_file(table.io, locations, arrow_where)))


def relist(tables_by_name: dict[str, Table], index: TraceIndex, *, report: MaintenanceReport) -> None:
    """Give the rows whose file lists are unknown their lists (``TraceIndex.backfill``),
    from the files of the current snapshots of their projects."""
    projects = index.unlisted_projects()
    if not projects:
        return
    found: dict[str, dict[TraceKey, list[str]]] = {"span": {}, "log": {}}
    sequences = {"span": 0, "log": 0}
    of_projects = In(term=Reference("project"), values={literal(p) for p in projects})
    for name, table in tables_by_name.items():
        snapshot = table.current_snapshot()
        if snapshot is None:
            continue
        sequences[_kind(name)] = snapshot.sequence_number or 0
        found[_kind(name)] = _files_by_trace(table, of_projects)
    files = BatchFiles(found["span"], found["log"])
    report.traces_relisted += index.backfill(files, sequences["span"], sequences["log"])


def unindexed_batches(table: Table, index: TraceIndex, *, older_than: timedelta) -> list[tuple[str, int]]:
    """(batch id, sequence number) of the table's snapshots written by a receiver whose index
    transaction never ran (it died between the two), committed longer ago than
    ``older_than`` (a receiver still between its two commits is left alone)."""
    cutoff_ms = (time.time() - older_than.total_seconds()) * 1000
    tagged = {
        str(s.summary[tables.BATCH_PROPERTY]): s.sequence_number or 0
        for s in table.metadata.snapshots
        if s.summary is not None and tables.BATCH_PROPERTY in s.summary and s.timestamp_ms < cutoff_ms
    }
    return [(batch, tagged[batch]) for batch in index.unrecorded(list(tagged))]


def reindex(
    tables_by_name: dict[str, Table],
    index: TraceIndex,
    *,
    older_than: timedelta,
    report: MaintenanceReport,
    search: bool = True,
) -> None:
    """Record in the trace index the batches found by ``unindexed_batches``: their spans
    become listed and readable (a span the index holds already counts once, as ever), and,
    with ``search``, their text is queued for the text indexer as a receiver's is."""
    found: dict[str, dict[str, tuple[pa.Table, int, dict[TraceKey, list[str]]]]] = defaultdict(dict)
    for name, table in tables_by_name.items():
        for batch, sequence in unindexed_batches(table, index, older_than=older_than):
            of_batch = EqualTo(term=Reference("batch"), value=literal(batch))
            rows = table.scan(row_filter=of_batch).to_arrow()
            files = _files_by_trace(table, of_batch, pc.field("batch") == batch)
            found[batch][name] = (rows, sequence, files)
    for batch, by_table in found.items():
        spans, span_seq, span_files = by_table.get(tables.SPANS, (None, 0, {}))
        logs, log_seq, log_files = by_table.get(tables.LOGS, (None, 0, {}))
        # the files holding the batch's rows, found above: the indexer reads those (and
        # keeps the batch's rows of them), as a receiver's batch, instead of looking again
        text = QueuedText(_every_file(span_files), _every_file(log_files)) if search else None
        if index.record(batch, spans, logs, span_seq, log_seq, text, BatchFiles(span_files, log_files)) is not None:
            report.batches_reindexed += 1


def _every_file(by_trace: dict[TraceKey, list[str]]) -> list[str]:
    return sorted({path for paths in by_trace.values() for path in paths})


def index_text(
    tables_by_name: dict[str, Table],
    pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]],
    *,
    report: MaintenanceReport,
    retry_dead: bool = False,
) -> None:
    """Queue the batches stored while the text index was off (``textindex.backfill``), then
    index every queued batch no node has indexed yet (beside nodes' indexers: each batch is
    taken by one of them). A batch that fails backs off and the run goes on; the dead ones
    are reported, and with ``retry_dead`` given their attempts again first."""

    def table_of(name: str, fresh: bool) -> Table:
        table = tables_by_name[name]
        if fresh:
            table.refresh()
        return table

    if retry_dead:
        report.text_batches_retried += textindex.retry_dead(pool)
    report.text_batches_backfilled += textindex.backfill(pool)
    indexer = textindex.TextIndexer(pool, table_of)
    try:
        report.text_batches_indexed += indexer.index_pending()
    finally:
        report.text_batches_failed += indexer.failed
        indexer.close()
    report.text_batches_dead = textindex.dead(pool)
    report.dead_text_batches = [asdict(batch) for batch in textindex.dead_batches(pool)]


def check_retention(keep_snapshots: timedelta, unindexed_after: timedelta) -> None:
    """Refuse a snapshot retention shorter than ``unindexed_after``: re-indexing finds a dead
    receiver's batch by its snapshot, which must still be there when the batch is old enough."""
    if keep_snapshots < unindexed_after:
        minutes = unindexed_after.total_seconds() / 60
        raise ValueError(
            f"snapshots must be kept at least {minutes:g} minutes (a batch a receiver left unindexed is"
            " found by its snapshot that long after its commit)"
        )


def maintain(
    tables_by_name: dict[str, Table],
    gate: psycopg.Connection[tuple[Any, ...]],
    *,
    grace: timedelta = DEFAULT_GRACE,
    keep_snapshots: timedelta | None = None,
    min_files: int = 4,
    index: TraceIndex | None = None,
    unindexed_after: timedelta = UNINDEXED_AFTER,
    text_pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] | None = None,
    retry_dead_text: bool = False,
) -> MaintenanceReport:
    """Index batches a receiver left unindexed (with ``index``), index queued text (with
    ``text_pool``), then compact, rewrite manifests, expire snapshots older than
    ``keep_snapshots`` (default: ``grace``), re-list (with ``index``) and remove orphans older
    than ``grace`` in every table (see the module's docstring). ``gate``: a connection to the
    catalog's database, for its commit gate."""
    if keep_snapshots is not None:
        check_retention(keep_snapshots, unindexed_after)
    keep = grace if keep_snapshots is None else keep_snapshots
    report = MaintenanceReport()
    if index is not None:
        reindex(tables_by_name, index, older_than=unindexed_after, report=report, search=text_pool is not None)
    if text_pool is not None and tables.SPANS in tables_by_name and tables.LOGS in tables_by_name:
        index_text(tables_by_name, text_pool, report=report, retry_dead=retry_dead_text)
    for name, table in tables_by_name.items():
        report.tables.append(name)
        compact(table, name, gate, min_files=min_files, report=report, index=index)
        rewrite_manifests(table, gate, report=report)
        expire(table, gate, older_than=datetime.now(UTC) - keep, report=report)
        table.refresh()
    if index is not None:
        for table in tables_by_name.values():
            forget_unheld(table, index, report=report)
        relist(tables_by_name, index, report=report)
    for table in tables_by_name.values():
        remove_orphans(table, grace=grace, report=report, index=index)
    if index is not None:
        report.vacuumed = index.vacuum()
    return report


def run_maintenance(
    catalog_uri: str,
    warehouse: str,
    *,
    grace: timedelta = DEFAULT_GRACE,
    keep_snapshots: timedelta | None = None,
    min_files: int = 4,
    unindexed_after: timedelta = UNINDEXED_AFTER,
    search: bool = True,
    retry_dead_text: bool = False,
) -> MaintenanceReport:
    """``maintain`` on the tables of the catalog (the ``tracechat maintain`` command); with
    ``search`` (``TRACECHAT_SEARCH_INDEX``) it indexes the text no node has indexed yet (with
    ``retry_dead_text``, the dead batches' too: ``textindex.retry_dead``). With
    PostgreSQL away it raises ``CatalogUnavailable`` (the command says so and exits 2; the
    next scheduled run does the work)."""
    from tracechat.store.iceberg.store import libpq_uri, sqlalchemy_uri

    with catalog_reachable():
        catalog = warehouses.open_catalog(sqlalchemy_uri(catalog_uri), warehouse)
        pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            libpq_uri(catalog_uri), min_size=1, max_size=2, kwargs={"autocommit": True}, open=True, timeout=10.0
        )
        index = TraceIndex(pool)
        try:
            index.ensure_schema()
            with psycopg.connect(libpq_uri(catalog_uri), autocommit=True, connect_timeout=10) as gate:
                found = {n: catalog.load_table(n) for n in (tables.SPANS, tables.LOGS) if catalog.table_exists(n)}
                return maintain(
                    found,
                    gate,
                    grace=grace,
                    keep_snapshots=keep_snapshots,
                    min_files=min_files,
                    index=index,
                    unindexed_after=unindexed_after,
                    text_pool=pool if search else None,
                    retry_dead_text=retry_dead_text,
                )
        finally:
            index.close()
            pool.close()
            catalog.engine.dispose()
