"""Ingest throughput: realistic GenAI agent traces sent over OTLP/gRPC by concurrent clients
to a real ``tracechat serve``, acknowledged only after commit.

    .venv/bin/python bench/ingest.py [--spans 50000] [--variant 3kb|30kb] [--clients 8] [--repeat 3]
        [--no-search]

Reports spans/s and MB/s from the first send to the last acknowledgement (every span then
committed), the parse-only floor (``ExportTraceServiceRequest.FromString`` on the same
requests in one process), the server's peak RSS and the bytes on disk per span (the
DuckDB file; the full-text index apart). With the full-text index on (the default), also
how long after the last acknowledgement its text was all searchable and the index's size;
``--no-search`` runs the server without the index, for comparison.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers import ChildServer

from bench.proc import peak_rss_mb
from bench.workload import requests

VARIANTS = {"3kb": {"turns": 8, "message_words": 66}, "30kb": {"turns": 8, "message_words": 1350}}
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def build(total: int, variant: str, per_request: int) -> list[bytes]:
    return [r.SerializeToString() for r in requests(total, per_request, **VARIANTS[variant])]


def parse_floor(bodies: list[bytes]) -> tuple[float, float]:
    """Seconds to parse every request; and to parse and visit every span (reading its ids),
    the least any Python receiver must do."""
    started = time.perf_counter()
    for body in bodies:
        ExportTraceServiceRequest.FromString(body)
    parsed = time.perf_counter() - started
    started = time.perf_counter()
    for body in bodies:
        for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    span.trace_id.hex()
    return parsed, time.perf_counter() - started


def send_all(endpoint: str, bodies: list[bytes], clients: int) -> float:
    options = [("grpc.max_send_message_length", 1 << 30)]
    channels = [grpc.insecure_channel(endpoint, options=options) for _ in range(clients)]
    calls = [channel.unary_unary(EXPORT) for channel in channels]
    for call in calls:  # connect before the clock starts
        call(b"", timeout=30)
    cursor = iter(range(len(bodies)))
    lock = threading.Lock()

    def client(call: grpc.UnaryUnaryMultiCallable) -> None:
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            call(bodies[index], timeout=300)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client, call) for call in calls]:
            future.result()
    elapsed = time.perf_counter() - started
    for channel in channels:
        channel.close()
    return elapsed


def search_lag(api: str) -> int:
    """Commits the server's full-text index has not made searchable yet."""
    metrics = httpx.get(f"{api}/metrics", timeout=30).text
    found = re.search(r"^tracechat_search_lag_batches (\S+)$", metrics, re.MULTILINE)
    return int(float(found.group(1))) if found else 0


def wait_searchable(api: str, timeout: float = 600) -> float:
    """Seconds until the index has caught up with every commit."""
    started = time.perf_counter()
    while search_lag(api) and time.perf_counter() - started < timeout:
        time.sleep(0.02)
    return time.perf_counter() - started


def directory_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def once(bodies: list[bytes], clients: int, search: bool) -> tuple[float, float, int, float, int]:
    """(seconds, server peak RSS MB, bytes on disk, seconds from the last acknowledgement
    until the text was searchable, search index bytes) of one run into a fresh store."""
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "data"
        server = ChildServer.start(data_dir, env={"TRACECHAT_SEARCH_INDEX": "1" if search else "0"})
        elapsed = send_all(server.grpc_endpoint, bodies, clients)
        searchable = wait_searchable(server.api) if search else 0.0
        rss = peak_rss_mb(server.process.pid)
        server.terminate()
        disk = sum(p.stat().st_size for p in data_dir.glob("tracechat.duckdb*"))
        index = directory_bytes(data_dir / "search") if search else 0
    return elapsed, rss, disk, searchable, index


def run(total: int, variant: str, clients: int, per_request: int, repeat: int, search: bool) -> dict[str, object]:
    bodies = build(total, variant, per_request)
    spans = sum(
        len(ss.spans)
        for b in bodies
        for rs in ExportTraceServiceRequest.FromString(b).resource_spans
        for ss in rs.scope_spans
    )
    megabytes = sum(len(b) for b in bodies) / 1e6
    parse_only, parse_and_visit = parse_floor(bodies)
    runs = sorted(once(bodies, clients, search) for _ in range(repeat))
    elapsed, rss, disk, searchable, index = runs[len(runs) // 2]
    return {
        "variant": variant,
        "search_index": search,
        "requests": len(bodies),
        "spans": spans,
        "request_mb": round(megabytes, 1),
        "bytes_per_span_sent": round(megabytes * 1e6 / spans),
        "clients": clients,
        "seconds": round(elapsed, 2),
        "spans_per_s": round(spans / elapsed),
        "mb_per_s": round(megabytes / elapsed, 1),
        "all_runs_spans_per_s": [round(spans / r[0]) for r in runs],
        "parse_floor_spans_per_s": round(spans / parse_only),
        "parse_floor_mb_per_s": round(megabytes / parse_only, 1),
        "parse_and_visit_spans_per_s": round(spans / parse_and_visit),
        "server_peak_rss_mb": round(rss),
        "disk_bytes_per_span": round(disk / spans),
        "searchable_after_last_ack_s": round(searchable, 2),
        "all_runs_searchable_after_s": [round(r[3], 2) for r in runs],
        "search_index_bytes_per_span": round(index / spans),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=50_000)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="3kb")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="runs into fresh stores; the median is reported")
    parser.add_argument("--spans-per-request", type=int, default=512)
    parser.add_argument("--no-search", action="store_true", help="run the server without the full-text index")
    args = parser.parse_args()
    report = run(args.spans, args.variant, args.clients, args.spans_per_request, args.repeat, not args.no_search)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
