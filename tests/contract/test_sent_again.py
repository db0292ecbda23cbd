"""A span or log record sent again (an exporter's retry) is stored once and counted once, on
every store: the store says what each request stored, and ``/metrics`` counts that as stored
and the rest as duplicates. A log record's identity is its trace, resource and scope and its
own bytes (``store.sql.LOG_IDENTITY``, ``store.iceberg.tables.log_ids``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from tests.contract.conftest import StoreOpener
from tests.traces import TraceBuilder
from tracechat.auth.keys import KeyRing
from tracechat.ingest.flatten import flatten_logs, flatten_traces
from tracechat.ingest.otlp import Encoding, Signal
from tracechat.ingest.receiver import Receiver
from tracechat.metrics import Metrics
from tracechat.model.records import StoredCount
from tracechat.store.duck import DuckDBStore
from tracechat.store.iceberg import tables
from tracechat.store.iceberg.store import IcebergStore
from tracechat.store.protocol import SpanStore
from tracechat.store.staging import stage


def _spans(store: SpanStore, trace: TraceBuilder) -> StoredCount:
    return store.submit(flatten_traces(trace.trace_request(), lambda resource: "p").batch).result()


def _logs(store: SpanStore, trace: TraceBuilder) -> StoredCount:
    return store.submit(flatten_logs(trace.logs_request(), lambda resource: "p").batch).result()


def _tool_trace() -> tuple[TraceBuilder, str]:
    trace = TraceBuilder()
    root = trace.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    trace.span("execute_tool", {"gen_ai.operation.name": "execute_tool"}, parent=root, start_ms=5)
    return trace, root


def test_a_span_sent_again_is_counted_once(store: SpanStore) -> None:
    trace, root = _tool_trace()
    assert _spans(store, trace) == StoredCount(spans=2)
    assert _spans(store, trace) == StoredCount(spans=0)  # the retry: acknowledged, not stored again
    trace.span("chat", {"gen_ai.operation.name": "chat"}, parent=root, start_ms=20)
    assert _spans(store, trace) == StoredCount(spans=1)  # two sent before, one new
    later = TraceBuilder(trace_id=trace.trace_id)
    later.spans = list(trace.spans[-1:])
    # sent without waiting: in one commit or two, the span is counted once
    futures = [store.submit(flatten_traces(t.trace_request(), lambda resource: "p").batch) for t in (later, later)]
    assert sum(f.result().spans for f in futures) == 0
    assert store.span_count("p") == 3
    entry = store.trace("p", trace.trace_hex)
    assert entry is not None
    assert entry.span_count == 3


def test_a_log_record_sent_again_is_stored_once(store: SpanStore) -> None:
    trace, root = _tool_trace()
    _spans(store, trace)
    trace.log(root, "gen_ai.user.message", {"content": "Is the ferry running?"})
    trace.log(root, "gen_ai.choice", {"message": {"content": "Yes, every 20 minutes."}})
    assert _logs(store, trace) == StoredCount(logs=2)
    assert _logs(store, trace) == StoredCount(logs=0)
    # the same time, span and event, another body: another record
    trace.log(root, "gen_ai.user.message", {"content": "And on Sundays?"})
    assert _logs(store, trace) == StoredCount(logs=1)
    bodies = [record.raw for record in store.trace_logs("p", trace.trace_hex)]
    assert len(bodies) == len(set(bodies)) == 3
    entry = store.trace("p", trace.trace_hex)
    assert entry is not None
    assert entry.log_count == 3
    if isinstance(store, IcebergStore):  # left out before it is written, not only when read
        assert store.catalog.load_table(tables.LOGS).scan().to_arrow().num_rows == 3


def test_a_log_record_repeated_in_one_request_is_stored_once(store: SpanStore) -> None:
    trace, root = _tool_trace()
    trace.log(root, "gen_ai.user.message", {"content": "Twice?"})
    trace.logs.append(trace.logs[0])
    orphan = TraceBuilder(trace_id=b"")  # a record of no trace, twice in the request: stored once too
    orphan.log(None, "app.started", "ready")
    trace.logs.extend([orphan.logs[0], orphan.logs[0]])
    assert _logs(store, trace) == StoredCount(logs=2)
    assert [r.event_name for r in store.trace_logs("p", trace.trace_hex)] == ["gen_ai.user.message"]


def _traceless_rows(store: SpanStore) -> int:
    """Log records of no trace the store holds (no read of the protocol lists them)."""
    if isinstance(store, IcebergStore):
        rows = store.catalog.load_table(tables.LOGS).scan(selected_fields=("trace_id",)).to_arrow()
        return int(rows.column("trace_id").null_count)
    assert isinstance(store, DuckDBStore)
    found = store.cursor().execute("SELECT count(*) FROM logs WHERE trace_id IS NULL").fetchone()
    assert found is not None
    return int(found[0])


def test_a_log_record_of_no_trace_sent_again_in_a_later_request_is_stored_once(open_store: StoreOpener) -> None:
    """An exporter's retry of records that name no trace (an app's own logs), in a later
    commit, and on the Iceberg store through another receiver too: read once."""
    store = open_store()
    orphan = TraceBuilder(trace_id=b"")
    orphan.log(None, "app.started", "ready")
    orphan.log(None, "app.config", {"model": "gpt-4o"})
    assert _logs(store, orphan) == StoredCount(logs=2)
    assert _logs(store, orphan) == StoredCount(logs=0)  # the retry: acknowledged, not stored again
    other = open_store() if isinstance(store, IcebergStore) else store  # another receiver
    assert _logs(other, orphan) == StoredCount(logs=0)
    orphan.log(None, "app.started", "ready again")  # another body: another record
    assert _logs(other, orphan) == StoredCount(logs=1)
    assert _traceless_rows(store) == 3


def _value(registry: CollectorRegistry, name: str) -> float:
    found = registry.get_sample_value(name)
    assert found is not None, name
    return found


def test_metrics_count_what_was_stored_and_what_was_sent_again(store: SpanStore, tmp_path: Path) -> None:
    metrics = Metrics()
    receiver = Receiver(store, KeyRing(tmp_path / "keys.json"), metrics)
    trace, root = _tool_trace()
    trace.log(root, "gen_ai.user.message", {"content": "Is the ferry running?"})
    for _ in range(2):
        receiver.export(Signal.TRACES, trace.trace_request().SerializeToString(), Encoding.PROTOBUF, None, "http")
        receiver.export(Signal.LOGS, trace.logs_request().SerializeToString(), Encoding.PROTOBUF, None, "http")
    registry = metrics.registry
    assert _value(registry, "tracechat_spans_stored_total") == 2
    assert _value(registry, "tracechat_spans_duplicate_total") == 2
    assert _value(registry, "tracechat_log_records_stored_total") == 1
    assert _value(registry, "tracechat_log_records_duplicate_total") == 1


AppendedTwice = Callable[[TraceBuilder], list[int]]
"""Appends a builder's log records to Iceberg as two receivers would, both before either
records them, then records both batches: how many records each index transaction added."""


@pytest.fixture
def appended_twice(store: SpanStore) -> AppendedTwice:
    """The receiver race of the two tests below (Iceberg only: the DuckDB store has one writer)."""
    if not isinstance(store, IcebergStore):
        pytest.skip("a race of two receivers is the Iceberg store's")
    iceberg = store

    def race(trace: TraceBuilder) -> list[int]:
        staged = stage(flatten_logs(trace.logs_request(), lambda resource: "p").batch)
        assert staged.logs is not None
        appended = []
        for batch in ("first", "second"):
            rows = tables.log_rows(staged.logs, staged.scopes, batch)
            seq, _ = iceberg._append(tables.LOGS, rows, batch)
            appended.append((batch, tables.partitions(rows)[0], seq))
        added = []
        for batch, rows, seq in appended:
            recorded = iceberg.index.record(batch, None, rows, 0, seq)
            assert recorded is not None
            added.append(len(recorded.logs))
        return added

    return race


def test_a_log_record_two_receivers_appended_at_once_counts_and_reads_once(
    store: SpanStore, appended_twice: AppendedTwice
) -> None:
    """Both appended it to Iceberg before either recorded it: the second index transaction
    leaves it out under the trace row's lock, and a read keeps one copy."""
    trace, root = _tool_trace()
    _spans(store, trace)
    trace.log(root, "gen_ai.user.message", {"content": "Is the ferry running?"})
    assert appended_twice(trace) == [1, 0]
    entry = store.trace("p", trace.trace_hex)
    assert entry is not None
    assert entry.log_count == 1
    assert len(store.trace_logs("p", trace.trace_hex)) == 1


def test_a_log_record_of_no_trace_two_receivers_appended_at_once_counts_once(
    store: SpanStore, appended_twice: AppendedTwice
) -> None:
    """Both appended it before either listed it: the second listing finds it listed, so it is
    counted once; the table holds both copies (no read of tracechat's lists such records;
    docs/storage.md says so)."""
    orphan = TraceBuilder(trace_id=b"")
    orphan.log(None, "app.started", "ready")
    assert appended_twice(orphan) == [1, 0]
    assert _traceless_rows(store) == 2
    assert _logs(store, orphan) == StoredCount(logs=0)  # sent a third time: left out before it is written
    assert _traceless_rows(store) == 2
