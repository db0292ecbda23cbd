"""What the Iceberg store's full-text index costs at ingest: the same requests through one
``tracechat serve --store iceberg`` node (``--role all``: it receives and runs a text indexer)
with ``TRACECHAT_SEARCH_INDEX=0`` and with it on (text queued by the index transaction,
indexed after the ack by the node's indexer into PostgreSQL's ``tracechat_texts``), each on
a fresh catalog: spans/s, the acknowledgement, the server's CPU per span (and its text
worker's), how long after the last acknowledgement all text was searchable; then the text
index's size and the time of a search through a store opened in this process; then, with
``--freshness-rates``, how soon an acknowledged span is searchable while a steady load runs
(``bench/search.py``'s probes: a trace with a word of its own every half second, looked for
every 50 ms from its acknowledgement).

    .venv/bin/python bench/iceberg_search.py [--spans 20000] [--clients 8] [--searches 50]
        [--freshness-rates 1000,2000 --freshness-seconds 15]
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
from bench.ingest import VARIANTS, build
from bench.proc import tree_cpu_seconds
from bench.workload import requests
from tracechat.model.summaries import TraceFilter
from tracechat.store.iceberg.fulltext import TEXTS
from tracechat.store.iceberg.store import IcebergStore

WORDS = ("weather", "refund policy", '"shipping address"', "invoice", "customer pending")


def _serve(root: Path, dsn: str, search: bool, role: str = "all") -> ChildServer:
    warehouse = (root / "warehouse").as_uri()
    extra = ["--store", "iceberg", "--catalog-uri", dsn, "--warehouse", warehouse, "--role", role]
    return ChildServer.start(root / "node", *extra, env={"TRACECHAT_SEARCH_INDEX": "1" if search else "0"})


def run(
    root: Path, dsn: str, bodies: list[bytes], clients: int, spans: int, search: bool, role: str = "all"
) -> dict[str, Any]:
    """``role="ingest"``: the node indexes no text; a store opened here (as a query node
    would) indexes it after the last acknowledgement."""
    server = _serve(root, dsn, search, role)
    watcher = IcebergStore(dsn, (root / "warehouse").as_uri(), writes=False, text_indexer=False)
    try:
        own, spawned = tree_cpu_seconds(server.process.pid)
        elapsed, latencies = send(server.grpc_endpoint, bodies, clients)
        acked = time.perf_counter()
        own_acked, _ = tree_cpu_seconds(server.process.pid)
        if role == "ingest" and search:
            watcher.close()
            watcher = IcebergStore(dsn, (root / "warehouse").as_uri(), writes=False)
        assert watcher.wait_searchable(900), "the text index did not catch up"
        caught_up = time.perf_counter() - acked
        own_done, spawned_done = tree_cpu_seconds(server.process.pid)
    finally:
        watcher.close()
        server.terminate()
    return {
        "spans_per_s": round(spans / elapsed),
        "ack_p50_ms": round(_percentile(latencies, 0.5) * 1000),
        "ack_p99_ms": round(_percentile(latencies, 0.99) * 1000),
        "server_cpu_us_per_span_until_last_ack": round((own_acked - own) / spans * 1e6),
        "server_cpu_us_per_span_in_all": round((own_done - own) / spans * 1e6),
        "text_worker_cpu_us_per_span": round((spawned_done - spawned) / spans * 1e6),
        "text_searchable_after_last_ack_s": round(caught_up, 2),
    }


def freshness(root: Path, postgres: PostgresServer, rates: list[int], seconds: float) -> list[dict[str, Any]]:
    from bench.search import steady

    bodies = build(int(max(rates) * seconds * 1.2) + 1, "3kb", 512)
    found = []
    for rate in rates:
        server = _serve(root / f"fresh-{rate}", postgres.create_database(), search=True)
        try:
            found.append({"target_spans_per_s": rate, **steady(server, bodies, rate, seconds)})
        finally:
            server.terminate()
        print(json.dumps(found[-1]), file=sys.stderr, flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--searches", type=int, default=50)
    parser.add_argument("--spans-per-request", type=int, default=512)
    parser.add_argument("--freshness-rates", default="", help="spans/s, comma-separated (none: skipped)")
    parser.add_argument("--freshness-seconds", type=float, default=15.0)
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
            ingest = postgres.create_database()
            report["search_on_role_ingest"] = run(
                root / "ingest", ingest, bodies, args.clients, args.spans, search=True, role="ingest"
            )
            for name in ("search_on", "search_on_role_ingest"):
                report[f"{name}_vs_off_spans_per_s"] = round(
                    report[name]["spans_per_s"] / report["search_off"]["spans_per_s"], 2
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
            if args.freshness_rates:
                rates = [int(rate) for rate in args.freshness_rates.split(",")]
                report["freshness"] = freshness(root, postgres, rates, args.freshness_seconds)
    finally:
        postgres.close()
    report["note"] = "measured on a shared 2-core machine with other jobs running; see docs/benchmarks.md"
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
