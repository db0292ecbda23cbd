"""Ingest during an export while serving: a real ``tracechat serve`` holding a large store
takes OTLP/gRPC spans from concurrent clients, first alone, then while it writes the
store's Parquet export (``POST /admin/exports``, a snapshot read in a worker thread).

    .venv/bin/python bench/export_live.py [--store-spans 1000000] [--spans 50000] [--clients 4]

Reports the store's size, the export's duration and rows, and ingest spans/s (first send to
last acknowledgement) without and during the export, each of the fresh spans committed
(acknowledged only after commit).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers import ChildServer

from bench.ingest import send_all
from bench.workload import requests

WORKLOAD = {"turns": 8, "message_words": 66}  # the ingest benchmark's 3 KB spans


def bodies(spans: int, seed: int) -> Iterator[bytes]:
    for request in requests(spans, 512, seed=seed, **WORKLOAD):
        yield request.SerializeToString()


def fill(endpoint: str, spans: int, clients: int) -> None:
    """Fill the store in slices, so the requests never all sit in memory."""
    slice_spans = 100_000
    for n, start in enumerate(range(0, spans, slice_spans)):
        send_all(endpoint, list(bodies(min(slice_spans, spans - start), seed=1000 + n)), clients)
        print(f"  filled {min(start + slice_spans, spans):,} spans", file=sys.stderr, flush=True)


def export_while(api: str, work: threading.Thread) -> dict[str, object]:
    job = httpx.post(f"{api}/admin/exports", json={"name": "bench"}, timeout=60).json()
    started = time.perf_counter()
    work.start()
    while job["status"] == "running":
        time.sleep(0.1)
        job = httpx.get(f"{api}/admin/exports/{job['id']}", timeout=60).json()
    seconds = time.perf_counter() - started
    work.join()
    return {"export_s": round(seconds, 1), "status": job["status"], "rows": job["spans"] + job["log_records"]}


def run(store_spans: int, spans: int, clients: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "data"
        server = ChildServer.start(data_dir, env={"TRACECHAT_SEARCH_INDEX": "0"})
        try:
            fill(server.grpc_endpoint, store_spans, clients)
            alone = list(bodies(spans, seed=1))
            during = list(bodies(spans, seed=2))
            baseline = send_all(server.grpc_endpoint, alone, clients)
            timing: dict[str, float] = {}
            work = threading.Thread(
                target=lambda: timing.__setitem__("s", send_all(server.grpc_endpoint, during, clients))
            )
            exported = export_while(server.api, work)
            db_mb = sum(p.stat().st_size for p in data_dir.glob("tracechat.duckdb*")) / 1e6
        finally:
            server.terminate()
    return {
        "store_spans": store_spans,
        "store_mb": round(db_mb),
        "ingest_spans": spans,
        "clients": clients,
        "spans_per_s_alone": round(spans / baseline),
        "spans_per_s_during_export": round(spans / timing["s"]),
        "ingest_during_export_s": round(timing["s"], 1),
        **exported,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store-spans", type=int, default=1_000_000)
    parser.add_argument("--spans", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    print(json.dumps(run(args.store_spans, args.spans, args.clients), indent=2))


if __name__ == "__main__":
    main()
