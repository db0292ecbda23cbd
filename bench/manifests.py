"""Planning a trace read on a table of many commits, before and after ``tracechat
maintain`` rewrites its manifests (compaction off, so only the manifests change).

    .venv/bin/python bench/manifests.py [--commits 200] [--traces 20] [--reads 100]

Each commit through one ``IcebergStore`` adds a manifest naming its files (one per trace-id
bucket it touched); a read plans the files of one trace (``IcebergStore._files``: the
partition summaries of every manifest, then the entries of those that may hold it). A
throwaway PostgreSQL (``tests.postgres``) is the catalog.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.postgres import PostgresServer

from tracechat.ingest.flatten import flatten_traces
from tracechat.model.records import IngestBatch
from tracechat.store.iceberg import tables
from tracechat.store.iceberg.maintain import run_maintenance
from tracechat.store.iceberg.store import IcebergStore, _of_trace


def batch(first: int, traces: int) -> IngestBatch:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    for number in range(first, first + traces):
        for span_number in (1, 2):
            span = scope.spans.add(
                trace_id=number.to_bytes(16, "big"), span_id=span_number.to_bytes(8, "big"), name="step"
            )
            span.start_time_unix_nano = 1_700_000_000_000_000_000 + span_number
            span.end_time_unix_nano = span.start_time_unix_nano + 500
    return flatten_traces(request, lambda resource: "p").batch


def plan_times(store: IcebergStore, ids: list[str], reads: int) -> dict[str, float]:
    """p50 and p90 of planning one trace's files, and of reading the trace (planning included)."""
    rng = random.Random(5)
    plans, reads_s = [], []
    for trace_id in (rng.choice(ids) for _ in range(reads)):
        row = store.index.row("p", trace_id)
        assert row is not None
        assert row.start_ns is not None
        started = time.perf_counter()
        store._files(tables.SPANS, row.span_seq, _of_trace("p", trace_id, "start_time", row.start_ns, row.start_ns))
        plans.append(time.perf_counter() - started)
        started = time.perf_counter()
        spans = store._spans(row)
        reads_s.append(time.perf_counter() - started)
        assert len(spans) == 2
    found: dict[str, float] = {}
    for name, times in (("plan", plans), ("read", reads_s)):
        ordered = sorted(times)
        found[f"{name}_p50_ms"] = round(statistics.median(times) * 1000, 1)
        found[f"{name}_p90_ms"] = round(ordered[int(0.9 * len(ordered))] * 1000, 1)
    return found


def manifests(store: IcebergStore) -> int:
    snapshot = store.catalog.load_table(tables.SPANS).current_snapshot()
    assert snapshot is not None
    return len(snapshot.manifests(store.catalog.load_table(tables.SPANS).io))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--traces", type=int, default=20, help="traces per commit (2 spans each)")
    parser.add_argument("--reads", type=int, default=100)
    args = parser.parse_args()
    postgres = PostgresServer()
    report: dict[str, Any] = {"commits": args.commits, "traces_per_commit": args.traces}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            dsn, warehouse = postgres.create_database(), (Path(scratch) / "warehouse").as_uri()
            store = IcebergStore(dsn, warehouse)
            try:
                for commit in range(args.commits):
                    store.submit(batch(1 + commit * args.traces, args.traces)).result()
                ids = [n.to_bytes(16, "big").hex() for n in range(1, 1 + args.commits * args.traces)]
                report["before"] = {"manifests": manifests(store), **plan_times(store, ids, args.reads)}
                started = time.perf_counter()
                done = run_maintenance(dsn, warehouse, min_files=10**9)
                report["maintain_s"] = round(time.perf_counter() - started, 2)
                report["manifests_rewritten"] = done.manifests_rewritten
                store._reload(tables.SPANS)
                report["after"] = {"manifests": manifests(store), **plan_times(store, ids, args.reads)}
            finally:
                store.close()
    finally:
        postgres.close()
    report["note"] = "measured on a shared 2-core machine with other jobs running; see docs/benchmarks.md"
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
