"""The trace index lists each trace's data files, so an Iceberg read plans nothing: what the
writer records, what maintenance changes, and what a read does when a list is unknown,
stale or short (a real PostgreSQL from ``tests.postgres``, a warehouse in the test's
directory)."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy.exc

from tests.contract import test_iceberg_store
from tests.contract.test_iceberg_store import (
    GRACE,
    Opener,
    _batch,
    _spans_table,
    _trace,
    _warehouse,
    store_dsn,
)
from tracechat.store.iceberg import pgschema, tables, traceindex
from tracechat.store.iceberg.maintain import run_maintenance
from tracechat.store.iceberg.store import IcebergStore
from tracechat.store.staging import stage

open_iceberg = test_iceberg_store.open_iceberg
"""The Iceberg suite's fixture: stores (receivers or readers) on one catalog and warehouse."""


LONG_GRACE = timedelta(minutes=10)
"""A grace period no maintenance run here outlasts, for checks that a file is kept for it."""


def _no_planning(monkeypatch: pytest.MonkeyPatch, store: IcebergStore) -> None:
    def planning(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a read planned files")

    monkeypatch.setattr(store, "_files", planning)


def _names(store: IcebergStore, trace: bytes) -> list[str]:
    stored = store.read_trace("p", trace.hex())
    assert stored is not None
    return [span.fields.name for span in stored.spans]


def _listed(store: IcebergStore, trace: bytes) -> tuple[str, ...] | None:
    row = store.index.row("p", trace.hex())
    assert row is not None
    return row.span_files


def test_a_trace_split_across_commits_and_receivers_reads_whole_from_its_listed_files(
    open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, reader = open_iceberg(), open_iceberg(), open_iceberg()
    trace, other = _trace(5), _trace(6)
    first.submit(_batch((trace, 1), (trace, 2), (other, 1))).result()
    second.submit(_batch((trace, 2), (trace, 3))).result()  # span 2 re-sent through another receiver
    first.submit(_batch((trace, 4), (other, 2))).result()
    _no_planning(monkeypatch, reader)
    assert _names(reader, trace) == ["span 1", "span 2", "span 3", "span 4"]
    assert [s.fields.name for s in reader.trace_spans("p", other.hex())] == ["span 1", "span 2"]
    assert reader.listed_reads == 2
    assert reader.planned_reads == 0
    files = _listed(reader, trace)
    assert files is not None
    assert len(files) == 3  # one file per commit that held the trace's rows
    assert set(files) <= {task.file.file_path for task in _spans_table(reader).scan().plan_files()}


def test_a_commit_whose_reply_was_lost_lists_its_files_once(
    open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_iceberg()
    real_commit = store.catalog.commit_table
    lost: list[Any] = []

    def commit_then_lose_the_reply(*args: Any, **kwargs: Any) -> Any:
        response = real_commit(*args, **kwargs)
        if not lost:
            lost.append(response)
            raise sqlalchemy.exc.OperationalError("COMMIT", None, Exception("server closed the connection"))
        return response

    monkeypatch.setattr(store.catalog, "commit_table", commit_then_lose_the_reply)
    store.submit(_batch((_trace(1), 1), (_trace(1), 2))).result()
    assert lost
    files = _listed(store, _trace(1))
    assert files is not None
    assert len(files) == 1
    assert files == tuple(task.file.file_path for task in _spans_table(store).scan().plan_files())


def test_recording_a_batch_again_lists_its_files_once(open_iceberg: Opener) -> None:
    store = open_iceberg()
    batch = _batch((_trace(1), 1), (_trace(1), 2))
    store.submit(batch).result()
    listed = _listed(store, _trace(1))
    assert listed is not None
    staged = stage(batch)
    rows = tables.span_rows(staged.spans, staged.scopes, "again")
    files = traceindex.BatchFiles({("p", _trace(1).hex()): [*listed, *listed]})
    recorded = store.index.record("again", rows, None, 1, 0, files=files)
    assert recorded == traceindex.Recorded(set(), set())  # its spans held already: nothing new
    assert _listed(store, _trace(1)) == listed
    assert store.index.record("again", rows, None, 1, 0, files=files) is None  # recorded before: no-op
    assert _listed(store, _trace(1)) == listed
    assert store.span_count("p") == 2


def _as_before_migration_4(dsn: str) -> None:
    """Make the catalog what an older tracechat left: no file lists, at schema version 3."""
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"ALTER TABLE {traceindex.TRACES} DROP COLUMN span_files, DROP COLUMN log_files")
        con.execute(f"DROP TABLE {traceindex.RETIRED}")
        con.execute(f"DELETE FROM {pgschema.SCHEMA_TABLE} WHERE version >= 4")


def test_rows_indexed_before_file_lists_plan_until_maintenance_lists_them(
    open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = open_iceberg()
    old, new = _trace(1), _trace(2)
    writer.submit(_batch((old, 1), (old, 2))).result()
    dsn, warehouse = store_dsn(writer), _warehouse(_spans_table(writer))
    writer.close()
    _as_before_migration_4(dsn)
    upgraded = open_iceberg()  # migration 4: rows that exist get unknown (NULL) lists
    assert _listed(upgraded, old) is None
    upgraded.submit(_batch((old, 3), (new, 1))).result()
    assert _listed(upgraded, old) is None  # still unknown: its first files are in no list
    assert _listed(upgraded, new) is not None
    reader = open_iceberg()
    assert _names(reader, old) == ["span 1", "span 2", "span 3"]
    assert (reader.planned_reads, reader.listed_reads) == (1, 0)

    report = run_maintenance(dsn, warehouse, grace=GRACE)
    assert report.traces_relisted == 1
    relisted = _listed(reader, old)
    assert relisted is not None
    assert len(relisted) == 2
    _no_planning(monkeypatch, reader)
    assert _names(reader, old) == ["span 1", "span 2", "span 3"]
    assert _names(reader, new) == ["span 1"]


def test_maintenance_compacting_under_a_reader_never_gives_it_part_of_a_trace(open_iceberg: Opener) -> None:
    store, reader = open_iceberg(), open_iceberg()
    traces = [_trace(t) for t in range(1, 9)]
    for number in range(1, 9):  # eight commits: eight small files in each trace's bucket
        store.submit(_batch(*[(trace, number) for trace in traces])).result()
    before = {trace: _listed(reader, trace) for trace in traces}
    hour_ago = time.time() - 3600
    for files in before.values():  # the old files are past any grace by their age; only retiring them keeps them
        for path in files or []:
            os.utime(path.removeprefix("file://"), (hour_ago, hour_ago))
    stop = threading.Event()
    reads: list[int] = []
    problems: list[BaseException | str] = []

    def keep_reading() -> None:
        while not stop.is_set():
            for trace in traces:
                try:
                    names = _names(reader, trace)
                except BaseException as exc:
                    problems.append(exc)
                    return
                if names != [f"span {n}" for n in range(1, 9)]:
                    problems.append(f"{trace.hex()}: {names}")
                reads.append(1)

    reading = threading.Thread(target=keep_reading)
    reading.start()
    try:
        report = run_maintenance(
            store_dsn(store),
            _warehouse(_spans_table(store)),
            grace=LONG_GRACE,  # longer than the run takes under any load: the retired files must stay
            keep_snapshots=timedelta(0),  # the snapshots that held the old files are expired
            unindexed_after=timedelta(0),
        )
    finally:
        stop.set()
        reading.join()
    assert problems == []
    assert reads
    assert report.compacted_partitions >= 1
    assert report.orphans_kept_listed == len({path for files in before.values() for path in files or []})
    live = {task.file.file_path for task in _spans_table(reader).scan().plan_files()}
    for trace in traces:
        after = _listed(reader, trace)
        assert after is not None
        assert len(after) == 1  # the compacted file, in place of the eight
        assert set(after) <= live
        assert after != before[trace]
        old = before[trace]
        assert old is not None
        assert all(Path(path.removeprefix("file://")).exists() for path in old)  # retired, kept for the grace
    planned = reader.planned_reads
    for trace in traces:
        assert _names(reader, trace) == [f"span {n}" for n in range(1, 9)]
    assert reader.planned_reads == planned


def _set_listed(store: IcebergStore, trace: bytes, files: list[str]) -> None:
    with store.index.connection() as con:
        con.execute(
            f"UPDATE {traceindex.TRACES} SET span_files = %s WHERE project = 'p' AND trace_id = %s",
            [files, trace.hex()],
        )


def test_a_listed_file_gone_or_missing_from_a_list_makes_the_read_plan_not_answer_part(open_iceberg: Opener) -> None:
    store = open_iceberg()
    trace = _trace(3)
    store.submit(_batch((trace, 1), (trace, 2))).result()
    store.submit(_batch((trace, 3))).result()
    listed = _listed(store, trace)
    assert listed is not None
    assert len(listed) == 2
    _set_listed(store, trace, [listed[0]])  # a list that lost a file: fewer spans than the row counts
    assert _names(store, trace) == ["span 1", "span 2", "span 3"]
    assert store.planned_reads == 1
    _set_listed(store, trace, [*listed, listed[0].replace(".parquet", "-gone.parquet")])  # maintenance removed it
    assert _names(store, trace) == ["span 1", "span 2", "span 3"]
    assert store.planned_reads == 2


def test_maintenance_stopped_between_its_commit_and_the_index_repairs_the_lists_next_run(
    open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_iceberg()
    traces = [_trace(t) for t in range(1, 5)]
    for number in range(1, 6):
        store.submit(_batch(*[(trace, number) for trace in traces])).result()
    dsn, warehouse = store_dsn(store), _warehouse(_spans_table(store))
    with monkeypatch.context() as patched:
        patched.setattr(traceindex.TraceIndex, "replace_files", lambda *args, **kwargs: None)  # died here
        first = run_maintenance(dsn, warehouse, grace=GRACE)
    assert first.compacted_partitions >= 1
    time.sleep(GRACE.total_seconds() + 0.5)  # the replaced files' snapshots expire in the next run
    report = run_maintenance(dsn, warehouse, grace=GRACE)
    assert report.listings_forgotten == len(traces)
    assert report.traces_relisted == len(traces)
    live = {task.file.file_path for task in _spans_table(store).scan().plan_files()}
    _no_planning(monkeypatch, store)
    for trace in traces:
        listed = _listed(store, trace)
        assert listed is not None
        assert set(listed) <= live
        assert _names(store, trace) == [f"span {n}" for n in range(1, 6)]


def test_a_batch_maintenance_re_indexes_lists_its_files(open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_iceberg()
    store.submit(_batch((_trace(1), 1))).result()
    staged = stage(_batch((_trace(1), 2), (_trace(2), 1)))
    store._append(tables.SPANS, tables.span_rows(staged.spans, staged.scopes, "lost"), "lost")  # the receiver died
    report = run_maintenance(store_dsn(store), _warehouse(_spans_table(store)), grace=GRACE, unindexed_after=GRACE * 0)
    assert report.batches_reindexed == 1
    first = _listed(store, _trace(1))
    assert first is not None
    assert len(first) == 2
    _no_planning(monkeypatch, store)
    assert _names(store, _trace(1)) == ["span 1", "span 2"]
    assert _names(store, _trace(2)) == ["span 1"]


def test_a_commit_whose_file_was_compacted_before_its_index_transaction_lists_the_new_file(
    open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_iceberg()
    trace = _trace(9)
    for number in range(1, 5):  # four small files in the trace's partition
        store.submit(_batch((trace, number))).result()
    staged = stage(_batch((trace, 5)))
    rows = tables.span_rows(staged.spans, staged.scopes, "slow")
    seq, written = store._append(tables.SPANS, rows, "slow")  # committed to Iceberg; its index transaction waits
    report = run_maintenance(store_dsn(store), _warehouse(_spans_table(store)), grace=GRACE)
    assert report.files_replaced == 5  # its file among them
    recorded = store.index.record("slow", rows, None, seq, 0, files=traceindex.BatchFiles(written))
    assert recorded is not None
    assert len(recorded.spans) == 1
    listed = _listed(store, trace)
    assert listed is not None
    assert not set(listed) & set(written[("p", trace.hex())])  # the retired file left out
    assert set(listed) == {task.file.file_path for task in _spans_table(store).scan().plan_files()}
    _no_planning(monkeypatch, store)
    assert _names(store, trace) == [f"span {n}" for n in range(1, 6)]


def _vacuumed(dsn: str) -> dict[str, bool]:
    """Per table of ``traceindex.VACUUMED``: whether it was vacuumed by hand."""
    with psycopg.connect(dsn, autocommit=True) as con:
        rows = con.execute(
            "SELECT relname, last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [list(traceindex.VACUUMED)],
        ).fetchall()
    return {name: bool(done) for name, done in rows}


def _left_to_vacuum(dsn: str, table: str) -> str:
    """What a VACUUM of ``table`` now removes, as it reports it ("tuples: N removed, ...").
    (Not pg_stat's dead-tuple count: a backend reports its updates up to a second late, so
    the count of an UPDATE before the VACUUM may land after it.)"""
    details: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as con:
        con.add_notice_handler(lambda n: details.append(f"{n.message_primary or ''}\n{n.message_detail or ''}"))
        con.execute(f"VACUUM (VERBOSE, INDEX_CLEANUP ON) {table}")
    removed = [line for detail in details for line in detail.splitlines() if line.startswith("tuples:")]
    assert removed, details
    return removed[0]


def test_maintenance_vacuums_the_rows_its_re_listing_rewrote(open_iceberg: Opener) -> None:
    """Re-listing rewrites every row indexed before the lists (and compaction every row of a
    compacted partition): maintenance vacuums the index afterwards, leaving no dead row for
    autovacuum to find some time later."""
    writer = open_iceberg()
    for number in range(1, 4):
        writer.submit(_batch(*[(_trace(t), number) for t in range(1, 30)])).result()
    dsn, warehouse = store_dsn(writer), _warehouse(_spans_table(writer))
    writer.close()
    _as_before_migration_4(dsn)
    # migration 4: the 29 rows get unknown lists (closed: an indexer mid-claim would hold
    # back the rows VACUUM may remove)
    open_iceberg().close()
    report = run_maintenance(dsn, warehouse, grace=GRACE)
    assert report.traces_relisted == 29
    assert report.vacuumed == list(traceindex.VACUUMED)
    assert _vacuumed(dsn) == dict.fromkeys(traceindex.VACUUMED, True)
    assert _left_to_vacuum(dsn, traceindex.TRACES).startswith("tuples: 0 removed,")
