"""What the Iceberg store promises beyond the Protocol: its layout, commits that are never
written twice, and many receivers and readers on one catalog (a real PostgreSQL from
``tests.postgres``, a warehouse in the test's directory)."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy.exc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from pyiceberg.expressions import AlwaysTrue, EqualTo, Reference
from pyiceberg.expressions.literals import literal
from pyiceberg.manifest import ManifestContent, ManifestFile
from pyiceberg.partitioning import PartitionSpec
from pyiceberg.table import ManifestGroupPlanner, Table
from pyiceberg.transforms import BucketTransform
from pyiceberg.types import StringType

from tests.postgres import PostgresServer
from tracechat.errors import StorageUnavailable
from tracechat.ingest.flatten import flatten_traces
from tracechat.model.records import IngestBatch
from tracechat.store.iceberg import maintain, tables, traceindex
from tracechat.store.iceberg.maintain import run_maintenance
from tracechat.store.iceberg.store import IcebergStore, _of_trace
from tracechat.store.staging import stage

Opener = Callable[[], IcebergStore]
GRACE = timedelta(seconds=5)
"""Maintenance's grace period in these tests: longer than any commit takes here."""


@pytest.fixture
def open_iceberg(postgres: PostgresServer, tmp_path: Path) -> Iterator[Opener]:
    """Opens stores (receivers or readers) on one catalog and warehouse; closes them all."""
    dsn = postgres.create_database()
    warehouse = (tmp_path / "warehouse").as_uri()
    opened: list[IcebergStore] = []

    def opener() -> IcebergStore:
        opened.append(IcebergStore(dsn, warehouse))
        DSNS[id(opened[-1])] = dsn
        return opened[-1]

    yield opener
    for store in opened:
        store.close()


DSNS: dict[int, str] = {}


def store_dsn(store: IcebergStore) -> str:
    return DSNS[id(store)]


def _trace(number: int) -> bytes:
    return number.to_bytes(16, "big")


def _batch(*spans: tuple[bytes, int], project: str = "p") -> IngestBatch:
    """Spans from (trace id, span number); span 1 of a trace is its root, the rest its children."""
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    for trace, number in spans:
        span = scope.spans.add(trace_id=trace, span_id=number.to_bytes(8, "big"), name=f"span {number}")
        span.start_time_unix_nano = 1_700_000_000_000_000_000 + number * 1000
        span.end_time_unix_nano = span.start_time_unix_nano + 500
        if number != 1:
            span.parent_span_id = (1).to_bytes(8, "big")
    return flatten_traces(request, lambda resource: project).batch


def _spans_table(store: IcebergStore) -> Table:
    return store.catalog.load_table(tables.SPANS)


def _warehouse(table: Table) -> str:
    return table.metadata.location.rsplit("/tracechat/", 1)[0]


def _snapshots_of_batches(table: Table) -> list[str]:
    return [s.summary.get(tables.BATCH_PROPERTY, "") for s in table.metadata.snapshots if s.summary is not None]


def test_files_are_partitioned_by_project_day_and_bucket_and_sorted_by_trace_id(open_iceberg: Opener) -> None:
    store = open_iceberg()
    spans = [(_trace(t), n) for n in (3, 1, 2) for t in range(40, 0, -1)]  # arrival order: neither trace nor span
    store.submit(_batch(*spans)).result()
    files = [task.file.file_path for task in _spans_table(store).scan().plan_files()]
    assert 1 < len(files) <= tables.TRACE_BUCKETS
    for path in files:
        assert "/project=p/day=2023-11-14/trace_bucket=" in path
        trace_ids = pq.read_table(path.removeprefix("file://"), columns=["trace_id"]).column("trace_id").to_pylist()
        assert trace_ids == sorted(trace_ids)
    assert sum(pq.read_metadata(path.removeprefix("file://")).num_rows for path in files) == 120


