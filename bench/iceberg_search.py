"""What the Iceberg store's full-text index costs at ingest: the same requests through one
``tracechat serve --store iceberg`` receiver with ``TRACECHAT_SEARCH_INDEX=0`` and with it on
(text read in the worker process while the Iceberg commit runs, written to PostgreSQL's
``tracechat_texts`` in the trace index's transaction), each on a fresh catalog; then the
text index's size and the time of a search through a store opened in this process.

    .venv/bin/python bench/iceberg_search.py [--spans 20000] [--clients 8] [--searches 50]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.postgres import PostgresServer
from tests.servers import ChildServer

from bench.iceberg import _percentile, send
from bench.ingest import VARIANTS
from bench.workload import requests
from tracechat.model.summaries import TraceFilter
from tracechat.store.iceberg.fulltext import TEXTS
from tracechat.store.iceberg.store import IcebergStore

WORDS = ("weather", "refund policy", '"shipping address"', "invoice", "customer pending")


def run(root: Path, dsn: str, bodies: list[bytes], clients: int, spans: int, search: bool) -> dict[str, Any]:
    warehouse = (root / "warehouse").as_uri()
    extra = ["--store", "iceberg", "--catalog-uri", dsn, "--warehouse", warehouse]
    server = ChildServer.start(root / "node", *extra, env={"TRACECHAT_SEARCH_INDEX": "1" if search else "0"})
    try:
        elapsed, latencies = send(server.grpc_endpoint, bodies, clients)
    finally:
        server.terminate()
    return {
        "spans_per_s": round(spans / elapsed),
        "ack_p50_ms": round(_percentile(latencies, 0.5) * 1000),
        "ack_p99_ms": round(_percentile(latencies, 0.99) * 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--searches", type=int, default=50)
    parser.add_argument("--spans-per-request", type=int, default=512)
    args = parser.parse_args()
    bodies = [r.SerializeToString() for r in requests(args.spans, args.spans_per_request, **VARIANTS["3kb"])]
    postgres = PostgresServer()
    report: dict[str, Any] = {"spans": args.spans, "requests": len(bodies), "clients": args.clients}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            off = postgres.create_database()
            report["search_off"] = run(root / "off", off, bodies, args.clients, args.spans, search=False)
            on = postgres.create_database()
            report["search_on"] = run(root / "on", on, bodies, args.clients, args.spans, search=True)
            report["on_vs_off_spans_per_s"] = round(
                report["search_on"]["spans_per_s"] / report["search_off"]["spans_per_s"], 2
            )
            with psycopg.connect(on) as con:
                found = con.execute(f"SELECT count(*), pg_total_relation_size('{TEXTS}') FROM {TEXTS}").fetchone()
            assert found is not None
            report["text_rows"], size = found
            report["text_index_bytes_per_span"] = round(size / args.spans)
            store = IcebergStore(on, (root / "on" / "warehouse").as_uri(), writes=False)
            try:
                times = []
                for n in range(args.searches):
                    started = time.perf_counter()
                    _, total = store.list_traces("default", TraceFilter(text=WORDS[n % len(WORDS)]), 50, 0)
                    times.append(time.perf_counter() - started)
                report["search_list_p50_ms"] = round(_percentile(times, 0.5) * 1000, 1)
                report["search_list_p99_ms"] = round(_percentile(times, 0.99) * 1000, 1)
                report["last_search_total"] = total
            finally:
                store.close()
    finally:
        postgres.close()
    report["note"] = "measured on a shared 2-core machine with other jobs running; see docs/benchmarks.md"
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
