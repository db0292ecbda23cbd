"""Real DuckDB files damaged by the test: a file whose tail is cut is refused at start with a
clear message (while one that is only shorter than its free blocks, as DuckDB leaves a healthy
file, opens); a garbled data block is found by the verification after start (writes then
refused, /healthz and /metrics say why); a database DuckDB invalidated after a failed
checkpoint is reopened; a write-ahead log cut short is replayed with a loud log line naming
the commits it lost."""

from __future__ import annotations

import logging
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import http_exporter, make_agent_spans, span_ids
from tests.servers import InProcessServer, settings_for_test
from tests.traces import TraceBuilder
from tracechat.errors import StorageUnavailable, StoreCorrupted
from tracechat.ingest.flatten import flatten_traces
from tracechat.model.records import IngestBatch
from tracechat.store.duck import DuckDBStore
from tracechat.store.integrity import HEADER_BYTES

TRACES = 12


def _filled(path: Path, *, checkpoint: bool = True) -> list[str]:
    """A store of TRACES traces of 40 spans with 4 KB payloads each; their ids."""
    store = DuckDBStore(path, verify=False)
    ids = []
    for _ in range(TRACES):
        trace = TraceBuilder()
        for number in range(40):
            trace.span(f"span {number}", {"payload": os.urandom(2000).hex()})
        trace.store_in(store, project="default")
        ids.append(trace.trace_hex)
    if checkpoint:
        store.checkpoint()
    store.close()
    return ids


def _garble_a_data_block(path: Path) -> None:
    """Overwrite bytes inside a block holding the spans' payloads (the first block of the
    payload column's first segment's own blocks: the segment starts in a block it shares
    with the small columns)."""
    with duckdb.connect(str(path), read_only=True) as con:
        block_size, block_id = con.execute(
            "SELECT (SELECT block_size FROM pragma_database_size()),"
            " coalesce(additional_block_ids[1], block_id) FROM pragma_storage_info('payloads') "
            "WHERE column_name = 'spans' AND persistent AND block_id >= 0 LIMIT 1"
        ).fetchone() or (0, -1)
    assert block_id >= 0
    with open(path, "r+b") as handle:
        handle.seek(HEADER_BYTES + block_id * block_size + 1000)
        handle.write(b"\xde\xad\xbe\xef" * 1000)


def _serve(data_dir: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tracechat", "serve", "--data-dir", str(data_dir)]
    command += ["--grpc-port", "0", "--otlp-http-port", "0", "--port", "0"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_file_whose_tail_is_cut_is_refused_at_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _filled(data_dir / "tracechat.duckdb")
    database = data_dir / "tracechat.duckdb"
    os.truncate(database, database.stat().st_size * 2 // 3)
    process = _serve(data_dir)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate(timeout=30)
        pytest.fail("the server started on a file with its tail cut off")
    assert process.returncode == 2
    assert "the end of the file is missing" in stderr
    assert "Traceback" not in stderr


@pytest.fixture
def garbled(tmp_path: Path) -> Iterator[InProcessServer]:
    data_dir = tmp_path / "data"
    _filled(data_dir / "tracechat.duckdb")
    _garble_a_data_block(data_dir / "tracechat.duckdb")
    server = InProcessServer(settings_for_test(data_dir))
    verifier = server.service.store._verifier
    assert verifier is not None
    assert verifier.done.wait(60)
    yield server
    server.stop()


def test_a_garbled_block_is_found_and_writes_are_refused(garbled: InProcessServer) -> None:
    health = httpx.get(f"{garbled.api}/healthz", timeout=30)
    assert health.status_code == 503
    assert health.json()["status"] == "store_corrupt"
    assert "checksum" in health.json()["problem"]
    assert "tracechat_store_corrupt 1.0" in httpx.get(f"{garbled.api}/metrics", timeout=30).text
    exported = httpx.post(
        f"{garbled.otlp_http}/v1/traces",
        content=TraceBuilder().trace_request().SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        timeout=30,
    )
    assert exported.status_code == 503
    assert "damaged" in exported.text


def test_a_read_of_the_garbled_block_says_the_store_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "tracechat.duckdb"
    ids = _filled(path)
    _garble_a_data_block(path)
    store = DuckDBStore(path, verify=False)
    try:
        with pytest.raises(StoreCorrupted, match="damaged"):
            _read_all(store, ids)
        assert store.problem is not None
        with pytest.raises(StoreCorrupted):
            store.submit(_one_span_batch())
    finally:
        store.close()


def _read_all(store: DuckDBStore, trace_ids: list[str]) -> None:
    for trace_id in trace_ids:
        store.trace_spans("default", trace_id)


def _one_span_batch() -> IngestBatch:
    trace = TraceBuilder()
    trace.span("after")
    return flatten_traces(trace.trace_request(), lambda resource: "default").batch


def test_an_invalidated_database_is_reopened(tmp_path: Path) -> None:
    server = InProcessServer(settings_for_test(tmp_path / "data", search_index=False))
    try:
        before = make_agent_spans(turns=3)
        assert http_exporter(server.otlp_http).export(before) is SpanExportResult.SUCCESS
        store = server.service.store
        # A checkpoint that cannot write (the file-size limit stands in for a failing disk):
        # DuckDB then invalidates the database, and every statement after fails.
        previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, limit[1]))
        try:
            with pytest.raises(duckdb.Error, match="checkpoint"):
                store.checkpoint()
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, limit)
            signal.signal(signal.SIGXFSZ, previous)
        listed = httpx.get(f"{server.api}/agents/traces", params={"since": "1970-01-01T00:00:00Z"}, timeout=30)
        assert listed.status_code == 503, "the read that met the invalidated database reopened it"
        assert "reopened" in listed.json()["error"]["message"]
        after = make_agent_spans(turns=2)
        assert http_exporter(server.otlp_http).export(after) is SpanExportResult.SUCCESS
        for spans in (before, after):
            trace_id = format(spans[0].context.trace_id, "032x")
            stored = store.trace_spans("default", trace_id)
            assert {(s.trace_id, s.fields.span_id) for s in stored} == span_ids(spans)
    finally:
        server.stop()


