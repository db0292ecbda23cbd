"""What every SpanStore promises (store.protocol), run against each store (conftest.py); the
schema and memory tests at the end are the DuckDB store's own."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tests.contract.conftest import StoreOpener
from tests.contract.old_layouts import as_schema_5
from tracechat.errors import StoreVersionError
from tracechat.ingest.flatten import flatten_logs, flatten_traces
from tracechat.migration import MigrationStatus
from tracechat.model.records import IngestBatch
from tracechat.model.summaries import StoredFeedback, TraceFilter
from tracechat.store.duck import DuckDBStore
from tracechat.store.protocol import SpanStore
from tracechat.store.schema import SCHEMA_VERSION

TRACE = b"\x11" * 16


def _spans(*specs: tuple[int, int | None, int], trace: bytes = TRACE) -> IngestBatch:
    """Spans of a trace from (span number, parent number, start time)."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name", value=AnyValue(string_value="svc"))
    scope = resource_spans.scope_spans.add()
    for number, parent, start in specs:
        span = scope.spans.add(
            trace_id=trace, span_id=number.to_bytes(8, "big"), name=f"span {number}", start_time_unix_nano=start
        )
        span.end_time_unix_nano = start + 10
        if parent is not None:
            span.parent_span_id = parent.to_bytes(8, "big")
    return flatten_traces(request, lambda resource: "p").batch


def _ids(store: SpanStore) -> list[str]:
    return [s.fields.span_id for s in store.trace_spans("p", TRACE.hex())]


def test_spans_come_back_in_start_order(store: SpanStore) -> None:
    store.submit(_spans((2, 1, 200), (1, None, 100), (3, 1, 150))).result()
    assert _ids(store) == [n.to_bytes(8, "big").hex() for n in (1, 3, 2)]


def test_a_trace_arriving_over_many_commits_is_read_whole(store: SpanStore) -> None:
    for number in range(1, 30):
        store.submit(_spans((number, None if number == 1 else 1, number))).result()
        store.submit(_spans((1000 + number, None, 5), trace=b"\x12" * 16)).result()
    assert len(_ids(store)) == 29
    entry = store.trace("p", TRACE.hex())
    assert entry is not None
    assert entry.span_count == 29
    assert entry.root_span_name == "span 1"


def test_duplicates_within_and_across_commits_are_stored_once(store: SpanStore) -> None:
    twice = _spans((1, None, 1), (1, None, 1), (2, 1, 2))
    store.submit(twice).result()
    store.submit(_spans((2, 1, 2), (3, 1, 3))).result()
    assert len(_ids(store)) == 3
    entry = store.trace("p", TRACE.hex())
    assert entry is not None
    assert entry.span_count == 3


def test_a_request_of_spans_all_stored_before_is_acknowledged(store: SpanStore) -> None:
    store.submit(_spans((1, None, 1), (2, 1, 2))).result()
    store.submit(_spans((2, 1, 2), (1, None, 1))).result()  # an OTLP retry of a request that was stored
    assert len(_ids(store)) == 2
    assert store.span_count("p") == 2


def test_root_is_the_parentless_span_even_when_it_arrives_last(store: SpanStore) -> None:
    store.submit(_spans((2, 1, 50))).result()  # child first; its parent is missing so far
    entry = store.trace("p", TRACE.hex())
    assert entry is not None
    assert (entry.root_span_name, entry.root_is_orphan) == ("span 2", True)
    store.submit(_spans((1, None, 100))).result()
    entry = store.trace("p", TRACE.hex())
    assert entry is not None
    assert (entry.root_span_name, entry.root_is_orphan) == ("span 1", False)
    assert entry.start_ns == 50  # the trace starts at its earliest span, skew and all


_FEEDBACK = StoredFeedback(
    id="f1",
    trace_id=TRACE.hex(),
    span_id=(1).to_bytes(8, "big").hex(),
    name="quality",
    score=0.5,
    label="ok",
    value={"why": "kept"},
    comment="fine",
    author="ann",
    created_at=datetime(2025, 5, 1, 12, 0, tzinfo=UTC),
)


def _logs_of(trace: bytes) -> IngestBatch:
    """One log record on span 1 of ``trace``."""
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.trace_id, record.span_id, record.time_unix_nano = trace, (1).to_bytes(8, "big"), 5
    return flatten_logs(request, lambda resource: "p").batch


def test_logs_before_spans_are_found_with_the_trace(store: SpanStore) -> None:
    store.submit(_logs_of(TRACE)).result()
    store.submit(_spans((1, None, 1))).result()
    assert len(store.trace_logs("p", TRACE.hex())) == 1
    assert len(_ids(store)) == 1


def test_unknown_trace_and_other_project_read_nothing(store: SpanStore) -> None:
    store.submit(_spans((1, None, 1))).result()
    assert store.trace("q", TRACE.hex()) is None
    assert store.trace_spans("q", TRACE.hex()) == []
    assert store.trace_logs("p", "22" * 16) == []
    assert store.span_count("p") == 1
    assert store.span_count("q") == 0
    assert store.span_count() == 1


