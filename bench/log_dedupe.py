"""What leaving out log records sent again costs a commit (docs/benchmarks.md, "Log records
sent again"): 200 traces of 50 log records (~1 KB bodies) committed in 10 requests after
their spans, then the same requests again, with the dedupe or with the plain insert of
before (``--plain``, DuckDB store).

``--traceless``: the records name no trace (an app's own logs: no spans first), each with
its time and observed time set as an SDK sets them; ``--within-commit`` compares them within
their commit only, as both stores did before. ``--store iceberg`` runs the Iceberg store on a
throwaway PostgreSQL cluster (``tests.postgres``) and a warehouse in a temporary directory.

    python -m bench.log_dedupe [--plain] [--traceless [--within-commit]] [--store duckdb|iceberg]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from tests.postgres import PostgresServer
from tests.traces import TraceBuilder

from tracechat.ingest.flatten import flatten_logs, flatten_traces
from tracechat.model.records import IngestBatch
from tracechat.store import duck, sql
from tracechat.store.duck import DuckDBStore
from tracechat.store.iceberg import tables, traceindex
from tracechat.store.protocol import SpanStore

TRACES, RECORDS, PER_REQUEST = 200, 50, 20


def _plain(self: Any, con: duckdb.DuckDBPyConnection, batch_no: int) -> int:
    """The insert before log records were compared: every one appended."""
    row = con.execute(f"INSERT INTO logs SELECT $batch, {duck._LOG_COLUMNS} FROM staged_logs", {"batch": batch_no})
    found = row.fetchone()
    return int(found[0]) if found else 0


def _within_commit() -> None:
    """Records of no trace compared within their commit only (before), on both stores."""

    def iceberg_before(con: psycopg.Connection[tuple[Any, ...]], batch_id: str, logs: pa.Table | None) -> set[str]:
        if logs is None:
            return set()
        return set(tables.row_log_ids(logs.filter(pc.is_null(logs.column("trace_id")))))

    # no record of no trace staged, as far as the insert is told: none compared with the stored
    staged = "FROM staged_logs WHERE"
    sql.BEFORE_LOG_INSERT = sql.BEFORE_LOG_INSERT.replace(f"{staged} trace_id IS NULL", f"{staged} false")
    traceindex._add_traceless_logs = iceberg_before
    traceindex.TraceIndex.stored_traceless_log_ids = lambda self, keys: set()  # type: ignore[method-assign, assignment]


_SPENT: dict[str, float] = {}


def _timed_listing() -> None:
    """Time the Iceberg store's two steps for records of no trace (the lookup before the files
    are written, the listing in the index transaction), apart from the commit's noise."""
    lookup, listing = traceindex.TraceIndex.stored_traceless_log_ids, traceindex._add_traceless_logs

    def timed_lookup(self: traceindex.TraceIndex, keys: Any) -> set[tuple[str, str]]:
        started = time.perf_counter()
        try:
            return lookup(self, keys)
        finally:
            _SPENT["lookup"] = _SPENT.get("lookup", 0.0) + time.perf_counter() - started

    def timed_listing(con: psycopg.Connection[tuple[Any, ...]], batch_id: str, logs: pa.Table | None) -> set[str]:
        started = time.perf_counter()
        try:
            return listing(con, batch_id, logs)
        finally:
            _SPENT["listing"] = _SPENT.get("listing", 0.0) + time.perf_counter() - started

    traceindex.TraceIndex.stored_traceless_log_ids = timed_lookup  # type: ignore[method-assign]
    traceindex._add_traceless_logs = timed_listing


def _requests(traces: list[TraceBuilder]) -> list[IngestBatch]:
    batches = []
    for first in range(0, len(traces), PER_REQUEST):
        request = traces[first].logs_request()
        for trace in traces[first + 1 : first + PER_REQUEST]:
            request.resource_logs[0].scope_logs[0].log_records.extend(trace.logs)
        batches.append(flatten_logs(request, lambda resource: "p").batch)
    return batches


def _open(kind: str, stack: ExitStack) -> SpanStore:
    scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    if kind == "duckdb":
        store: SpanStore = DuckDBStore(scratch / "tracechat.duckdb", verify=False)
    else:
        from tracechat.store.iceberg.store import IcebergStore

        postgres = PostgresServer()
        stack.callback(postgres.close)
        store = IcebergStore(postgres.create_database(), (scratch / "warehouse").as_uri(), search=False)
    stack.callback(store.close)
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plain", action="store_true", help="DuckDB: the insert of before, without the dedupe")
    parser.add_argument("--traceless", action="store_true", help="records that name no trace")
    parser.add_argument("--within-commit", action="store_true", help="records of no trace compared within commits")
    parser.add_argument("--store", choices=("duckdb", "iceberg"), default="duckdb")
    args = parser.parse_args()
    if args.plain:
        if args.store != "duckdb":
            parser.error("--plain is the DuckDB store's insert of before")
        duck.DuckDBStore._insert_logs = _plain  # type: ignore[method-assign]
    if args.within_commit:
        _within_commit()
    elif args.store == "iceberg" and args.traceless:
        _timed_listing()
    with ExitStack() as stack:
        store = _open(args.store, stack)
        traces = []
        for number in range(TRACES):
            trace = TraceBuilder(trace_id=b"") if args.traceless else TraceBuilder()
            root = None if args.traceless else trace.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent"})
            for k in range(RECORDS):
                trace.log(root, "gen_ai.user.message", {"content": f"message {number}/{k} " + "x" * 1000})
                at = trace.base_ns + (number * RECORDS + k) * 1_000_000  # in time order
                trace.logs[-1].time_unix_nano = at
                trace.logs[-1].observed_time_unix_nano = at + 1_000
            if not args.traceless:
                store.submit(flatten_traces(trace.trace_request(), lambda resource: "p").batch).result()
            traces.append(trace)
        requests = _requests(traces)
        label = "plain" if args.plain else "within-commit" if args.within_commit else "dedupe"
        for sending in ("first", "again"):
            started = time.perf_counter()
            stored = sum(store.submit(batch).result().logs for batch in requests)
            rate = TRACES * RECORDS / (time.perf_counter() - started)
            kind = "traceless" if args.traceless else "traced"
            spent = ", ".join(f"{name} {seconds * 1000 / len(requests):.1f} ms" for name, seconds in _SPENT.items())
            print(f"{args.store} {kind} {label} {sending}: {rate:,.0f} records/s, {stored} stored", spent)
            _SPENT.clear()


if __name__ == "__main__":
    main()
