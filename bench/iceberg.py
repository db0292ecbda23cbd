"""The Iceberg store beside the DuckDB store: ingest through one real ``tracechat serve``
receiver each, the acknowledgement latency, the catalog's commit rate, trajectory reads and
bytes per span. A throwaway PostgreSQL (``tests.postgres``) is the catalog.

    .venv/bin/python bench/iceberg.py [--spans 50000] [--clients 8] [--reads 200]
    .venv/bin/python bench/iceberg.py --rounds 3 [--sweep 8,16,32] [--baseline-src SRC]

Ingest: the same requests (``bench.workload``, 3 KB spans) sent over OTLP/gRPC by
``--clients`` concurrent clients, each request timed from send to acknowledgement.
Commits: one process appending 1-row snapshots to a fresh table for 5 s, then two at once
(what one catalog table takes when commits are small). Reads: ``read_trace`` of
``--reads`` random traces through a store opened in this process, after ingest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.postgres import PostgresServer
from tests.servers import ChildServer

from bench.ingest import EXPORT, VARIANTS, directory_bytes
from bench.proc import cpu_seconds, peak_rss_mb
from bench.workload import requests
from tracechat.store.duck import DuckDBStore
from tracechat.store.iceberg.store import IcebergStore, sqlalchemy_uri


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def send(endpoint: str, bodies: list[bytes], clients: int) -> tuple[float, list[float]]:
    """Seconds from the first send to the last acknowledgement, and each request's latency."""
    options = [("grpc.max_send_message_length", 1 << 30)]
    channels = [grpc.insecure_channel(endpoint, options=options) for _ in range(clients)]
    calls = [channel.unary_unary(EXPORT) for channel in channels]
    for call in calls:
        call(b"", timeout=30)
    cursor = iter(range(len(bodies)))
    lock = threading.Lock()
    latencies: list[float] = []

    def client(call: grpc.UnaryUnaryMultiCallable) -> None:
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            sent = time.perf_counter()
            call(bodies[index], timeout=300)
            latencies.append(time.perf_counter() - sent)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client, call) for call in calls]:
            future.result()
    elapsed = time.perf_counter() - started
    for channel in channels:
        channel.close()
    return elapsed, latencies


def trace_ids(bodies: list[bytes]) -> list[str]:
    found: set[str] = set()
    for body in bodies:
        for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
            for scope_spans in resource_spans.scope_spans:
                found.update(span.trace_id.hex() for span in scope_spans.spans)
    return sorted(found)


def read_latencies(store: Any, ids: list[str], reads: int) -> dict[str, float]:
    rng = random.Random(3)
    sample = [rng.choice(ids) for _ in range(reads)]
    store.read_trace("default", sample[0])  # warm: table metadata, manifests
    times = []
    for trace_id in sample:
        started = time.perf_counter()
        stored = store.read_trace("default", trace_id)
        times.append(time.perf_counter() - started)
        assert stored is not None
        assert stored.spans
    return {"p50_ms": round(_percentile(times, 0.5) * 1000, 1), "p99_ms": round(_percentile(times, 0.99) * 1000, 1)}


def ingest(
    data_dir: Path, extra: list[str], bodies: list[bytes], clients: int, spans: int, source: str | None = None
) -> tuple[dict[str, Any], ChildServer]:
    """One receiver's run; ``source``: a checkout's ``src`` directory to run it from instead."""
    # no full-text index on either: the Iceberg store has none yet, so the DuckDB one runs without
    env = {"TRACECHAT_SEARCH_INDEX": "0", **({"PYTHONPATH": source} if source else {})}
    server = ChildServer.start(data_dir, *extra, env=env)
    cpu_before = cpu_seconds(server.process.pid)
    elapsed, latencies = send(server.grpc_endpoint, bodies, clients)
    cpu = cpu_seconds(server.process.pid) - cpu_before
    return {
        "spans_per_s": round(spans / elapsed),
        "cpu_us_per_span": round(cpu / spans * 1e6),
        "seconds": round(elapsed, 2),
        "ack_p50_ms": round(_percentile(latencies, 0.5) * 1000),
        "ack_p99_ms": round(_percentile(latencies, 0.99) * 1000),
        "server_peak_rss_mb": round(peak_rss_mb(server.process.pid)),
    }, server


