"""How a commit writes the trace index's rows (``store.iceberg.traceindex.TraceIndex.record``):
a trace's first commit inserts its row whole, once (no empty row updated in the same
transaction), and a row another receiver inserts in between is merged with, never
overwritten or counted short."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest

from tests.contract import test_iceberg_store
from tests.contract.test_iceberg_store import Opener, _batch, _trace, store_dsn
from tracechat.store.iceberg import store as iceberg_store
from tracechat.store.iceberg import traceindex

open_iceberg = test_iceberg_store.open_iceberg


def _row_writes(dsn: str, inserts: int) -> tuple[int, int]:
    """(rows inserted, rows updated) in ``tracechat_traces`` by the closed stores' sessions,
    once PostgreSQL's statistics show the ``inserts`` expected (a session hands its counts
    over when it ends)."""
    deadline = time.monotonic() + 20
    with psycopg.connect(dsn, autocommit=True) as con:
        while True:
            found = con.execute(
                "SELECT n_tup_ins, n_tup_upd FROM pg_stat_user_tables WHERE relname = %s", [traceindex.TRACES]
            ).fetchone()
            assert found is not None
            if found[0] >= inserts or time.monotonic() > deadline:
                return int(found[0]), int(found[1])
            time.sleep(0.2)
            con.execute("SELECT pg_stat_clear_snapshot()")


def test_a_traces_first_commit_writes_its_row_once(open_iceberg: Opener) -> None:
    store = open_iceberg()
    dsn = store_dsn(store)
    store.submit(_batch((_trace(1), 1), (_trace(1), 2), (_trace(2), 1))).result()
    store.submit(_batch((_trace(1), 3))).result()  # a later commit updates the row it finds
    entry = store.trace("p", _trace(1).hex())
    assert entry is not None
    assert entry.span_count == 3
    store.close()
    assert _row_writes(dsn, inserts=2) == (2, 1)


def test_a_row_another_receiver_inserts_first_is_merged_with(
    open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other receiver's index transaction inserts the trace's row between this one's
    lock of the rows it found (none) and its insert: this one's insert finds the key taken,
    rolls back and records again, adding its span to the other's."""
    first, second = open_iceberg(), open_iceberg()
    real = traceindex.insert_rows
    raced: list[int] = []

    def other_receiver_first(*args: Any) -> int:
        if not raced:
            raced.append(1)
            second.submit(_batch((_trace(7), 2))).result()  # committed meanwhile, through another store
        return real(*args)

    monkeypatch.setattr(traceindex, "insert_rows", other_receiver_first)
    assert first.submit(_batch((_trace(7), 1))).result().spans == 1
    assert raced
    entry = second.trace("p", _trace(7).hex())
    assert entry is not None
    assert entry.span_count == 2
    assert entry.root_span_name == "span 1"
    assert {span.fields.span_id for span in second.read_trace("p", _trace(7).hex()).spans} == {  # type: ignore[union-attr]
        (1).to_bytes(8, "big").hex(),
        (2).to_bytes(8, "big").hex(),
    }


def test_a_span_another_receiver_commits_while_this_ones_files_are_written_counts_once(
    open_iceberg: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit leaves out the spans the index held before it wrote its files; the other
    receiver commits the same span (and one more of the trace) while they are written: the
    row the commit locks holds it now, and the commit adds nothing of it to the row."""
    first, second = open_iceberg(), open_iceberg()
    real = iceberg_store.write_data_files
    raced: list[int] = []

    def other_receiver_meanwhile(*args: Any) -> Any:
        if not raced:
            raced.append(1)
            second.submit(_batch((_trace(8), 1), (_trace(8), 2))).result()
        return real(*args)

    monkeypatch.setattr(iceberg_store, "write_data_files", other_receiver_meanwhile)
    assert first.submit(_batch((_trace(8), 1))).result().spans == 0  # held by the index when recorded
    assert raced
    entry = first.trace("p", _trace(8).hex())
    assert entry is not None
    assert (entry.span_count, entry.root_span_name) == (2, "span 1")
    with psycopg.connect(store_dsn(first), autocommit=True) as con:
        found = con.execute(
            f"SELECT span_ids FROM {traceindex.TRACES} WHERE trace_id = %s", [_trace(8).hex()]
        ).fetchone()
    assert found is not None
    assert sorted(found[0]) == [(n).to_bytes(8, "big").hex() for n in (1, 2)]
    stored = first.read_trace("p", _trace(8).hex())
    assert stored is not None
    assert len(stored.spans) == 2  # the copy the first receiver appended is read once
