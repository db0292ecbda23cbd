"""How a trace read on the Iceberg store slows as the spans table's manifests grow: one
manifest per commit (``fast_append``), so a receiver making small commits adds them fast.

    .venv/bin/python bench/iceberg_manifests.py [--steps 50,100,200,400] [--probes 20] [--fillers other,probe]

A throwaway PostgreSQL (``tests.postgres``) and warehouse; 20 probe traces of 50 spans are
committed (one commit each), then small filler commits (16 traces of 4 spans each, spread
over the trace-id buckets) until the table holds each ``--steps`` count of manifests; at
each, every probe is read (``read_trace``) in this process, its planning (pyiceberg's
``plan_files``) timed apart. Two runs: the filler in other projects (a manifest's partition
summary then rules it out for the probes' project), and in the probes' own project (a
single-project deployment: every manifest's summary matches, so each must be opened).
``read_trace`` reads the files the trace's index row lists and plans nothing: how many of
its reads planned is reported beside it (0 unless a list was unknown or stale).
"""

from __future__ import annotations

import argparse
import json
import os
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

from bench.trajectory import probe, set_nice
from bench.workload import agent_trace
from tracechat.ingest.flatten import flatten_traces
from tracechat.store.iceberg import tables
from tracechat.store.iceberg.store import IcebergStore, _of_trace


def filler(store: IcebergStore, project: str, rng: random.Random) -> None:
    """One commit of 16 small traces (4 spans each) in ``project``."""
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    for _ in range(16):
        spans.extend(agent_trace(rng, 1, message_words=6, start_ns=1_770_000_000_000_000_000 + rng.randrange(10**12)))
    store.submit(flatten_traces(request, lambda resource: project).batch).result()


def manifests(store: IcebergStore) -> int:
    table = store.catalog.load_table(tables.SPANS)
    snapshot = table.current_snapshot()
    return len(snapshot.manifests(table.io)) if snapshot is not None else 0


def timed_reads(store: IcebergStore, trace_ids: list[str]) -> dict[str, Any]:
    plan, read, planned = [], [], []
    store.read_trace("probe", trace_ids[0])  # the table's metadata loaded and cached
    planned_before = store.planned_reads
    for trace_id in trace_ids:
        row = store.index.row("probe", trace_id)
        assert row is not None
        assert row.start_ns is not None
        row_filter = _of_trace(row.project, row.trace_id, "start_time", row.start_ns, row.end_ns or row.start_ns)
        started = time.perf_counter()
        tasks = list(store._table(tables.SPANS, row.span_seq).scan(row_filter=row_filter).plan_files())
        plan.append((time.perf_counter() - started) * 1000)
        planned.append(len(tasks))
        started = time.perf_counter()
        stored = store.read_trace("probe", trace_id)
        read.append((time.perf_counter() - started) * 1000)
        assert stored is not None
        assert len(stored.spans) == 50
    return {
        "plan_p50_ms": round(statistics.median(plan), 1),
        "read_trace_p50_ms": round(statistics.median(read), 1),
        "read_trace_max_ms": round(max(read), 1),
        "files_planned_p50": statistics.median(planned),
        "read_trace_planned": store.planned_reads - planned_before,
    }


def sweep(postgres: PostgresServer, root: Path, filler_project: str, steps: list[int], probes: int) -> list[Any]:
    dsn, warehouse = postgres.create_database(), (root / filler_project).as_uri()
    store = IcebergStore(dsn, warehouse)
    rng = random.Random(5)
    rows = []
    try:
        trace_ids = [probe(store, 50, seed=n) for n in range(probes)]
        for step in steps:
            set_nice(10)  # the commits niced (a shared machine), the reads not
            while manifests(store) < step:
                filler(store, filler_project, rng)
            set_nice(0)
            row: dict[str, Any] = {"manifests": manifests(store), "load_average": round(os.getloadavg()[0], 1)}
            row.update(timed_reads(store, trace_ids))
            rows.append(row)
            print(json.dumps({"filler": filler_project, **row}), flush=True)
    finally:
        store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", default="50,100,200,400")
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--fillers", default="other,probe", help="the projects the filler commits go to")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    postgres = PostgresServer()
    report: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for project in args.fillers.split(","):
                report[f"filler_in_{project}_project"] = sweep(postgres, Path(scratch), project, steps, args.probes)
    finally:
        postgres.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