def _everything(store: SpanStore) -> tuple[object, ...]:
    """What the store holds of the trace, read back through every reading method."""
    page = store.list_traces("p", TraceFilter(), limit=10, offset=0)
    return (
        store.trace("p", TRACE.hex()),
        [(s.fields.span_id, s.raw, s.resource, s.scope) for s in store.trace_spans("p", TRACE.hex())],
        [(log.raw, log.resource, log.scope) for log in store.trace_logs("p", TRACE.hex())],
        store.feedback("p", TRACE.hex()),
        page,
        store.span_count(),
    )


def test_everything_survives_reopening(open_store: StoreOpener) -> None:
    first = open_store()
    first.submit(_spans((1, None, 1), (3, 1, 3))).result()
    first.submit(_spans((2, 1, 2))).result()  # a second commit: a second batch
    first.submit(_logs_of(TRACE)).result()
    first.add_feedback("p", _FEEDBACK)
    before = _everything(first)
    first.close()
    assert before[0] is not None
    assert len(before[1]) == 3
    assert len(before[2]) == 1
    assert before[3] == [_FEEDBACK]
    assert before[4][1] == 1
    assert before[5] == 3

    second = open_store()  # nothing submitted: all of it is read from the file
    assert _everything(second) == before
    second.submit(_spans((2, 1, 2), (4, 1, 4))).result()  # batch numbers go on from the file
    assert _ids(second) == [n.to_bytes(8, "big").hex() for n in (1, 2, 3, 4)]
    entry = second.trace("p", TRACE.hex())
    assert entry is not None
    assert entry.span_count == 4
    assert entry.last_batch > before[0].last_batch  # type: ignore[attr-defined]


def test_memory_is_bounded_by_the_setting(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "t.duckdb", memory_mb=256)
    try:
        limit = store.cursor().execute("SELECT current_setting('memory_limit')").fetchone()
        assert limit is not None
        assert limit[0] == "256.0 MiB"
    finally:
        store.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    DuckDBStore(path).close()
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    with pytest.raises(StoreVersionError, match="newer tracechat"):
        DuckDBStore(path)


def test_a_foreign_duckdb_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    with pytest.raises(StoreVersionError, match="not written by tracechat"):
        DuckDBStore(path)


def test_a_version_1_file_is_migrated(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tracechat.store.schema import TABLES

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(TABLES)
        con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    with caplog.at_level(logging.WARNING, logger="tracechat.store.schema"):
        migrated = DuckDBStore(path)
    assert [r.getMessage() for r in caplog.records if r.name == "tracechat.store.schema"] == [
        f"bringing the database from schema {step} to {step + 1} (a large store takes minutes)"
        for step in range(1, SCHEMA_VERSION)
    ]
    version = migrated._cursor().execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),)
    assert migrated._cursor().execute("SELECT count(*) FROM chats").fetchone() == (0,)
    migrated.close()


def test_a_version_4_file_gets_response_ids_and_keeps_its_spans(tmp_path: Path) -> None:
    path = tmp_path / "v4.duckdb"
    store = DuckDBStore(path)
    store.submit(_spans((1, None, 1), (2, 1, 2))).result()
    before = [(s.fields.span_id, s.raw) for s in store.trace_spans("p", TRACE.hex())]
    store.close()
    with duckdb.connect(str(path)) as con:  # as schema 4 left it: no response_id
        as_schema_5(con)
        con.execute("ALTER TABLE spans DROP COLUMN response_id")
        con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    migrated = DuckDBStore(path)
    assert [(s.fields.span_id, s.raw) for s in migrated.trace_spans("p", TRACE.hex())] == before
    migrated.submit(_spans((3, 1, 3))).result()  # staged rows (response_id beside the promoted ones) insert by name
    assert len(migrated.trace_spans("p", TRACE.hex())) == 3
    columns = [row[0] for row in migrated.cursor().execute("DESCRIBE spans").fetchall()]
    assert columns[-1] == "response_id"
    migrated.close()


