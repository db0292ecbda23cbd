"""Trajectory and list latency as the store grows: ``POST /agents/traces/chat`` for 50- and
500-span traces, and the first page of ``GET /agents/traces``, at several store sizes.

    .venv/bin/python bench/trajectory.py [--sizes 100000,1000000,10000000] [--rounds 2]
        [--data-dir DIR [--measure-only]]

The store is grown by committing one pool of realistic agent traces (bench/workload.py,
about 2.4 KB per span) again and again under new project names, so every copy is stored
(the dedupe key includes the project) without generating millions of new spans. Before
each growth step, 50 new probe traces of 50 spans and 5 of 500 spans are added, so the
probes are spread through the file; after it, the store is checkpointed (data compressed
as it rests), a real ``tracechat serve`` is started on it as a child process, and every
probe is read over HTTP from this process, each once per round: distinct traces, cold
reads, no ingest running.

``--data-dir`` keeps the grown store (and its probe ids, in ``probes.json``; how many copies
of the pool it holds, in ``growth.json``); with ``--measure-only`` a kept store is measured
again without growing it, to compare changes to the read path on the same file. Given a
kept store and larger ``--sizes``, the store grows on from where it stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers import ChildServer

from bench.proc import peak_rss_mb
from bench.workload import agent_trace, requests
from tracechat.ingest.flatten import flatten_traces
from tracechat.ingest.wire import span_slices
from tracechat.model.records import IngestBatch, SpanColumns
from tracechat.store.duck import DuckDBStore
from tracechat.store.protocol import SpanStore

POOL_SPANS = 100_000
NO_SEARCH_INDEX = {"TRACECHAT_SEARCH_INDEX": "0"}
"""The measured servers run without the full-text index: a server started on a grown store
would index every span's text in the background first (10k spans/s on this machine's two
cores: 1,000 s at 10M), and trajectory reads never use it."""
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


def probe(store: SpanStore, spans: int, seed: int) -> str:
    """One agent trace of ``spans`` spans in project 'probe'; returns its trace id."""
    import random

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    turns = (spans - 2) // 2
    trace = agent_trace(random.Random(seed), turns, message_words=6, start_ns=1_770_000_000_000_000_000 + seed)
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(trace)
    store.submit(flatten_traces(request, lambda resource: "probe").batch).result()
    return trace[0].trace_id.hex()


def set_nice(value: int) -> None:
    """Every thread of this process (DuckDB's too) at ``value``: Linux keeps a nice value
    per thread, so one call for the process would leave the store's threads as they were."""
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.setpriority(os.PRIO_PROCESS, int(tid), value)


def grow(store: DuckDBStore, batches: list[IngestBatch], copies: range) -> None:
    for copy in copies:
        pending = [store.submit(as_project(b, f"bench-{copy}")) for b in batches]
        for future in pending:
            future.result()


class Connection:
    """One keep-alive HTTP/1.1 connection from the standard library, so the figures are the
    server's: httpx adds about 0.7 ms of its own to each request (docs/benchmarks.md)."""

    def __init__(self, base_url: str) -> None:
        address = urlsplit(base_url)
        self._connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=60)

    def timed(self, method: str, path: str, body: dict[str, object] | None = None) -> float:
        """Milliseconds from sending the request to the last byte of a successful answer."""
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"content-type": "application/json"} if payload is not None else {}
        started = time.perf_counter()
        self._connection.request(method, path, body=payload, headers=headers)
        response = self._connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}")
        return elapsed

    def close(self) -> None:
        self._connection.close()


def summary(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2),
        "n": len(samples),
    }


