"""The Iceberg store's text index follows committed batches from a queue in PostgreSQL
(``store.iceberg.textindex``): a batch is acknowledged without waiting for its text, the
text is indexed after, once, by whichever indexer takes it; batches stored with the index
off are backfilled."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from tests.contract.test_search import CHAT_1, travel_trace
from tests.postgres import PostgresServer
from tracechat.ingest.flatten import flatten_traces
from tracechat.metrics import Metrics
from tracechat.model.summaries import TraceFilter
from tracechat.store.iceberg import tables
from tracechat.store.iceberg.fulltext import TEXTS
from tracechat.store.iceberg.maintain import MaintenanceReport, reindex, run_maintenance
from tracechat.store.iceberg.store import IcebergStore
from tracechat.store.iceberg.textindex import QUEUE, QueuedText, RecordedFailure, TextIndexer, enqueue
from tracechat.store.staging import stage
from tracechat.store.textretry import RetryPolicy


@pytest.fixture
def catalog(postgres: PostgresServer, tmp_path: Path) -> tuple[str, str]:
    return postgres.create_database(), (tmp_path / "warehouse").as_uri()


@pytest.fixture
def opened() -> Iterator[list[IcebergStore]]:
    stores: list[IcebergStore] = []
    yield stores
    for store in stores:
        store.close()


def _open(opened: list[IcebergStore], catalog: tuple[str, str], **options: bool) -> IcebergStore:
    opened.append(IcebergStore(*catalog, **options))  # type: ignore[arg-type]
    return opened[-1]


def _found(store: IcebergStore, text: str) -> list[str]:
    rows, _ = store.list_traces("p", TraceFilter(text=text), 50, 0)
    return [row[0] for row in rows]


def _count(dsn: str, query: str) -> int:
    with psycopg.connect(dsn) as con:
        found = con.execute(query).fetchone()
    assert found is not None
    return int(found[0])


def _index_pending(store: IcebergStore) -> int:
    """Index what is queued with an indexer of this process's own (as another node would)."""
    indexer = TextIndexer(store._pool, store._table_for_text)
    try:
        return indexer.index_pending()
    finally:
        indexer.close()


def _duplicates(dsn: str) -> int:
    return _count(
        dsn,
        f"SELECT count(*) FROM (SELECT 1 FROM {TEXTS} GROUP BY project, trace_id, span_id, field, body"
        " HAVING count(*) > 1) AS d",
    )


def test_an_acknowledged_batch_is_queued_and_searchable_once_an_indexer_takes_it(
    catalog: tuple[str, str], opened: list[IcebergStore]
) -> None:
    receiver = _open(opened, catalog, text_indexer=False)  # --role ingest
    trace = travel_trace(question="Which tram climbs to the castle?")
    trace.store_in(receiver)  # type: ignore[arg-type]  # acknowledged: in Iceberg and the trace index
    assert _found(receiver, "castle tram") == []  # its text is not on the ack path
    assert receiver.search_lag() == 1
    assert not receiver.wait_searchable(0.3)  # no indexer runs anywhere yet
    reader = _open(opened, catalog, writes=False)  # --role query: runs the indexer
    assert reader.wait_searchable(30)
    assert _found(receiver, "castle tram") == [trace.trace_hex]
    assert receiver.search_lag() == 0
    matches = reader.text_matches("p", "castle", [trace.trace_hex])[trace.trace_hex]
    assert [(m.span_id, m.field) for m in matches] == [(CHAT_1, "user_message")]


def test_batches_stored_with_the_index_off_are_backfilled_when_it_is_turned_on(
    catalog: tuple[str, str], opened: list[IcebergStore]
) -> None:
    off = _open(opened, catalog, search=False)
    before = travel_trace(question="Is the Gulbenkian open on Tuesdays?")
    before.store_in(off)  # type: ignore[arg-type]
    assert _count(catalog[0], f"SELECT count(*) FROM {QUEUE}") == 0
    on = _open(opened, catalog)  # its indexer queues what the ledger holds unqueued, then indexes it
    after = travel_trace(question="And the Gulbenkian garden?")
    after.store_in(on)  # type: ignore[arg-type]
    assert on.wait_searchable(30)
    assert sorted(_found(on, "gulbenkian")) == sorted([before.trace_hex, after.trace_hex])