def commit_rate(dsn: str, warehouse: str, writers: int, seconds: float = 5.0) -> float:
    """Snapshots per second that ``writers`` threads, each with its own catalog, commit to
    one table, appending one row each time."""
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.schema import Schema
    from pyiceberg.types import LongType, NestedField

    schema = Schema(NestedField(1, "n", LongType(), required=True))
    first = SqlCatalog("bench", uri=sqlalchemy_uri(dsn), warehouse=warehouse)
    first.create_namespace_if_not_exists("bench")
    name = f"bench.commits_{writers}"
    first.create_table(name, schema, properties={"commit.retry.num-retries": "50", "commit.retry.min-wait-ms": "10"})
    row = pa.table({"n": pa.array([1], pa.int64())}, schema=schema.as_arrow())
    done: list[int] = []
    deadline = time.monotonic() + seconds

    def writer() -> None:
        table = SqlCatalog("bench", uri=sqlalchemy_uri(dsn), warehouse=warehouse).load_table(name)
        count = 0
        while time.monotonic() < deadline:
            table.append(row)
            count += 1
        done.append(count)

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def rounds(args: argparse.Namespace) -> None:
    """Ingest only, interleaved: in each round the DuckDB store, the Iceberg store (and the
    baseline's Iceberg store) one after the other, so each ratio is of runs a minute apart
    on a machine whose load changes by the minute. With ``--sweep``, each round does so at
    every client count, and the summary adds each store's capacity: its best median
    spans/s over the counts (a receiver's capacity is what it takes once more clients add
    nothing; with few clients, a store whose acknowledgement takes longer is held by it)."""
    bodies = [r.SerializeToString() for r in requests(args.spans, args.spans_per_request, **VARIANTS["3kb"])]
    counts = [int(c) for c in args.sweep.split(",")] if args.sweep else [args.clients]
    postgres = PostgresServer()
    runs: dict[int, list[dict[str, Any]]] = {clients: [] for clients in counts}
    try:
        for number in range(args.rounds):
            for clients in counts:
                found = _round(postgres, bodies, args, number, clients)
                print(json.dumps(found), flush=True)
                runs[clients].append(found)
    finally:
        postgres.close()
    medians = {
        clients: {
            key: statistics.median(run[key] for run in found) for key in found[0] if key not in ("load_1m", "clients")
        }
        for clients, found in runs.items()
    }
    summary: dict[str, Any] = {"rounds": args.rounds, "spans": args.spans, "median": medians}
    if len(counts) > 1:
        kinds = ["duckdb", "iceberg"] + (["baseline"] if args.baseline_src else [])
        best = {kind: max(medians[clients][kind] for clients in counts) for kind in kinds}
        summary["capacity_spans_per_s"] = best
        summary["capacity_iceberg_vs_duckdb"] = round(best["iceberg"] / best["duckdb"], 2)
        if args.baseline_src:
            summary["capacity_baseline_vs_duckdb"] = round(best["baseline"] / best["duckdb"], 2)
    print(json.dumps(summary, indent=2))


def _round(
    postgres: PostgresServer, bodies: list[bytes], args: argparse.Namespace, number: int, clients: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        found: dict[str, Any] = {"clients": clients}
        kinds = [("duckdb", None), ("iceberg", None)]
        if args.baseline_src:
            kinds.append(("baseline", args.baseline_src))
        for kind, source in kinds if number % 2 == 0 else list(reversed(kinds)):
            extra: list[str] = []
            if kind != "duckdb":
                dsn, warehouse = postgres.create_database(), (root / f"w-{kind}").as_uri()
                extra = ["--store", "iceberg", "--catalog-uri", dsn, "--warehouse", warehouse]
            result, server = ingest(root / kind, extra, bodies, clients, args.spans, source)
            server.terminate()
            found[kind] = result["spans_per_s"]
            found[f"{kind}_cpu_us_per_span"] = result["cpu_us_per_span"]
            found[f"{kind}_ack_p50_ms"] = result["ack_p50_ms"]
            found[f"{kind}_ack_p99_ms"] = result["ack_p99_ms"]
        found["iceberg_vs_duckdb"] = round(found["iceberg"] / found["duckdb"], 2)
        if args.baseline_src:
            found["baseline_vs_duckdb"] = round(found["baseline"] / found["duckdb"], 2)
        found["load_1m"] = round(os.getloadavg()[0], 1)
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--spans-per-request", type=int, default=512)
    parser.add_argument(
        "--rounds", type=int, default=0, help="ingest only: N rounds of DuckDB, Iceberg back to back; the ratios"
    )
    parser.add_argument(
        "--baseline-src", help="with --rounds: also an Iceberg receiver run from this checkout's src/ in each round"
    )
    parser.add_argument(
        "--sweep", help="with --rounds: client counts to run each round at (8,16,32), and each store's capacity"
    )
    args = parser.parse_args()
    if args.rounds:
        rounds(args)
        return
    bodies = [r.SerializeToString() for r in requests(args.spans, args.spans_per_request, **VARIANTS["3kb"])]
    ids = trace_ids(bodies)
    postgres = PostgresServer()
    report: dict[str, Any] = {"spans": args.spans, "requests": len(bodies), "clients": args.clients}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            duck, server = ingest(root / "duck", [], bodies, args.clients, args.spans)
            server.terminate()
            store = DuckDBStore(root / "duck" / "tracechat.duckdb")
            duck["read_trace"] = read_latencies(store, ids, args.reads)
            store.close()
            duck["disk_bytes_per_span"] = round(
                sum(p.stat().st_size for p in (root / "duck").glob("tracechat.duckdb*")) / args.spans
            )
            report["duckdb"] = duck

            dsn, warehouse = postgres.create_database(), (root / "warehouse").as_uri()
            extra = ["--store", "iceberg", "--catalog-uri", dsn, "--warehouse", warehouse]
            iceberg, server = ingest(root / "ice", extra, bodies, args.clients, args.spans)
            server.terminate()
            reader = IcebergStore(dsn, warehouse)
            iceberg["read_trace"] = read_latencies(reader, ids, args.reads)
            table = reader.catalog.load_table("tracechat.spans")
            iceberg["commits"] = len(table.metadata.snapshots)
            iceberg["spans_per_commit"] = round(args.spans / max(1, iceberg["commits"]))
            iceberg["data_files"] = len(list(table.scan().plan_files()))
            reader.close()
            iceberg["warehouse_bytes_per_span"] = round(directory_bytes(root / "warehouse") / args.spans)
            report["iceberg"] = iceberg
            report["iceberg_vs_duckdb_spans_per_s"] = round(iceberg["spans_per_s"] / duck["spans_per_s"], 2)

            commits_dsn = postgres.create_database()
            report["catalog_commits_per_s"] = {
                "one_writer": round(commit_rate(commits_dsn, (root / "c").as_uri(), 1), 1),
                "two_writers": round(commit_rate(commits_dsn, (root / "c").as_uri(), 2), 1),
            }
    finally:
        postgres.close()
    report["note"] = "measured on a shared 2-core machine with other jobs running; see docs/benchmarks.md"
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
