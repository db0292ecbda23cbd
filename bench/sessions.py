"""What the session index costs at commit: the same traces, eight turns (traces) per
session, committed with the session index and with its statement replaced by a no-op.

    .venv/bin/python bench/sessions.py [--spans 100000] [--repeat 3]

Spans are flattened up front and submitted straight to the store (no network), so the
figure is the writer's: seconds spent committing, per span, with and without the index.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from bench.workload import requests
from tracechat.ingest.flatten import flatten_traces
from tracechat.model.records import IngestBatch
from tracechat.store import sessions
from tracechat.store.duck import DuckDBStore

TURNS_PER_SESSION = 8


def batches(total: int) -> list[IngestBatch]:
    traces: dict[bytes, int] = {}
    found = []
    for request in requests(total, 512, turns=8, message_words=66):
        for span in request.resource_spans[0].scope_spans[0].spans:
            number = traces.setdefault(span.trace_id, len(traces))
            session = f"session-{number // TURNS_PER_SESSION}"
            span.attributes.append(KeyValue(key="session.id", value=AnyValue(string_value=session)))
        found.append(flatten_traces(request, lambda resource: "bench").batch)
    return found


def commit_seconds(prepared: list[IngestBatch]) -> tuple[float, float, int]:
    """(seconds committing, wall seconds, sessions indexed)"""
    with tempfile.TemporaryDirectory() as scratch:
        store = DuckDBStore(Path(scratch) / "s.duckdb")
        started = time.perf_counter()
        for future in [store.submit(batch) for batch in prepared]:
            future.result()
        wall = time.perf_counter() - started
        seconds = store.writer.stats.commit_seconds_total
        row = store.cursor().execute("SELECT count(*) FROM sessions").fetchone()
        store.close()
    return seconds, wall, int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    prepared = batches(args.spans)
    spans = sum(b.row_count for b in prepared)
    statement = sessions.INDEX_SESSIONS
    results: dict[str, list[tuple[float, float, int]]] = {"with the session index": [], "without": []}
    for _ in range(args.repeat):
        for label in results:
            sessions.INDEX_SESSIONS = statement if label == "with the session index" else "SELECT $batch"
            results[label].append(commit_seconds(prepared))
    sessions.INDEX_SESSIONS = statement
    print(f"{spans} spans in {len(prepared)} requests, {TURNS_PER_SESSION} traces per session")
    for label, runs in results.items():
        per_span = statistics.median(s for s, _, _ in runs) / spans * 1e6
        rates = " · ".join(f"{spans / wall:,.0f}" for _, wall, _ in runs)
        print(f"{label}: {per_span:.2f} µs committing per span (median); spans/s {rates}; sessions {runs[0][2]}")


if __name__ == "__main__":
    main()