def test_maintain_backfills_an_unindexed_catalog_without_indexing_a_batch_twice(
    catalog: tuple[str, str], opened: list[IcebergStore]
) -> None:
    off = _open(opened, catalog, search=False)
    unindexed = travel_trace(question="Where is the Time Out market?")
    unindexed.store_in(off)  # type: ignore[arg-type]
    on = _open(opened, catalog, text_indexer=False)
    indexed = travel_trace(question="Which market sells piri piri?")
    indexed.store_in(on)  # type: ignore[arg-type]
    # a batch of an older release, indexed in its index transaction: its ledger row has no
    # queue state, and its text is in the index already
    assert _index_pending(on) == 1
    with psycopg.connect(catalog[0]) as con:
        con.execute("UPDATE tracechat_batches SET text_queued = NULL WHERE text_queued")
    rows_before = _count(catalog[0], f"SELECT count(*) FROM {TEXTS}")

    report = run_maintenance(*catalog)
    assert (report.text_batches_backfilled, report.text_batches_indexed) == (2, 2)
    assert sorted(_found(on, "market")) == sorted([unindexed.trace_hex, indexed.trace_hex])
    assert _duplicates(catalog[0]) == 0
    assert _count(catalog[0], f"SELECT count(*) FROM {TEXTS}") > rows_before
    again = run_maintenance(*catalog)
    assert (again.text_batches_backfilled, again.text_batches_indexed) == (0, 0)
    assert run_maintenance(*catalog, search=False).text_batches_indexed == 0


