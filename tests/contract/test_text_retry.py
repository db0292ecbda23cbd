"""The DuckDB store's search indexer holds up no commit behind one whose text cannot be read:
that commit backs off and, after ``textretry.MAX_ATTEMPTS`` failures, is dead (counted by
``tracechat_search_dead_batches``, listed by ``tracechat maintain``), until an operator
retries it (``tracechat maintain --retry-dead-text``) — the rule the Iceberg store's queue
follows (``store.textretry``; tests/contract/test_iceberg_text_index.py). The failure here is
real: the commit's payload row in the DuckDB file is cut short, as damage would leave it."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from tests.contract.test_search import travel_trace
from tracechat import cli
from tracechat.errors import TracechatError
from tracechat.metrics import Metrics
from tracechat.model.summaries import TraceFilter
from tracechat.store.duck import DuckDBStore
from tracechat.store.search import SearchIndex
from tracechat.store.textretry import RetryPolicy
from tracechat.store.upkeep import maintain_text

# a backoff no test waits out: the test runs the clock out itself (``_make_due``)
SLOW = RetryPolicy(max_attempts=3, base_s=3600)


def _open(root: Path, *, search: bool = True) -> DuckDBStore:
    return DuckDBStore(
        root / "tracechat.duckdb", search_dir=root / "search" if search else None, verify=False, text_retry=SLOW
    )


def _found(store: DuckDBStore, text: str) -> list[str]:
    rows, _ = store.list_traces("p", TraceFilter(text=text), 50, 0)
    return [row[0] for row in rows]


def _settled(store: DuckDBStore) -> DuckDBStore:
    """``store`` once its indexer has nothing left to do but wait for a backoff."""
    indexer = store.text_indexer
    assert indexer is not None
    assert indexer.wait_idle(30)
    return store


def _make_due(root: Path) -> None:
    """As if every backoff had run out (instead of waiting for it), on the closed store's index."""
    index = SearchIndex(root / "search")
    failing = index.failing()
    index.commit(index.indexed_batch(), {batch: replace(state, retry_at=0.0) for batch, state in failing.items()})
    index.close()


def _cut_payload(root: Path, trace_id: str) -> bytes:
    """Cut the trace's payload row short (a damaged row); its bytes as they were."""
    with duckdb.connect(str(root / "tracechat.duckdb")) as con:
        found = con.execute("SELECT spans FROM payloads WHERE trace_id = ?", [trace_id]).fetchone()
        assert found is not None
        con.execute("UPDATE payloads SET spans = ? WHERE trace_id = ?", [found[0][:12], trace_id])
    return bytes(found[0])


def _mend_payload(root: Path, trace_id: str, payload: bytes) -> None:
    with duckdb.connect(str(root / "tracechat.duckdb")) as con:
        con.execute("UPDATE payloads SET spans = ? WHERE trace_id = ?", [payload, trace_id])


def _dead_metric(store: DuckDBStore) -> bytes:
    metrics = Metrics()
    metrics.watch_search(store.search_lag, store.search_dead)
    return metrics.render()


def test_a_commit_whose_text_keeps_failing_backs_off_then_is_dead_and_an_operator_retries_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    off = _open(tmp_path, search=False)  # stored while the index was off: damaged before it is read
    broken = travel_trace(question="Is the Elevador de Santa Justa open?")
    broken.store_in(off)
    off.close()
    payload = _cut_payload(tmp_path, broken.trace_hex)

    store = _settled(_open(tmp_path))  # its first attempt fails: the commit backs off
    try:
        fresh = travel_trace(question="Does the 28 tram pass Graca?")
        fresh.store_in(store)
        _settled(store)
        assert _found(store, "graca tram") == [fresh.trace_hex]  # the commit after it is searchable
        assert _found(store, "justa") == []
        assert (store.search_lag(), store.search_dead()) == (1, 0)  # backing off: behind, not dead
        assert not store.wait_searchable(0.2)  # it is waited for, as on the Iceberg store
    finally:
        store.close()

    for attempt in (2, 3):  # a restart forgets no failure: each is one more attempt
        _make_due(tmp_path)
        store = _settled(_open(tmp_path))
        try:
            indexer = store.text_indexer
            assert indexer is not None
            assert indexer.failed == 1
            assert store.search_dead() == (1 if attempt == 3 else 0)
        finally:
            store.close()

    _make_due(tmp_path)
    store = _settled(_open(tmp_path))
    try:
        indexer = store.text_indexer
        assert indexer is not None
        assert indexer.failed == 0  # no indexer takes a dead commit
        assert (store.search_lag(), store.search_dead()) == (0, 1)
        assert store.wait_searchable(1)  # a dead commit is not waited for
        assert b"tracechat_search_dead_batches 1.0" in _dead_metric(store)
        assert _found(store, "graca tram") == [fresh.trace_hex]
    finally:
        store.close()

    report = maintain_text(tmp_path / "tracechat.duckdb", tmp_path / "search")  # reports it, does not take it
    assert (report.text_batches_indexed, report.text_batches_failed, report.text_batches_dead) == (0, 0, 1)
    [dead] = report.dead_text_batches
    assert (dead["batch_id"], dead["attempts"]) == ("1", 3)
    assert "cut short" in dead["last_error"]

    _mend_payload(tmp_path, broken.trace_hex, payload)  # the operator mends the row, then retries
    assert cli.main(["maintain", "--data-dir", str(tmp_path), "--retry-dead-text"]) == 0
    retried = json.loads(capsys.readouterr().out)
    assert retried["text_batches_retried"] == retried["text_batches_indexed"] == 1
    assert (retried["text_batches_dead"], retried["dead_text_batches"]) == (0, [])
    store = _open(tmp_path)
    try:
        assert _found(store, "justa") == [broken.trace_hex]
        assert (store.search_lag(), store.search_dead()) == (0, 0)
    finally:
        store.close()


_HOLD = """
import sys
from pathlib import Path
from tracechat.store.duck import DuckDBStore
root = Path(sys.argv[1])
store = DuckDBStore(root / "tracechat.duckdb", search_dir=root / "search", verify=False)
print("open", flush=True)
sys.stdin.read()
store.close()
"""


def test_maintain_refuses_a_store_a_server_has_open(tmp_path: Path) -> None:
    _open(tmp_path).close()
    server = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline() == "open\n"
        with pytest.raises(TracechatError, match="open in a running server"):
            maintain_text(tmp_path / "tracechat.duckdb", tmp_path / "search")
    finally:
        server.communicate("", timeout=30)
