"""What leaving out log records sent again costs the DuckDB store's commit (docs/benchmarks.md,
"Log records sent again"): 200 traces of 50 log records (~1 KB bodies) committed in 10
requests after their spans, then the same requests again, with the dedupe or with the plain
insert of before (``--plain``).

    python -m bench.log_dedupe [--plain]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
from tests.traces import TraceBuilder

from tracechat.ingest.flatten import flatten_logs, flatten_traces
from tracechat.model.records import IngestBatch
from tracechat.store import duck
from tracechat.store.duck import DuckDBStore

TRACES, RECORDS, PER_REQUEST = 200, 50, 20


def _plain(self: Any, con: duckdb.DuckDBPyConnection, batch_no: int) -> int:
    """The insert before log records were compared: every one appended."""
    row = con.execute(f"INSERT INTO logs SELECT $batch, {duck._LOG_COLUMNS} FROM staged_logs", {"batch": batch_no})
    found = row.fetchone()
    return int(found[0]) if found else 0


def _requests(traces: list[TraceBuilder]) -> list[IngestBatch]:
    batches = []
    for first in range(0, len(traces), PER_REQUEST):
        request = traces[first].logs_request()
        for trace in traces[first + 1 : first + PER_REQUEST]:
            request.resource_logs[0].scope_logs[0].log_records.extend(trace.logs)
        batches.append(flatten_logs(request, lambda resource: "p").batch)
    return batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plain", action="store_true", help="the insert of before, without the dedupe")
    args = parser.parse_args()
    if args.plain:
        duck.DuckDBStore._insert_logs = _plain  # type: ignore[method-assign]
    store = DuckDBStore(Path(tempfile.mkdtemp()) / "tracechat.duckdb", verify=False)
    traces = []
    for _ in range(TRACES):
        trace = TraceBuilder()
        root = trace.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent"})
        for k in range(RECORDS):
            trace.log(root, "gen_ai.user.message", {"content": f"message {k} " + "x" * 1000})
            trace.logs[-1].time_unix_nano = trace.base_ns + (len(traces) * RECORDS + k) * 1_000_000  # in time order
        store.submit(flatten_traces(trace.trace_request(), lambda resource: "p").batch).result()
        traces.append(trace)
    requests = _requests(traces)
    for label in ("first", "again"):
        started = time.perf_counter()
        stored = sum(store.submit(batch).result().logs for batch in requests)
        rate = TRACES * RECORDS / (time.perf_counter() - started)
        print(f"{'plain' if args.plain else 'dedupe'} {label}: {rate:,.0f} records/s, {stored} stored")
    store.close()


if __name__ == "__main__":
    main()
