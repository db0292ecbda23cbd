"""The API server's own cost per request, where the read itself is next to nothing: a real
``tracechat serve`` on a DuckDB store holding one 2-span trace, read over one keep-alive
connection by one client thread.

    .venv/bin/python bench/overhead.py [--requests 2000] [--rounds 3] [--src DIR ...]

Measured per route: ``GET /healthz`` (no middleware work past the headers), ``POST
/agents/traces/chat`` of the 2-span trace and ``GET /agents/traces/{id}/spans`` (both through
ReadCapacity, BodyLimit, SecurityHeaders, the strict route and a worker thread). For each,
the wall time of every request (median and p99, client side) and the server's CPU per request
(user + system of the server process, from /proc, over all the requests of the route).

``--src`` names one or more ``src`` directories (default: the one this tracechat comes
from); each round starts one server per directory, in turn, so versions are compared in
the same minutes of a shared machine. The figures of a version are the medians over its
rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers import ChildServer

import tracechat
from bench.proc import cpu_seconds
from bench.trajectory import Connection
from bench.workload import agent_trace
from tracechat.ingest.flatten import flatten_traces
from tracechat.store.duck import DuckDBStore

PROJECT = "overhead"
ENV = {"TRACECHAT_SEARCH_INDEX": "0", "TRACECHAT_VERIFY_STORE": "0"}


def tiny_store(data_dir: Path) -> str:
    """A store of one trace: an agent span and one chat span. Returns its trace id."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    trace = agent_trace(random.Random(7), turns=0, message_words=6, start_ns=1_770_000_000_000_000_000)
    assert len(trace) == 2
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(trace)
    store = DuckDBStore(data_dir / "tracechat.duckdb")
    try:
        store.submit(flatten_traces(request, lambda resource: PROJECT).batch).result()
        store.checkpoint()
    finally:
        store.close()
    return trace[0].trace_id.hex()


def routes(trace_id: str) -> dict[str, tuple[str, str, dict[str, object] | None]]:
    return {
        "healthz": ("GET", "/healthz", None),
        "trajectory_2_spans": ("POST", "/agents/traces/chat", {"project_id": PROJECT, "trace_id": trace_id}),
        "spans_2_spans": ("GET", f"/agents/traces/{trace_id}/spans?project_id={PROJECT}", None),
    }


def measure(data_dir: Path, src: Path, trace_id: str, count: int) -> dict[str, dict[str, float]]:
    env = {**ENV, "PYTHONPATH": str(src)}
    server = ChildServer.start(data_dir, env=env)
    pid = server.process.pid
    client = Connection(server.api)
    results: dict[str, dict[str, float]] = {}
    try:
        for name, (method, path, body) in routes(trace_id).items():
            for _ in range(50):  # warm: first requests import and compile
                client.timed(method, path, body)
            time.sleep(0.2)
            cpu_before = cpu_seconds(pid)
            samples = [client.timed(method, path, body) for _ in range(count)]
            cpu = cpu_seconds(pid) - cpu_before
            samples.sort()
            results[name] = {
                "wall_p50_ms": statistics.median(samples),
                "wall_p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
                "server_cpu_ms": cpu * 1000 / count,
            }
    finally:
        client.close()
        server.terminate()
    return results


def combined(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, object]]:
    """Per route and figure: the median over the rounds, and every round's value."""
    out: dict[str, dict[str, object]] = {}
    for name in runs[0]:
        row: dict[str, object] = {}
        for figure in runs[0][name]:
            values = [run[name][figure] for run in runs]
            row[figure] = round(statistics.median(values), 3)
            row[figure + "_runs"] = [round(v, 3) for v in values]
        out[name] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per route per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--src", type=Path, nargs="+", help="src directories to compare (default: this tracechat's)")
    args = parser.parse_args()
    sources = [s.resolve() for s in args.src] if args.src else [Path(tracechat.__file__).resolve().parents[1]]
    runs: dict[Path, list[dict[str, dict[str, float]]]] = {src: [] for src in sources}
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "data"
        data_dir.mkdir()
        trace_id = tiny_store(data_dir)
        for _ in range(args.rounds):
            for src in sources:
                runs[src].append(measure(data_dir, src, trace_id, args.requests))
    report = {
        "requests_per_route": args.requests,
        "rounds": args.rounds,
        "load_average": os.getloadavg()[0],
        "versions": {str(src): combined(results) for src, results in runs.items()},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
