"""Trajectory and list latency as the store grows: ``POST /agents/traces/chat`` for 50- and
500-span traces, and the first page of ``GET /agents/traces``, at several store sizes.

    .venv/bin/python bench/trajectory.py [--sizes 100000,1000000,10000000] [--requests 200]

The store is grown by committing one pool of realistic agent traces (bench/workload.py,
about 2.4 KB per span) again and again under new project names, so every copy is stored
(the dedupe key includes the project) without generating millions of new spans. Probe
traces are added at the start (old, far from the store's end) and after each growth step
(recent). Latency is measured over real HTTP against the real server in this process while
no ingest runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers import InProcessServer, settings_for_test

from bench.workload import agent_trace, requests
from tracechat.ingest.flatten import flatten_traces
from tracechat.ingest.wire import span_slices
from tracechat.model.records import IngestBatch, SpanColumns

POOL_SPANS = 100_000
GROUP = 16  # requests per commit while loading


def pool() -> list[IngestBatch]:
    batches = []
    for request in requests(POOL_SPANS, 512, turns=8, message_words=66, seed=11):
        body = request.SerializeToString()
        batches.append(flatten_traces(request, lambda resource: "bench", span_slices(body)).batch)
    return batches


def as_project(batch: IngestBatch, project: str) -> IngestBatch:
    spans: SpanColumns = replace(batch.spans, project=[project] * len(batch.spans))
    return IngestBatch(spans=spans, scopes=batch.scopes, size_bytes=batch.size_bytes)


def probe(server: InProcessServer, spans: int, seed: int) -> str:
    """One agent trace of ``spans`` spans in project 'probe'; returns its trace id."""
    import random

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    turns = (spans - 2) // 2
    trace = agent_trace(random.Random(seed), turns, message_words=6, start_ns=1_770_000_000_000_000_000 + seed)
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(trace)
    batch = flatten_traces(request, lambda resource: "probe").batch
    server.service.store.submit(batch).result()
    return trace[0].trace_id.hex()


def grow(server: InProcessServer, batches: list[IngestBatch], copies: range) -> None:
    store = server.service.store
    for copy in copies:
        pending = [store.submit(as_project(b, f"bench-{copy}")) for b in batches]
        for future in pending:
            future.result()


def latency(client: httpx.Client, method: str, url: str, body: dict[str, object] | None, n: int) -> dict[str, float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.request(method, url, json=body) if body is not None else client.request(method, url)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2),
    }


def measure(server: InProcessServer, probes: dict[str, str], n: int) -> dict[str, object]:
    results: dict[str, object] = {}
    with httpx.Client(base_url=server.api, timeout=60) as client:
        for name, trace_id in probes.items():
            body = {"project_id": "probe", "trace_id": trace_id}
            results[name] = latency(client, "POST", "/agents/traces/chat", body, n)
        results["list_first_page"] = latency(client, "GET", "/agents/traces?project_id=bench-0&limit=50", None, n)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    batches = pool()
    per_copy = sum(len(b.spans) for b in batches)
    with tempfile.TemporaryDirectory() as scratch:
        server = InProcessServer(settings_for_test(Path(scratch) / "data"))
        try:
            probes = {"old_50_spans": probe(server, 50, 1), "old_500_spans": probe(server, 500, 2)}
            copies = 0
            report = []
            for size in sizes:
                target = max(1, round(size / per_copy))
                started = time.perf_counter()
                grow(server, batches, range(copies, target))
                load_s = time.perf_counter() - started
                copies = target
                probes[f"new_50_spans@{size}"] = probe(server, 50, 100 + copies)
                spans = server.service.store.span_count()
                row = {"store_spans": spans, "load_spans_per_s": round((target * per_copy) / max(load_s, 1e-9))}
                row.update(
                    measure(
                        server,
                        {k: v for k, v in probes.items() if not k.startswith("new") or k.endswith(f"@{size}")},
                        args.requests,
                    )
                )
                db = Path(scratch) / "data" / "tracechat.duckdb"
                row["file_mb"] = round(db.stat().st_size / 1e6)
                report.append(row)
                print(json.dumps(row), flush=True)
        finally:
            server.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
