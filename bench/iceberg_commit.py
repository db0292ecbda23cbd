"""The Iceberg store's group commit in one process, no HTTP: CPU per span, by thread.

    .venv/bin/python bench/iceberg_commit.py [--spans 30000] [--group 6] [--reads 300]
    .venv/bin/python bench/iceberg_commit.py --rounds 4 --baseline-src /tmp/before/src

``bench.workload``'s 3 KB traces (512 spans a request, as ``bench/iceberg.py`` sends them)
are decoded, flattened and staged before the clock starts; then ``IcebergStore._commit``
(what the store's writer thread runs) commits them in groups of ``--group`` requests, as a
saturated receiver groups them, from this process's main thread, against a throwaway
PostgreSQL (``tests.postgres``, Debian's ``postgresql``) for catalog and trace index and a
local warehouse. serve's garbage-collector and GIL switch-interval settings apply. The first
group is a warm-up (tables created, plans made) and is not counted.

Reported per span: the process's CPU (``time.process_time``), the committing thread's
(``time.thread_time``), the Parquet writer threads' and the rest (native threads: DuckDB's,
Arrow's, psycopg's), read from ``/proc/self/task`` by each thread's native id; wall time;
the warehouse's bytes. With ``--rounds N --baseline-src SRC`` it runs itself N times from
this checkout's ``src`` and N times from ``SRC``, alternating (order flipped every round),
each in a fresh process and PostgreSQL, and prints both and their medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("PYTHONPATH"):  # this checkout's code, not whatever the venv installed
    sys.path.insert(0, str(ROOT / "src"))
import tracechat  # noqa: E402,F401  (first: it picks Arrow's allocator before pyarrow loads, as in serve)

_TICK = os.sysconf("SC_CLK_TCK")


def _task_seconds() -> dict[int, float]:
    """CPU seconds of every thread of this process, by native id."""
    found: dict[int, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(task.name)] = (int(fields[11]) + int(fields[12])) / _TICK
    return found


def _parquet_ids() -> set[int]:
    return {t.native_id for t in threading.enumerate() if t.name.startswith("tracechat-parquet") and t.native_id}


def _directory_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def once(args: argparse.Namespace) -> dict[str, Any]:
    import pyarrow
    from tests.postgres import PostgresServer

    from bench.iceberg import read_latencies, trace_ids
    from bench.ingest import VARIANTS
    from bench.workload import requests
    from tracechat.app import _tune_garbage_collector
    from tracechat.ingest.flatten import flatten_traces
    from tracechat.store.iceberg.store import IcebergStore
    from tracechat.store.staging import stage

    sent = list(requests(args.spans, args.spans_per_request, **VARIANTS["3kb"]))
    staged = [stage(flatten_traces(r, lambda _resource: "default").batch) for r in sent]
    groups = [staged[i : i + args.group] for i in range(0, len(staged), args.group)]
    warm, counted = groups[0], groups[1:]
    spans = sum(s.spans.num_rows for g in counted for s in g if s.spans is not None)
    postgres = PostgresServer()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            warehouse = Path(scratch) / "warehouse"
            store = IcebergStore(postgres.create_database(), warehouse.as_uri(), search=False, writes=False)
            try:
                _tune_garbage_collector()
                store._commit(warm)
                bytes_before = _directory_bytes(warehouse)
                tasks_before = _task_seconds()
                main_id = threading.get_native_id()
                process, thread, wall = time.process_time(), time.thread_time(), time.perf_counter()
                for group in counted:
                    store._commit(group)
                wall = time.perf_counter() - wall
                thread = time.thread_time() - thread
                process = time.process_time() - process
                tasks = _task_seconds()
                parquet_ids = _parquet_ids()
                stored = _directory_bytes(warehouse) - bytes_before
                reads = {}
                if args.reads:  # what the layout costs a read: random traces, through this store
                    reads = read_latencies(store, trace_ids([r.SerializeToString() for r in sent]), args.reads)
            finally:
                store.close()
    finally:
        postgres.close()
    grown = {tid: seconds - tasks_before.get(tid, 0.0) for tid, seconds in tasks.items()}
    parquet = sum(s for tid, s in grown.items() if tid in parquet_ids)
    other = sum(s for tid, s in grown.items() if tid not in parquet_ids and tid != main_id)

    def per_span(seconds: float) -> float:
        return round(seconds / spans * 1e6, 1)

    return {
        "spans": spans,
        "commits": len(counted),
        "cpu_us_per_span": per_span(process),
        "committer_us_per_span": per_span(thread),
        "parquet_threads_us_per_span": per_span(parquet),
        "parquet_threads": len(parquet_ids),
        "other_threads_us_per_span": per_span(other),
        "wall_us_per_span": per_span(wall),
        "bytes_per_span": round(stored / spans),
        "load_1m": round(os.getloadavg()[0], 1),
        "arrow_pool": pyarrow.default_memory_pool().backend_name,
        **{f"read_trace_{key}": value for key, value in reads.items()},
    }


def compare(args: argparse.Namespace) -> None:
    """Alternating child runs of this checkout's ``src`` and ``--baseline-src``."""
    kinds = [("now", str(ROOT / "src")), ("baseline", args.baseline_src)]
    command = [sys.executable, __file__, "--spans", str(args.spans), "--group", str(args.group)]
    command += ["--spans-per-request", str(args.spans_per_request), "--reads", str(args.reads)]
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind, _ in kinds}
    for number in range(args.rounds):
        for kind, source in kinds if number % 2 == 0 else list(reversed(kinds)):
            env = {**os.environ, "PYTHONPATH": source}
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            runs[kind].append(result)
            print(json.dumps({"round": number + 1, "kind": kind, **result}), flush=True)
    median = {kind: {key: statistics.median(r[key] for r in found) for key in found[0]} for kind, found in runs.items()}
    print(json.dumps({"rounds": args.rounds, "median": median}, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=30_000)
    parser.add_argument("--spans-per-request", type=int, default=512)
    parser.add_argument("--group", type=int, default=6, help="requests per group commit")
    parser.add_argument("--reads", type=int, default=0, help="then time read_trace of this many random traces")
    parser.add_argument("--rounds", type=int, default=0, help="with --baseline-src: child runs of each, alternated")
    parser.add_argument("--baseline-src", help="another checkout's src/ to compare with")
    args = parser.parse_args()
    if args.rounds and args.baseline_src:
        compare(args)
        return
    print(json.dumps(once(args)))


if __name__ == "__main__":
    main()