def test_a_commit_on_an_invalidated_database_reopens_it(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "tracechat.duckdb", verify=False)
    try:
        store.submit(_one_span_batch()).result()
        previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, limit[1]))
        try:
            with pytest.raises(duckdb.Error):
                store.checkpoint()
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, limit)
            signal.signal(signal.SIGXFSZ, previous)
        with pytest.raises(StorageUnavailable, match="reopened"):
            store.submit(_one_span_batch()).result()
        store.submit(_one_span_batch()).result()
        assert store.span_count() == 2
    finally:
        store.close()


_KILLED_AFTER_COMMITS = """
import os, sys
sys.path.insert(0, sys.argv[2])
from tests.e2e.test_damaged_store import _filled
from pathlib import Path
import tracechat.store.duck as duck
duck.DuckDBStore.checkpoint = lambda self: None
duck.DuckDBStore.close = lambda self: os._exit(0)  # killed: the commits stay in the WAL
_filled(Path(sys.argv[1]), checkpoint=False)
"""


def test_a_wal_cut_short_is_replayed_with_a_loud_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "tracechat.duckdb"
    root = str(Path(__file__).resolve().parents[2])
    child = subprocess.run(
        [sys.executable, "-c", _KILLED_AFTER_COMMITS, str(path), root], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 0, child.stderr
    wal = path.with_name(path.name + ".wal")
    assert wal.stat().st_size > 100_000
    os.truncate(wal, wal.stat().st_size // 2)
    with caplog.at_level(logging.WARNING, logger="tracechat.store"):
        store = DuckDBStore(path, verify=False)
    try:
        lost = [r.getMessage() for r in caplog.records if "ACKNOWLEDGED COMMITS LOST" in r.getMessage()]
        assert len(lost) == 1, [r.getMessage() for r in caplog.records]
        assert f"number {TRACES}" in lost[0]
        held = store.cursor().execute("SELECT count(DISTINCT trace_id) FROM spans").fetchone()
        assert held is not None
        assert f"up to {held[0]} only ({TRACES - held[0]} commits missing)" in lost[0]
        assert any("replayed a write-ahead log" in r.getMessage() for r in caplog.records)
    finally:
        store.close()


def test_a_clean_restart_reports_no_loss(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "tracechat.duckdb"
    _filled(path)
    with caplog.at_level(logging.WARNING, logger="tracechat.store"):
        DuckDBStore(path, verify=False).close()
    assert not [r for r in caplog.records if "LOST" in r.getMessage()]


def _free_blocks_past_the_end(path: Path) -> tuple[int, int, int]:
    """A healthy store whose file is shorter than DuckDB's ``total_blocks`` says: tables
    written, some dropped (free blocks inside the file, then at its end, which a checkpoint
    truncates), and the file reopened, after which the truncated blocks count again.
    Returns (block size, total blocks, used blocks) as DuckDB reports them."""
    DuckDBStore(path, verify=False).close()
    for tables in (("filler_a", "filler_b", "filler_c"), ("filler_d",)):
        with duckdb.connect(str(path)) as con:
            for table in tables:
                con.execute(
                    f"CREATE TABLE {table} AS SELECT range AS i, repeat(md5(range::VARCHAR), 10) AS s FROM range(50000)"
                )
                con.execute("CHECKPOINT")
            if tables[0] == "filler_a":
                con.execute("DROP TABLE filler_a")
                con.execute("CHECKPOINT")
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE filler_c")
        con.execute("DROP TABLE filler_d")
        con.execute("CHECKPOINT")
    with duckdb.connect(str(path)) as con:
        row = con.execute("SELECT block_size, total_blocks, used_blocks FROM pragma_database_size()").fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def test_free_blocks_cut_off_the_end_are_no_damage(tmp_path: Path) -> None:
    path = tmp_path / "tracechat.duckdb"
    block_size, total, used = _free_blocks_past_the_end(path)
    assert path.stat().st_size < HEADER_BYTES + block_size * total, "the file holds every block counted"
    store = DuckDBStore(path, verify=True)
    try:
        assert store._verifier is not None
        assert store._verifier.done.wait(60)
        assert store.problem is None
        store.submit(_one_span_batch()).result()
        assert store.span_count() == 1
    finally:
        store.close()
    os.truncate(path, HEADER_BYTES + block_size * (used - 1))
    with pytest.raises(StoreCorrupted, match="the end of the file is missing"):
        DuckDBStore(path, verify=False)