def test_a_table_of_sixteen_buckets_an_earlier_version_made_keeps_its_partitioning(
    open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tables made before ``TRACE_BUCKETS`` fell to 4 have 16 buckets: each row still goes
    to the file of its own bucket of 16, or a read that plans by bucket would miss it."""
    old = PartitionSpec(
        *[
            f.model_copy(update={"transform": BucketTransform(16)}) if f.name == "trace_bucket" else f
            for f in tables.SPAN_SPEC.fields
        ]
    )
    monkeypatch.setattr(tables, "SPAN_SPEC", old)  # what the store creates its spans table with
    store = open_iceberg()
    store.submit(_batch(*[(_trace(t), n) for t in range(1, 65) for n in (1, 2)])).result()
    table = _spans_table(store)
    assert tables.trace_buckets(table.metadata.spec()) == 16
    tasks = list(table.scan().plan_files())
    assert len(tasks) > tables.TRACE_BUCKETS  # more buckets than this version makes
    sixteen = BucketTransform(16).pyarrow_transform(StringType())
    for task in tasks:
        held = pq.read_table(task.file.file_path.removeprefix("file://"), columns=["trace_id"]).column("trace_id")
        assert set(sixteen(held).to_pylist()) == {task.file.partition[2]}
    assert store.read_trace("p", _trace(7).hex()) is not None


def test_a_trace_is_planned_from_its_own_bucket_only(open_iceberg: Opener) -> None:
    store = open_iceberg()
    store.submit(_batch(*[(_trace(t), 1) for t in range(1, 65)])).result()
    row = store.index.row("p", _trace(7).hex())
    assert row is not None
    all_files = store._files(tables.SPANS, 0, AlwaysTrue())
    assert all_files is not None
    planned = store._files(
        tables.SPANS, row.span_seq, _of_trace("p", row.trace_id, "start_time", row.start_ns or 0, row.end_ns or 0)
    )
    assert planned is not None
    assert len(planned) == 1
    assert len(all_files) == tables.TRACE_BUCKETS  # 64 traces fill every bucket


def test_a_commit_whose_reply_was_lost_is_found_and_not_written_again(
    open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_iceberg()
    real_commit = store.catalog.commit_table
    lost = []

    def commit_then_lose_the_reply(*args: Any, **kwargs: Any) -> Any:
        response = real_commit(*args, **kwargs)  # committed in PostgreSQL…
        if not lost:
            lost.append(response)  # …but the receiver never hears of it, once
            raise sqlalchemy.exc.OperationalError("COMMIT", None, Exception("server closed the connection"))
        return response

    monkeypatch.setattr(store.catalog, "commit_table", commit_then_lose_the_reply)
    store.submit(_batch((_trace(1), 1), (_trace(1), 2))).result()
    assert lost
    table = _spans_table(store)
    batches = _snapshots_of_batches(table)
    assert len(batches) == 1  # one snapshot: the retry found the first
    assert table.scan().to_arrow().num_rows == 2
    assert [s.fields.span_id for s in store.trace_spans("p", _trace(1).hex())] == [
        "0000000000000001",
        "0000000000000002",
    ]


def test_a_trace_split_across_receivers_and_re_sent_through_both_reads_whole_once(open_iceberg: Opener) -> None:
    first, second, reader = open_iceberg(), open_iceberg(), open_iceberg()
    trace = _trace(5)
    first.submit(_batch((trace, 1), (trace, 2), (trace, 3))).result()
    second.submit(_batch((trace, 3), (trace, 4))).result()  # span 3 re-sent through another receiver
    first.submit(_batch((trace, 4), (trace, 5))).result()  # and span 4 back through the first
    entry = reader.trace("p", trace.hex())
    assert entry is not None
    assert (entry.span_count, entry.root_span_name) == (5, "span 1")
    assert [s.fields.name for s in reader.trace_spans("p", trace.hex())] == [f"span {n}" for n in range(1, 6)]
    stored = reader.read_trace("p", trace.hex())
    assert stored is not None
    assert len(stored.spans) == 5
    assert reader.span_count("p") == 5


def test_a_watch_on_a_reader_is_woken_by_a_commit_through_another_receiver(open_iceberg: Opener) -> None:
    receiver, reader = open_iceberg(), open_iceberg()
    trace, other = _trace(6), _trace(7)
    with reader.watch_trace(trace.hex()) as watch:
        receiver.submit(_batch((other, 1))).result()
        assert not watch.wait(0.5)  # another trace's commit does not wake it
        receiver.submit(_batch((trace, 1))).result()
        assert watch.wait(10.0)  # PostgreSQL's NOTIFY, heard by the reader's listener
        found = reader.read_span("p", trace.hex(), (1).to_bytes(8, "big").hex())
        assert found is not None
        assert [s.fields.name for s in found.spans] == ["span 1"]
        missing = reader.read_span("p", trace.hex(), (9).to_bytes(8, "big").hex())  # no such span
        assert missing is not None
        assert (missing.root_span_name, missing.spans) == ("span 1", [])


def test_concurrent_receivers_lose_and_double_nothing(open_iceberg: Opener) -> None:
    receivers = [open_iceberg(), open_iceberg()]
    shared = _trace(999)
    failures: list[BaseException] = []

    def send(receiver: IcebergStore, offset: int) -> None:
        try:
            for request in range(12):
                own = [(_trace(offset + request * 10 + t), n) for t in range(10) for n in (1, 2)]
                span = 2 + offset // 1000 * 100 + request  # each receiver adds its own spans to one trace
                receiver.submit(_batch(*own, (shared, span), (shared, 1))).result()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=send, args=(r, 1000 * (i + 1))) for i, r in enumerate(receivers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    reader = open_iceberg()
    assert reader.span_count("p") == 2 * 12 * 10 * 2 + 1 + 2 * 12
    assert len(reader.trace_spans("p", shared.hex())) == 1 + 2 * 12
    rows = _spans_table(reader).scan().to_arrow()
    pairs = zip(rows.column("trace_id").to_pylist(), rows.column("span_id").to_pylist(), strict=True)
    own = [pair for pair in pairs if pair[0] != shared.hex()]
    assert len(own) == len(set(own)) == 2 * 12 * 10 * 2  # each stored once: nothing re-sent, nothing lost


def test_postgres_away_fails_the_batch_retryably_and_then_recovers(postgres: PostgresServer, tmp_path: Path) -> None:
    store = IcebergStore(postgres.create_database(), (tmp_path / "warehouse").as_uri())
    try:
        store.submit(_batch((_trace(1), 1))).result()
        postgres.stop()
        try:
            with pytest.raises(StorageUnavailable):
                store.submit(_batch((_trace(1), 2))).result(timeout=60)
        finally:
            postgres.start()
        store.submit(_batch((_trace(1), 3))).result(timeout=60)
        assert [s.fields.name for s in store.trace_spans("p", _trace(1).hex())] == ["span 1", "span 3"]
    finally:
        store.close()


def test_maintenance_beside_a_receiver_compacts_expires_and_cleans_without_losing_a_span(
    open_iceberg: Opener,
) -> None:
    store = open_iceberg()
    traces = [_trace(t) for t in range(1, 9)]
    for number in range(1, 9):  # eight commits: eight small files in each trace's bucket
        store.submit(_batch(*[(trace, number) for trace in traces])).result()
    table = _spans_table(store)
    slipped = table.scan(row_filter=EqualTo(term=Reference("trace_id"), value=literal(traces[0].hex()))).to_arrow()
    one_partition = pa.array([0] * slipped.num_rows, pa.int64())  # one trace: one partition
    store._append(tables.SPANS, slipped.append_column("_partition", one_partition), "a-race")  # a race's copies
    data_dir = Path(table.metadata.location.removeprefix("file://")) / "data"
    old_orphan, young_orphan = data_dir / "old-orphan.parquet", data_dir / "young-orphan.parquet"
    old_orphan.write_bytes(b"left by a writer that died before its commit")
    os.utime(old_orphan, (time.time() - 3600, time.time() - 3600))
    files_before = len(list(_spans_table(store).scan().plan_files()))
    time.sleep(GRACE.total_seconds() + 0.5)  # what was written so far is past the grace period
    young_orphan.write_bytes(b"a writer's file, its commit in flight")
    # young however long maintenance takes on a loaded machine (the receiver's own in-flight
    # files are the real case: every span it acknowledged is read back below)
    os.utime(young_orphan, (time.time() + 60, time.time() + 60))

    stop = threading.Event()
    sent: list[bytes] = []

    def keep_receiving() -> None:
        number = 100
        while not stop.is_set():
            trace = _trace(1000 + number)
            store.submit(_batch((trace, 1), (trace, 2))).result()
            sent.append(trace)
            number += 1
            time.sleep(0.1)  # a receiver's group commits leave the catalog some room

    receiving = threading.Thread(target=keep_receiving)
    receiving.start()
    try:
        report = run_maintenance(store_dsn(store), _warehouse(table), grace=GRACE)
    finally:
        stop.set()
        receiving.join()

    assert report.compacted_partitions >= 1
    assert report.duplicate_rows_dropped == slipped.num_rows
    assert report.snapshots_expired >= 8
    assert not old_orphan.exists()
    assert young_orphan.exists()
    reader = open_iceberg()
    for trace in traces:
        assert [s.fields.name for s in reader.trace_spans("p", trace.hex())] == [f"span {n}" for n in range(1, 9)]
    for trace in sent:
        assert len(reader.trace_spans("p", trace.hex())) == 2
    rows = _spans_table(reader).scan().to_arrow()
    assert rows.num_rows == 8 * 8 + 2 * len(sent)  # every span once: the copies went with compaction
    assert len(list(_spans_table(reader).scan().plan_files())) < files_before + len(sent)


def test_snapshots_expire_by_their_own_retention_while_orphans_keep_the_grace_period(open_iceberg: Opener) -> None:
    store = open_iceberg()
    for number in range(1, 5):
        store.submit(_batch((_trace(number), 1))).result()
    table = _spans_table(store)
    current = table.metadata.current_snapshot_id
    orphan = Path(table.metadata.location.removeprefix("file://")) / "data" / "orphan.parquet"
    orphan.write_bytes(b"a writer's file, ten minutes old: past the retention, within the grace period")
    os.utime(orphan, (time.time() - 600, time.time() - 600))
    hour = timedelta(hours=1)
    kept = run_maintenance(store_dsn(store), _warehouse(table), grace=hour, keep_snapshots=hour, min_files=100)
    assert kept.snapshots_expired == 0

    report = run_maintenance(
        store_dsn(store),
        _warehouse(table),
        grace=hour,
        keep_snapshots=timedelta(0),
        unindexed_after=timedelta(0),
        min_files=100,
    )
    assert report.snapshots_expired == 3
    table.refresh()
    assert [s.snapshot_id for s in table.metadata.snapshots] == [current]  # the current one stays
    assert orphan.exists()  # files keep the grace period
    assert report.orphans_removed == 0
    reader = open_iceberg()
    assert [len(reader.trace_spans("p", _trace(n).hex())) for n in range(1, 5)] == [1, 1, 1, 1]
    with pytest.raises(ValueError, match="at least 5 minutes"):
        run_maintenance(store_dsn(store), _warehouse(table), keep_snapshots=timedelta(minutes=1))


def test_a_batch_left_unindexed_by_a_dead_receiver_is_indexed_by_maintenance(open_iceberg: Opener) -> None:
    store = open_iceberg()
    store.submit(_batch((_trace(1), 1))).result()
    staged = stage(_batch((_trace(1), 2), (_trace(2), 1)))
    lost = tables.span_rows(staged.spans, staged.scopes, "lost-batch")
    store._append(tables.SPANS, lost, "lost-batch")  # committed to Iceberg; the receiver died here
    assert store.span_count("p") == 1
    table = _spans_table(store)
    young = run_maintenance(store_dsn(store), _warehouse(table), grace=GRACE)
    assert young.batches_reindexed == 0  # a receiver may still be between its two commits
    report = run_maintenance(store_dsn(store), _warehouse(table), grace=GRACE, unindexed_after=timedelta(0))
    assert report.batches_reindexed == 1
    assert store.span_count("p") == 3
    assert [s.fields.name for s in store.trace_spans("p", _trace(1).hex())] == ["span 1", "span 2"]
    again = run_maintenance(store_dsn(store), _warehouse(table), grace=GRACE, unindexed_after=timedelta(0))
    assert again.batches_reindexed == 0


def test_the_tables_read_the_same_through_engines_that_are_not_tracechat(
    open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chdb
    import duckdb

    store = open_iceberg()
    for number in range(1, 4):
        store.submit(_batch(*[(_trace(t), number) for t in range(1, 7)])).result()
    store.submit(_batch((_trace(50), 1), project="other")).result()
    table = _spans_table(store)
    by_name = [("span 1", 6), ("span 2", 6), ("span 3", 6)]

    arrow = table.scan(row_filter=EqualTo(term=Reference("project"), value=literal("p"))).to_arrow()  # pyiceberg
    assert arrow.num_rows == store.span_count("p") == 18
    assert sorted(arrow.group_by("name").aggregate([("name", "count")]).to_pylist(), key=str) == sorted(
        ({"name": n, "name_count": c} for n, c in by_name), key=str
    )

    monkeypatch.chdir(_warehouse(table).removeprefix("file://"))  # chDB reads below its working directory
    clickhouse = chdb.query(
        "SELECT name, count() FROM icebergLocal('tracechat/spans') WHERE project = 'p' GROUP BY name ORDER BY name",
        "CSV",
    )
    assert str(clickhouse).splitlines() == [f'"{n}",{c}' for n, c in by_name]

    files = f"{_warehouse(table).removeprefix('file://')}/tracechat/spans/data/**/*.parquet"
    rows = duckdb.sql(
        f"SELECT name, count(*) FROM read_parquet('{files}', hive_partitioning = true)"
        " WHERE project = 'p' GROUP BY name ORDER BY name"
    ).fetchall()
    assert rows == by_name


def _data_manifests(table: Table) -> list[ManifestFile]:
    snapshot = table.current_snapshot()
    assert snapshot is not None
    return [m for m in snapshot.manifests(table.io) if m.content == ManifestContent.DATA]


def _manifests_planned(manifests: list[ManifestFile], trace: bytes, table: Table) -> int:
    """How many of ``manifests`` planning a read of ``trace`` opens (the others' partition
    summaries rule them out)."""
    row_filter = _of_trace("p", trace.hex(), "start_time", 1_700_000_000_000_000_000, 1_700_000_000_100_000_000)
    planner = ManifestGroupPlanner(table.metadata, table.io, row_filter)
    return sum(planner._build_manifest_evaluator(m.partition_spec_id)(m) for m in manifests)


def test_manifests_rewritten_beside_two_receivers_lose_nothing_and_a_read_plans_from_few(
    open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(maintain, "MANIFEST_ENTRIES", 8)  # several rewritten manifests from a small table
    receivers = [open_iceberg(), open_iceberg()]
    sent: dict[bytes, int] = {}
    lock = threading.Lock()
    stop = threading.Event()
    failures: list[BaseException] = []

    def send(receiver: IcebergStore, first: int, commits: int | None) -> None:
        number = first
        try:
            while (commits is None and not stop.is_set()) or (commits is not None and number < first + commits):
                batch = [(_trace(number * 100 + t), n) for t in range(8) for n in (1, 2)]  # 8 traces, 4 buckets at most
                receiver.submit(_batch(*batch)).result()
                with lock:
                    for trace, _ in batch:
                        sent[trace] = sent.get(trace, 0) + 1
                number += 1
        except BaseException as exc:
            failures.append(exc)

    for receiver, first in zip(receivers, (1, 1001), strict=True):  # twelve commits each, one manifest each
        send(receiver, first, 12)
    table = _spans_table(receivers[0])
    assert len(_data_manifests(table)) == 24

    threads = [threading.Thread(target=send, args=(r, f, None)) for r, f in zip(receivers, (501, 1501), strict=True)]
    for thread in threads:
        thread.start()
    try:
        report = run_maintenance(store_dsn(receivers[0]), _warehouse(table), grace=GRACE, min_files=10**6)
        time.sleep(1.0)  # receivers' commits after the rewrite, on top of the rewritten manifests
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not failures

    assert report.compacted_partitions == 0  # only the manifests were rewritten
    assert report.manifests_rewritten >= 24
    table = _spans_table(receivers[0])
    kinds = [s.summary.get(maintain.MAINTAIN_PROPERTY) for s in table.snapshots() if s.summary is not None]
    rewrite_at = kinds.index("rewrite-manifests")
    assert rewrite_at < len(kinds) - 1  # a receiver committed after it, on its manifest list
    after = len(kinds) - 1 - rewrite_at
    assert len(_data_manifests(table)) <= report.manifests_written + after
    rewrite_id = [s.snapshot_id for s in table.snapshots()][rewrite_at]
    rewritten = [m for m in _data_manifests(table) if m.added_snapshot_id == rewrite_id]
    assert len(rewritten) == report.manifests_written >= 12  # 8 files each, of 96 at least
    # sorted by partition, a trace's bucket is in one or two of them (plus their neighbours)
    assert 1 <= _manifests_planned(rewritten, _trace(101), table) <= len(rewritten) // 3
    reader = open_iceberg()
    rows = _spans_table(reader).scan().to_arrow()
    pairs = list(zip(rows.column("trace_id").to_pylist(), rows.column("span_id").to_pylist(), strict=True))
    assert len(pairs) == len(set(pairs)) == sum(sent.values())  # every acknowledged span, once
    assert reader.span_count("p") == sum(sent.values())
    for trace in (_trace(101), _trace(100_101), max(sent)):
        assert [s.fields.name for s in reader.trace_spans("p", trace.hex())] == ["span 1", "span 2"]


def test_index_rows_written_in_one_statement_keep_every_value_as_it_was(open_iceberg: Opener) -> None:
    """``update_rows`` carries a commit's rows as one JSON document: text with quotes,
    commas and braces, arrays, NULLs, 64-bit integers and the floats JSON has no words for
    come back as they went."""
    store = open_iceberg()
    store.submit(_batch((_trace(1), 1), (_trace(2), 1))).result()
    odd = 'a "quoted", {braced} name\\'
    with store._pool.connection() as con:
        rows = {r.trace_id: r for r in map(traceindex._row, con.execute(f"SELECT * FROM {traceindex.TRACES}"))}
        first, second = rows[_trace(1).hex()], rows[_trace(2).hex()]
        changed = [
            replace(
                first, root_name=odd, cost=float("nan"), agent_cost=float("inf"), agents=(odd, "b,c"), end_ns=2**62
            ),
            replace(second, cost=float("-inf"), input_tokens=None, models=(), conversation_id=None),
        ]
        traceindex.update_rows(
            con, traceindex.TRACES, "trace_id", traceindex._TRACE_TYPES, [traceindex._values(r) for r in changed]
        )
        back = {r.trace_id: r for r in map(traceindex._row, con.execute(f"SELECT * FROM {traceindex.TRACES}"))}
    got, want = back[first.trace_id], changed[0]
    assert math.isnan(got.cost or 0.0)
    assert replace(got, cost=None) == replace(want, cost=None)
    assert back[second.trace_id] == changed[1]


def test_a_spans_table_made_before_response_ids_gets_the_field_on_open(open_iceberg: Opener) -> None:
    """A warehouse an older tracechat made has no ``response_id``: the next store to open it
    adds the field, and the spans written then carry it."""
    first = open_iceberg()
    with _spans_table(first).update_schema() as update:  # as the table was before the field
        update.delete_column("response_id")
    first.submit(_batch((_trace(1), 1))).result()  # a file without the field
    first.close()
    store = open_iceberg()
    assert "response_id" in {f.name for f in _spans_table(store).schema().fields}
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add(trace_id=_trace(1), name="chat")
    span.span_id, span.parent_span_id = (2).to_bytes(8, "big"), (1).to_bytes(8, "big")
    span.start_time_unix_nano, span.end_time_unix_nano = 1_700_000_000_000_002_000, 1_700_000_000_000_003_000
    span.attributes.add(key="gen_ai.response.id").value.string_value = "resp_1"
    store.submit(flatten_traces(request, lambda resource: "p").batch).result()
    rows = _spans_table(store).scan(selected_fields=("span_id", "response_id")).to_arrow().to_pylist()
    assert sorted(rows, key=lambda r: r["span_id"]) == [
        {"span_id": (1).to_bytes(8, "big").hex(), "response_id": None},
        {"span_id": (2).to_bytes(8, "big").hex(), "response_id": "resp_1"},
    ]
    assert len(store.trace_spans("p", _trace(1).hex())) == 2
