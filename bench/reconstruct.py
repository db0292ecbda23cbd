"""Reconstruction CPU per trace and per span: what a trajectory read costs in Python once
its spans are read from the store (decoding the payloads, normalizing them through the
conventions, the reading walk, encoding the response), timed with ``time.process_time`` so
that waiting for a shared machine's CPU is not counted.

    .venv/bin/python bench/reconstruct.py [--reps 20] [--profile] [--dump FILE | --compare FILE]
    .venv/bin/python bench/reconstruct.py --store DIR [--reps 3]   # a store kept by bench/trajectory.py

The traces: every sample trace (``sample_traces/``, real captures) and workload traces of
50 and 500 spans (``bench/workload.py``, the probes of ``bench/trajectory.py``), committed
to a DuckDB store in a temporary directory and read back once with ``read_trace``; the
timed part is what ``TraceQueries.trajectory`` and ``POST /agents/traces/chat`` do with
them afterwards. ``--profile`` runs the same under cProfile and prints where the time goes
(by module and by function). ``--dump`` writes every trajectory's response bytes;
``--compare`` checks a reader answers byte for byte what an earlier one dumped (run the
older one by ``PYTHONPATH=<its checkout>/src``).

``--store`` times the probe traces of a store that ``bench/trajectory.py --data-dir DIR``
grew and kept (``DIR/probes.json``), read from it each time (``fetch_ms``: ``read_trace``,
its SQL and its rows), in this process and without a server: what a read costs the server
in CPU, beside the HTTP figures of ``bench/trajectory.py``. The store is opened as the
server opens it (no verify pass, no text index) and only read; one process at a time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pickle
import pstats
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.samples import SAMPLES

from bench.workload import agent_trace
from tracechat.auth.keys import KeyRing
from tracechat.ingest.flatten import flatten_traces
from tracechat.ingest.loader import decode_request, find_request_files, load_paths_in_process
from tracechat.ingest.receiver import Receiver
from tracechat.metrics import Metrics
from tracechat.model.stored import StoredTrace
from tracechat.query.content import ContentRefs
from tracechat.query.service import trace_facts
from tracechat.query.trajectory import build_trajectory
from tracechat.store.duck import DuckDBStore

Traces = dict[str, list[tuple[str, StoredTrace]]]


def workload(store: DuckDBStore, spans: int, count: int) -> list[str]:
    """``count`` agent traces of ``spans`` spans (as ``bench/trajectory.py``'s probes; the
    seed, so the trace ids, differ by size)."""
    ids = []
    for seed in range(spans * 1000, spans * 1000 + count):
        trace = agent_trace(random.Random(seed), (spans - 2) // 2, message_words=6, start_ns=1_770_000_000 * 10**9)
        request = ExportTraceServiceRequest()
        request.resource_spans.add().scope_spans.add().spans.extend(trace)
        store.submit(flatten_traces(request, lambda resource: "probe").batch).result()
        ids.append(trace[0].trace_id.hex())
    return ids


def sample_ids() -> list[str]:
    ids: dict[str, None] = {}
    for file in find_request_files([SAMPLES]):
        request = decode_request(file)
        if isinstance(request, ExportTraceServiceRequest):
            for rs in request.resource_spans:
                for ss in rs.scope_spans:
                    ids.update((s.trace_id.hex(), None) for s in ss.spans)
    return sorted(ids)


def read_all(tmp: Path) -> Traces:
    store = DuckDBStore(tmp / "data" / "tracechat.duckdb", verify=False)
    try:
        load_paths_in_process(Receiver(store, KeyRing(tmp / "keys.json"), Metrics()), [SAMPLES])
        groups = {"samples": [("default", t) for t in sample_ids()]}
        groups["workload 50 spans"] = [("probe", t) for t in workload(store, 50, 20)]
        groups["workload 500 spans"] = [("probe", t) for t in workload(store, 500, 3)]
        traces: Traces = {}
        for group, keys in groups.items():
            read = [(t, store.read_trace(project, t)) for project, t in keys]
            traces[group] = [(t, stored) for t, stored in read if stored is not None and stored.spans]
        return traces
    finally:
        store.close()


def reconstruct(trace_id: str, stored: StoredTrace) -> bytes:
    """What ``TraceQueries.trajectory`` and the route do after ``read_trace``."""
    facts, _ = trace_facts(stored.spans, stored.logs)
    trajectory = build_trajectory(trace_id, facts, stored.root_span_name, ContentRefs(trace_id))
    return trajectory.model_dump_json().encode()


def phases(trace_id: str, stored: StoredTrace) -> tuple[float, float, float]:
    """CPU seconds of normalizing, reading and encoding one trace."""
    started = time.process_time()
    facts, _ = trace_facts(stored.spans, stored.logs)
    normalized = time.process_time()
    trajectory = build_trajectory(trace_id, facts, stored.root_span_name, ContentRefs(trace_id))
    read = time.process_time()
    trajectory.model_dump_json()
    return normalized - started, read - normalized, time.process_time() - read


def timing_store(root: Path, reps: int) -> dict[str, dict[str, float]]:
    """The probes of a kept ``bench/trajectory.py`` store, each read from the store again
    every time; CPU and wall-clock milliseconds of the fetch, CPU of all the rest."""
    probes = {int(size): ids for size, ids in json.loads((root / "probes.json").read_text()).items()}
    store = DuckDBStore(root / "data" / "tracechat.duckdb", verify=False)
    report: dict[str, dict[str, float]] = {}
    try:
        for size, trace_ids in probes.items():
            fetch_cpu = fetch_wall = rest = 0.0
            for _ in range(reps):
                for trace_id in trace_ids:
                    started, wall = time.process_time(), time.perf_counter()
                    stored = store.read_trace("probe", trace_id)
                    fetched = time.process_time()
                    fetch_wall += time.perf_counter() - wall
                    assert stored is not None
                    reconstruct(trace_id, stored)
                    rest += time.process_time() - fetched
                    fetch_cpu += fetched - started
            n = reps * len(trace_ids)
            report[f"store {size} spans"] = {
                "traces": len(trace_ids),
                "cpu_ms_per_trace": round((fetch_cpu + rest) / n * 1000, 3),
                "fetch_ms": round(fetch_cpu / n * 1000, 3),
                "fetch_wall_ms": round(fetch_wall / n * 1000, 3),
                "reconstruct_ms": round(rest / n * 1000, 3),
            }
    finally:
        store.close()
    return report


def timing(traces: Traces, reps: int) -> dict[str, dict[str, float]]:
    report: dict[str, dict[str, float]] = {}
    for group, items in traces.items():
        totals = [0.0, 0.0, 0.0]
        for _ in range(reps):
            for trace_id, stored in items:
                for i, seconds in enumerate(phases(trace_id, stored)):
                    totals[i] += seconds
        n = reps * len(items)
        spans = reps * sum(len(stored.spans) for _, stored in items)
        total = sum(totals)
        report[group] = {
            "traces": len(items),
            "cpu_ms_per_trace": round(total / n * 1000, 3),
            "normalize_ms": round(totals[0] / n * 1000, 3),
            "read_ms": round(totals[1] / n * 1000, 3),
            "encode_ms": round(totals[2] / n * 1000, 3),
            "cpu_us_per_span": round(total / spans * 1e6, 1),
        }
    return report


def profile(traces: Traces, reps: int, top: int) -> None:
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(reps):
        for items in traces.values():
            for trace_id, stored in items:
                reconstruct(trace_id, stored)
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_module: dict[str, float] = defaultdict(float)
    total = 0.0
    for (file, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_module[_module(file)] += tottime
        total += tottime
    print(f"total {total:.3f} s CPU; own time by module:")
    for module, seconds in sorted(by_module.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {seconds / total:6.1%}  {module}")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def _module(file: str) -> str:
    if "tracechat/" in file:
        return "tracechat/" + file.split("tracechat/", 1)[1]
    if file.startswith(("~", "<")):
        return "builtins"
    return file.rsplit("site-packages/", 1)[-1].split("/", 1)[0]


def dump(traces: Traces) -> dict[str, str]:
    return {trace_id: reconstruct(trace_id, stored).decode() for items in traces.values() for trace_id, stored in items}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=20, help="passes over every trace")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the passes instead")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dump", type=Path, help="write every trajectory's response bytes (JSON, by trace id)")
    parser.add_argument("--compare", type=Path, help="check the responses against a --dump of an earlier reader")
    parser.add_argument("--only", help="time only this group of traces (samples, 'workload 50 spans', …)")
    parser.add_argument("--cache", type=Path, help="keep the traces read in this file (pickle), to skip the store")
    parser.add_argument("--store", type=Path, help="time the probes of a store kept by bench/trajectory.py instead")
    args = parser.parse_args()
    if args.store is not None:
        gc.freeze()
        gc.set_threshold(10_000, 50, 100)
        print(json.dumps(timing_store(args.store, args.reps), indent=2))
        return
    if args.cache is not None and args.cache.exists():
        traces = pickle.loads(args.cache.read_bytes())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            traces = read_all(Path(tmp))
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps(traces))
    if args.only:
        traces = {args.only: traces[args.only]}
    gc.freeze()  # the server's collector settings (tracechat.app._tune_garbage_collector)
    gc.set_threshold(10_000, 50, 100)
    if args.dump or args.compare:
        found = dump(traces)
        if args.dump:
            args.dump.write_text(json.dumps(found, indent=0, sort_keys=True))
        if args.compare:
            sys.exit(_compare(json.loads(args.compare.read_text()), found))
        return
    run: Callable[[], object] = (
        (lambda: profile(traces, args.reps, args.top)) if args.profile else (lambda: timing(traces, args.reps))
    )
    result = run()
    if result is not None:
        print(json.dumps(result, indent=2))


def _compare(before: dict[str, str], now: dict[str, str]) -> int:
    differ = sorted(t for t in before.keys() | now.keys() if before.get(t) != now.get(t))
    for trace_id in differ:
        print(f"{trace_id}: differs")
    print(f"{len(now) - len(differ)} of {len(before.keys() | now.keys())} trajectories byte-identical")
    return 1 if differ else 0


if __name__ == "__main__":
    main()