def test_a_version_2_file_keeps_its_spans_and_logs_when_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v2.duckdb"
    store = DuckDBStore(path)
    for number in range(1, 6):  # five commits: five batches whose order must survive
        store.submit(_spans((number, None if number == 1 else 1, number))).result()
    store.submit(_logs_of(TRACE)).result()
    before = [(s.fields.span_id, s.raw) for s in store.trace_spans("p", TRACE.hex())]
    store.close()
    with duckdb.connect(str(path)) as con:  # as schema 2 left them: text columns without a codec
        as_schema_5(con)
        for table in ("spans", "logs"):
            con.execute(f"CREATE TABLE {table}_plain AS SELECT * FROM {table}")
            con.execute(f"DROP TABLE {table}")
            con.execute(f"ALTER TABLE {table}_plain RENAME TO {table}")
        con.execute("DROP INDEX feedback_by_trace_id")
        con.execute("DROP INDEX chat_messages_by_chat")
        con.execute("ALTER TABLE chats DROP COLUMN message_count")
        con.execute("INSERT INTO chats VALUES ('c1', 'p', 'u', 'a', 't', [], now(), now(), NULL, NULL)")
        for text in ("hello", "again"):
            con.execute(
                "INSERT INTO chat_messages (chat_id, role, content, created_at) VALUES ('c1', 'user', ?, now())", [text]
            )
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")

    migrated = DuckDBStore(path)
    assert [(s.fields.span_id, s.raw) for s in migrated.trace_spans("p", TRACE.hex())] == before
    assert len(migrated.trace_logs("p", TRACE.hex())) == 1
    migrated.checkpoint()
    codecs = migrated.cursor().execute(
        "SELECT DISTINCT compression FROM pragma_storage_info('spans')"
        " WHERE column_name = 'span_id' AND segment_type = 'VARCHAR'"
    )
    assert codecs.fetchall() == [("DICT_FSST",)]
    indexes = migrated.cursor().execute("SELECT index_name FROM duckdb_indexes() ORDER BY 1").fetchall()
    assert {("feedback_by_trace_id",), ("chat_messages_by_chat",)} <= set(indexes)
    assert migrated.cursor().execute("SELECT message_count FROM chats WHERE id = 'c1'").fetchone() == (2,)
    version = migrated.cursor().execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),)
    migrated.close()


def test_a_version_5_file_moves_its_payloads_out_of_the_span_rows(tmp_path: Path) -> None:
    """Schema 5 → 6: every span's payload, scope and batch survive the move to ``payloads``
    (read back through every read path), ``spans.raw`` is gone, the move reports its
    progress, and the file takes new spans of a migrated trace."""
    path = tmp_path / "v5.duckdb"
    other = b"\x22" * 16
    store = DuckDBStore(path)
    store.submit(_spans((1, None, 1), (2, 1, 2))).result()
    store.submit(_spans((3, 1, 3), (1, None, 1))).result()  # span 1 sent again: stored once
    store.submit(_spans((1, None, 5), trace=other)).result()
    store.submit(_logs_of(TRACE)).result()
    before = {
        t: [(s.fields.span_id, s.raw, s.resource, s.scope) for s in store.trace_spans("p", t.hex())]
        for t in (TRACE, other)
    }
    batches = store.cursor().execute("SELECT span_id, batch FROM spans ORDER BY ALL").fetchall()
    store.close()
    with duckdb.connect(str(path)) as con:
        as_schema_5(con)
        v5 = con.execute("SELECT trace_id, span_id, raw FROM spans ORDER BY ALL").fetchall()
    assert len(v5) == 4
    status = MigrationStatus()
    seen: list[float] = []
    status.within_step = seen.append  # type: ignore[method-assign]
    migrated = DuckDBStore(path, migration=status)
    assert seen
    assert seen[-1] == 1.0
    assert {
        t: [(s.fields.span_id, s.raw, s.resource, s.scope) for s in migrated.trace_spans("p", t.hex())] for t in before
    } == before
    read = migrated.read_trace("p", TRACE.hex())
    assert read is not None
    assert [s.fields.span_id for s in read.spans] == [s[0] for s in before[TRACE]]
    assert len(read.logs) == 1
    one = migrated.read_span("p", TRACE.hex(), (3).to_bytes(8, "big").hex())
    assert one is not None
    assert [(s.fields.span_id, s.raw) for s in one.spans] == [before[TRACE][2][:2]]
    assert migrated.cursor().execute("SELECT span_id, batch FROM spans ORDER BY ALL").fetchall() == batches
    columns = [row[0] for row in migrated.cursor().execute("DESCRIBE spans").fetchall()]
    assert "raw" not in columns
    spans_of_batch, _ = migrated._batch_rows(1)  # the search indexer's read
    assert sorted((row[2], row[-1]) for row in spans_of_batch) == [(s[0], s[1]) for s in before[TRACE][:2]]
    migrated.submit(_spans((4, 1, 4))).result()
    assert len(migrated.trace_spans("p", TRACE.hex())) == 4
    migrated.close()


def test_a_request_sent_again_adds_no_payload_row(tmp_path: Path) -> None:
    """A retried request (its acknowledgement lost) stores nothing new, not even its
    payloads; a request that adds a span to a stored trace adds one row, and the span sent
    again beside it is still read once."""
    store = DuckDBStore(tmp_path / "tracechat.duckdb")
    store.submit(_spans((1, None, 1), (2, 1, 2))).result()
    store.submit(_spans((1, None, 1), (2, 1, 2))).result()

    def rows() -> object:
        return store.cursor().execute("SELECT count(*) FROM payloads").fetchone()

    assert rows() == (1,)
    store.submit(_spans((2, 1, 2), (3, 1, 3))).result()
    assert rows() == (2,)
    assert [s.fields.span_id for s in store.trace_spans("p", TRACE.hex())] == [
        (n).to_bytes(8, "big").hex() for n in (1, 2, 3)
    ]
    store.close()