def measure(server: ChildServer, probes: dict[int, list[str]], rounds: int) -> dict[str, object]:
    """Every probe trace read once per round (distinct traces: cold reads, as a user browsing)."""
    results: dict[str, object] = {}
    client = Connection(server.api)
    try:
        for size, trace_ids in probes.items():
            samples = [
                client.timed("POST", "/agents/traces/chat", {"project_id": "probe", "trace_id": trace_id})
                for _ in range(rounds)
                for trace_id in trace_ids
            ]
            results[f"trajectory_{size}_spans"] = summary(samples)
        pages = [client.timed("GET", "/agents/traces?project_id=bench-0&limit=50") for _ in range(100)]
        results["list_first_page"] = summary(pages)
    finally:
        client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--rounds", type=int, default=2, help="reads of every probe trace per measurement")
    parser.add_argument("--data-dir", type=Path, help="grow the store here and keep it (default: a temporary one)")
    parser.add_argument("--measure-only", action="store_true", help="measure the store kept in --data-dir as it is")
    args = parser.parse_args()
    if args.measure_only:
        if args.data_dir is None:
            parser.error("--measure-only needs --data-dir")
        print(json.dumps(measure_kept(args.data_dir, args.rounds), indent=2))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        report = grow_and_measure(args.data_dir, sizes, args.rounds)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            report = grow_and_measure(Path(scratch), sizes, args.rounds)
    print(json.dumps(report, indent=2))


Measure = Callable[[Path, dict[int, list[str]], int], dict[str, object]]


def grow_and_measure(
    root: Path, sizes: list[int], rounds: int, measure: Measure | None = None
) -> list[dict[str, object]]:
    """Grow the store in ``root`` to each size in turn and measure it there (by default over
    HTTP, ``measure_server``). A store kept in ``root`` grows on from the copies it holds."""
    measure = measure or measure_server
    batches = pool()
    per_copy = sum(len(b.spans) for b in batches)
    data_dir = root / "data"
    probes: dict[int, list[str]] = {50: [], 500: []}
    copies = 0
    if (root / "probes.json").exists() and (root / "growth.json").exists():
        probes = {int(size): ids for size, ids in json.loads((root / "probes.json").read_text()).items()}
        copies = int(json.loads((root / "growth.json").read_text())["copies"])
    report = []
    for size in sizes:
        if copies and round(size / per_copy) <= copies:
            continue  # the kept store already holds this size
        store = DuckDBStore(data_dir / "tracechat.duckdb")
        for n in range(50):
            probes[50].append(probe(store, 50, seed=len(probes[50]) + 1000 * copies + n))
        for n in range(5):
            probes[500].append(probe(store, 500, seed=len(probes[500]) + 1000 * copies + 500 + n))
        target = max(1, round(size / per_copy))
        # grown and checkpointed at nice 10 (the machine is shared), measured at the priority
        # the benchmark started with (lowering it again needs root; otherwise all stays niced)
        started_at = os.getpriority(os.PRIO_PROCESS, 0)
        set_nice(max(started_at, 10))
        started = time.perf_counter()
        grow(store, batches, range(copies, target))
        load_s = time.perf_counter() - started
        loaded = (target - copies) * per_copy
        copies = target
        spans = store.span_count()
        store.checkpoint()  # measure reads of compressed, checkpointed data
        store.close()
        set_nice(started_at)
        (root / "probes.json").write_text(json.dumps(probes))
        (root / "growth.json").write_text(json.dumps({"copies": copies, "store_spans": spans}))
        row: dict[str, object] = {
            "store_spans": spans,
            "load_spans_per_s": round(loaded / max(load_s, 1e-9)),
            "load_s": round(load_s),
        }
        row.update(measure(data_dir, probes, rounds))
        report.append(row)
        print(json.dumps(row), flush=True)
    return report


def measure_kept(root: Path, rounds: int) -> dict[str, object]:
    probes = {int(size): ids for size, ids in json.loads((root / "probes.json").read_text()).items()}
    return measure_server(root / "data", probes, rounds)


def measure_server(data_dir: Path, probes: dict[int, list[str]], rounds: int) -> dict[str, object]:
    """Start the real `tracechat serve` on the store and query it from this process."""
    server = ChildServer.start(data_dir, env=NO_SEARCH_INDEX)
    try:
        row = measure(server, probes, rounds)
        row["server_rss_mb"] = round(peak_rss_mb(server.process.pid))
    finally:
        server.terminate()
    row["file_mb"] = round((data_dir / "tracechat.duckdb").stat().st_size / 1e6)
    return row


if __name__ == "__main__":
    main()