def test_two_indexers_on_one_queue_index_each_batch_once(catalog: tuple[str, str], opened: list[IcebergStore]) -> None:
    receiver = _open(opened, catalog, text_indexer=False)
    traces = [travel_trace(question=f"Is ferry number {n} to Barreiro running?") for n in range(24)]
    for trace in traces:
        trace.store_in(receiver)  # type: ignore[arg-type]
    assert receiver.search_lag() == len(traces)
    indexers = [TextIndexer(receiver._pool, receiver._table_for_text) for _ in range(2)]
    done: list[int] = []
    start = threading.Barrier(2)

    def index(indexer: TextIndexer) -> None:
        start.wait()
        done.append(indexer.index_pending())

    threads = [threading.Thread(target=index, args=(indexer,)) for indexer in indexers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for indexer in indexers:
            indexer.close()
    assert sum(done) == len(traces)
    assert receiver.search_lag() == 0
    assert _duplicates(catalog[0]) == 0
    assert sorted(_found(receiver, "barreiro ferry")) == sorted(t.trace_hex for t in traces)


def test_a_span_another_batch_recorded_first_has_its_text_indexed_once(
    catalog: tuple[str, str], opened: list[IcebergStore]
) -> None:
    """Two receivers appended the same span before either recorded it: the second's index
    transaction leaves the span out and queues it as skipped, so its text is indexed once."""
    store = _open(opened, catalog, text_indexer=False)
    trace = travel_trace(question="Is Sintra worth a day?")
    staged = stage(flatten_traces(trace.trace_request(), lambda resource: "p").batch)
    for batch in ("first", "second"):
        rows = tables.span_rows(staged.spans, staged.scopes, batch)
        seq, files = store._append(tables.SPANS, rows, batch)
        assert store.index.record(batch, rows, None, seq, 0, QueuedText(files, [])) is not None
    with psycopg.connect(catalog[0]) as con:
        skipped = con.execute(f"SELECT batch_id, cardinality(skipped) FROM {QUEUE} ORDER BY seq").fetchall()
    assert skipped == [("first", 0), ("second", len(trace.spans))]
    assert _index_pending(store) == 2
    assert _found(store, "sintra") == [trace.trace_hex]
    assert _duplicates(catalog[0]) == 0


def test_text_whose_files_were_compacted_away_is_found_by_its_batch_id(
    catalog: tuple[str, str], opened: list[IcebergStore]
) -> None:
    store = _open(opened, catalog, text_indexer=False)
    traces = [travel_trace(question=f"Does tram {n} stop at Estrela?") for n in range(4)]
    for trace in traces:
        trace.store_in(store)  # type: ignore[arg-type]
    # compacted (each trace's files replaced) and the replaced files removed, before any
    # indexer ran: the queue's file names are gone
    report = run_maintenance(*catalog, grace=timedelta(0), keep_snapshots=timedelta(0), min_files=1, search=False,
                             unindexed_after=timedelta(0))  # fmt: skip
    assert report.orphans_removed > 0
    assert _index_pending(store) == len(traces)
    assert sorted(_found(store, "estrela tram")) == sorted(t.trace_hex for t in traces)


def _queue_row(dsn: str, batch_id: str) -> tuple[int, bool, bool, str | None]:
    """(attempts, due now, dead, last error) of a queued batch."""
    with psycopg.connect(dsn) as con:
        found = con.execute(
            f"SELECT attempts, next_attempt_at <= now(), dead_at IS NOT NULL, last_error FROM {QUEUE}"
            " WHERE batch_id = %s",
            [batch_id],
        ).fetchone()
    assert found is not None
    return int(found[0]), bool(found[1]), bool(found[2]), found[3]


def _make_due(dsn: str) -> None:
    """As if every backoff had run out (instead of waiting for it)."""
    with psycopg.connect(dsn) as con:
        con.execute(f"UPDATE {QUEUE} SET next_attempt_at = now()")


def _attempt(indexer: TextIndexer) -> int | str:
    try:
        return indexer.index_some()
    except RecordedFailure:  # recorded in the queue: the batch backs off, the rest go on
        return "failed"


def test_a_batch_that_keeps_failing_backs_off_then_is_dead_and_an_operator_retries_it(
    catalog: tuple[str, str], opened: list[IcebergStore], tmp_path: Path
) -> None:
    dsn = catalog[0]
    off = _open(opened, catalog, search=False)  # its batch is not queued: queued below, broken
    broken = travel_trace(question="Is the Elevador de Santa Justa open?")
    broken.store_in(off)  # type: ignore[arg-type]
    with psycopg.connect(dsn) as con:
        [(batch_id,)] = con.execute("SELECT batch_id FROM tracechat_batches").fetchall()
        [(real_file,)] = con.execute("SELECT span_files[1] FROM tracechat_traces").fetchall()
        con.execute("UPDATE tracechat_batches SET text_queued = true")
        damaged = tmp_path / "damaged.parquet"
        damaged.write_bytes(b"not a Parquet file")
        enqueue(con, batch_id, QueuedText([str(damaged)], []), [])
    store = _open(opened, catalog, text_indexer=False)
    fresh = travel_trace(question="Does the 28 tram pass Graca?")
    fresh.store_in(store)  # type: ignore[arg-type]
    indexer = TextIndexer(store._pool, store._table_for_text, retry=RetryPolicy(max_attempts=3, base_s=60))
    try:
        # claimed together, failed together: both tried alone, at once
        assert _attempt(indexer) == "failed"
        assert _queue_row(dsn, batch_id)[:3] == (1, True, False)
        # the broken one first (oldest), alone: it fails and backs off; the other is indexed
        assert _attempt(indexer) == "failed"
        attempts, due, dead, error = _queue_row(dsn, batch_id)
        assert (attempts, due, dead) == (2, False, False)
        assert error is not None
        assert "ArrowInvalid" in error
        assert _attempt(indexer) == 1
        assert _found(store, "graca tram") == [fresh.trace_hex]
        assert _attempt(indexer) == 0  # backing off: not taken before its time
        _make_due(dsn)
        assert _attempt(indexer) == "failed"  # the third failure: dead
        assert _queue_row(dsn, batch_id)[:3] == (3, False, True)
        _make_due(dsn)
        assert _attempt(indexer) == 0  # no indexer takes a dead batch
    finally:
        indexer.close()
    assert (store.search_lag(), store.search_dead()) == (0, 1)
    assert store.wait_searchable(1)  # a dead batch is not waited for
    metrics = Metrics()
    metrics.watch_search(store.search_lag, store.search_dead)
    assert b"tracechat_search_dead_batches 1.0" in metrics.render()

    report = run_maintenance(*catalog)  # reports it, does not take it
    assert (report.text_batches_indexed, report.text_batches_dead) == (0, 1)
    assert [(d["batch_id"], d["attempts"]) for d in report.dead_text_batches] == [(batch_id, 3)]
    assert _found(store, "justa") == []

    shutil.copyfile(_local(real_file), damaged)  # the operator mends the file, then retries
    report = run_maintenance(*catalog, retry_dead_text=True)
    assert (report.text_batches_retried, report.text_batches_indexed, report.text_batches_dead) == (1, 1, 0)
    assert _found(store, "justa") == [broken.trace_hex]
    assert (store.search_lag(), store.search_dead()) == (0, 0)


def test_maintain_goes_on_past_a_batch_that_fails(
    catalog: tuple[str, str], opened: list[IcebergStore], tmp_path: Path
) -> None:
    store = _open(opened, catalog, text_indexer=False)
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(b"not a Parquet file")
    with psycopg.connect(catalog[0]) as con:
        enqueue(con, "damaged", QueuedText([str(damaged)], []), [])
    trace = travel_trace(question="Does the 28 tram pass the cathedral?")
    trace.store_in(store)  # type: ignore[arg-type]
    report = run_maintenance(*catalog)  # before, the failure stopped the whole run here
    assert (report.text_batches_indexed, report.text_batches_failed, report.text_batches_dead) == (1, 2, 0)
    assert _found(store, "cathedral") == [trace.trace_hex]
    assert _queue_row(catalog[0], "damaged")[:3] == (2, False, False)
    assert store.search_lag() == 1


def _local(location: str) -> str:
    return location.removeprefix("file://")


def test_a_batch_maintain_reindexes_is_queued_with_its_files_and_indexed_from_exactly_those(
    catalog: tuple[str, str], opened: list[IcebergStore]
) -> None:
    """A receiver died between its Iceberg commit and its index transaction: ``maintain``
    found the batch's files by its id, so it queues them (the indexer needs no second look)
    and the indexer keeps the batch's own rows of them."""
    store = _open(opened, catalog, text_indexer=False)
    recorded = travel_trace(question="Where does the Cascais train leave from?")
    recorded.store_in(store)  # type: ignore[arg-type]
    lost = travel_trace(question="Is the Belem tower open on Mondays?")
    staged = stage(flatten_traces(lost.trace_request(), lambda resource: "p").batch)
    rows = tables.span_rows(staged.spans, staged.scopes, "lost")
    _, written = store._append(tables.SPANS, rows, "lost")  # and then the receiver died
    files = sorted({path for paths in written.values() for path in paths})
    found = {name: store.catalog.load_table(name) for name in (tables.SPANS, tables.LOGS)}
    report = MaintenanceReport()
    reindex(found, store.index, older_than=timedelta(0), report=report)
    assert report.batches_reindexed == 1
    with psycopg.connect(catalog[0]) as con:
        queued = con.execute(f"SELECT span_files, log_files FROM {QUEUE} WHERE batch_id = 'lost'").fetchone()
    assert queued == (files, [])
    assert _index_pending(store) == 2
    assert _found(store, "belem tower") == [lost.trace_hex]
    assert _found(store, "cascais train") == [recorded.trace_hex]
    assert _duplicates(catalog[0]) == 0
