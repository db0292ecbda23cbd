"""Full-text search: how fast ``GET /agents/traces?q=`` answers from a large store, and how
soon an acknowledged span is searchable while ingest runs at a steady rate.

    .venv/bin/python bench/search.py lookup [--spans 1000000] [--rounds 2] [--data-dir DIR [--measure-only]]
    .venv/bin/python bench/search.py freshness [--rates 2000,5000,10000,20000] [--seconds 15]

``lookup`` grows one project to ``--spans`` spans of realistic agent traces
(bench/workload.py: copies of one pool of traces under new trace ids, so the vocabulary
is small and a common word matches nearly every trace: the worst case of a text search)
with 50 probe traces spread through it, each saying one rare word. The store is opened with
its search index, so the index is built as the store grows; then it is checkpointed, a
real ``tracechat serve`` is started on it and each query is timed over one keep-alive
connection. ``freshness`` starts a fresh server, sends workload requests over OTLP/gRPC at
each rate and, every half second, one small trace with a word of its own; from that
trace's acknowledgement, it asks ``q`` every 50 ms until the trace is found.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import grpc
import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers import ChildServer

from bench.ingest import EXPORT, build
from bench.proc import peak_rss_mb
from bench.trajectory import Connection, pool, summary
from tracechat.ingest.flatten import flatten_traces
from tracechat.model.records import IngestBatch, SpanColumns
from tracechat.store.duck import DuckDBStore

PROJECT = "bench"
PROBES = 50


def probe_request(word: str, start_ns: int) -> ExportTraceServiceRequest:
    """One trace (an agent span and a model call) whose question says ``word``."""
    trace_id = uuid.uuid4().bytes
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    resource.resource.attributes.add(key="tracechat.project", value=AnyValue(string_value=PROJECT))
    spans = resource.scope_spans.add().spans
    root = Span(trace_id=trace_id, span_id=uuid.uuid4().bytes[:8], name="invoke_agent researcher")
    root.start_time_unix_nano, root.end_time_unix_nano = start_ns, start_ns + 2_000_000_000
    question = json.dumps([{"role": "user", "parts": [{"type": "text", "content": f"What do we know of {word}?"}]}])
    chat = Span(trace_id=trace_id, span_id=uuid.uuid4().bytes[:8], parent_span_id=root.span_id, name="chat gpt-4o")
    chat.start_time_unix_nano, chat.end_time_unix_nano = start_ns + 1, start_ns + 1_000_000_000
    chat.attributes.extend(
        [
            KeyValue(key="gen_ai.operation.name", value=AnyValue(string_value="chat")),
            KeyValue(key="gen_ai.input.messages", value=AnyValue(string_value=question)),
        ]
    )
    root.attributes.add(key="gen_ai.agent.name", value=AnyValue(string_value="researcher"))
    spans.extend([chat, root])
    return request


def as_copy(batch: IngestBatch, copy: int) -> IngestBatch:
    """The pool's spans under new trace ids, all in one project (the dedupe key is
    project, trace and span: every copy is stored)."""
    prefix = f"{copy:08x}"
    spans: SpanColumns = replace(
        batch.spans,
        project=[PROJECT] * len(batch.spans),
        trace_id=[prefix + trace_id[8:] for trace_id in batch.spans.trace_id],
    )
    return IngestBatch(spans=spans, scopes=batch.scopes, size_bytes=batch.size_bytes)


def grow(data_dir: Path, spans: int) -> tuple[list[str], dict[str, float]]:
    """The store of ``spans`` spans with its index; the probe words and the build figures."""
    batches = pool()
    per_copy = sum(len(b.spans) for b in batches)
    copies = max(1, round(spans / per_copy))
    store = DuckDBStore(data_dir / "tracechat.duckdb", search_dir=data_dir / "search")
    words: list[str] = []
    started = time.perf_counter()
    for copy in range(copies):
        for _ in range(max(1, PROBES // copies) if copy < PROBES else 0):
            words.append("probe" + uuid.uuid4().hex[:10])
            request = probe_request(words[-1], 1_770_000_000_000_000_000 + len(words))
            store.submit(flatten_traces(request, lambda resource: PROJECT).batch).result()
        for future in [store.submit(as_copy(b, copy)) for b in batches]:
            future.result()
    loaded = time.perf_counter() - started
    if not store.wait_searchable(7200):
        raise RuntimeError("the index did not catch up")
    indexed = time.perf_counter() - started
    total = store.span_count()
    store.checkpoint()
    store.close()
    figures = {
        "store_spans": total,
        "load_spans_per_s": round(total / loaded),
        "indexed_spans_per_s": round(total / indexed),
        "search_index_bytes_per_span": round(_bytes(data_dir / "search") / total),
        "duckdb_bytes_per_span": round((data_dir / "tracechat.duckdb").stat().st_size / total),
    }
    return words, figures


def _bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def lookups(data_dir: Path, words: list[str], rounds: int) -> dict[str, object]:
    server = ChildServer.start(data_dir)
    client = Connection(server.api)
    base = f"/agents/traces?project_id={PROJECT}&limit=50"
    queries = {
        "rare_word": [f"{base}&q={w}" for w in words] * rounds,
        "rare_word_since": [f"{base}&q={w}&since=2026-01-01T00:00:00Z" for w in words] * rounds,
        "common_word": [f"{base}&q=invoice"] * 20,
        "two_common_words": [f"{base}&q=refund+policy"] * 20,
        "agent_name_only": [f"{base}&q=researcher"] * 20,
        "no_q": [base] * 20,
    }
    try:
        found = httpx.get(f"{server.api}{queries['rare_word'][0]}", timeout=60).json()
        if found["total"] != 1 or not found["traces"][0]["matches"]:
            raise RuntimeError(f"a probe was not found: {found}")
        row: dict[str, object] = {name: summary([client.timed("GET", q) for q in qs]) for name, qs in queries.items()}
        row["server_rss_mb"] = round(peak_rss_mb(server.process.pid))
    finally:
        client.close()
        server.terminate()
    return row


def lookup(args: argparse.Namespace) -> dict[str, object]:
    if args.measure_only:
        words = json.loads((args.data_dir / "words.json").read_text())
        return lookups(args.data_dir / "data", words, args.rounds)
    with tempfile.TemporaryDirectory() as scratch:
        root = args.data_dir or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        words, figures = grow(root / "data", args.spans)
        (root / "words.json").write_text(json.dumps(words))
        print(json.dumps(figures), flush=True)
        return {**figures, **lookups(root / "data", words, args.rounds)}


def freshness(rates: list[int], seconds: float) -> list[dict[str, object]]:
    bodies = build(int(max(rates) * seconds * 1.2) + 1, "3kb", 512)
    report = []
    for rate in rates:
        with tempfile.TemporaryDirectory() as scratch:
            server = ChildServer.start(Path(scratch) / "data")
            try:
                report.append({"target_spans_per_s": rate, **steady(server, bodies, rate, seconds)})
            finally:
                server.terminate()
        print(json.dumps(report[-1]), flush=True)
    return report


def steady(server: ChildServer, bodies: list[bytes], rate: int, seconds: float) -> dict[str, object]:
    """Send at ``rate`` spans/s for ``seconds``; time every probe from ack to searchable."""
    channel = grpc.insecure_channel(server.grpc_endpoint, options=[("grpc.max_send_message_length", 1 << 30)])
    export = channel.unary_unary(EXPORT)
    stop = threading.Event()
    sent = [0]

    def load() -> None:
        started = time.perf_counter()
        for body in bodies:
            if stop.is_set():
                return
            export(body, timeout=300)
            sent[0] += 512
            time.sleep(max(0.0, started + sent[0] / rate - time.perf_counter()))

    sender = threading.Thread(target=load, daemon=True)
    delays: list[float] = []
    with httpx.Client(base_url=server.api, timeout=30) as api:
        started = time.perf_counter()
        sender.start()
        while time.perf_counter() - started < seconds:
            word = "fresh" + uuid.uuid4().hex[:10]
            export(probe_request(word, time.time_ns()).SerializeToString(), timeout=60)
            acknowledged = time.perf_counter()
            while not api.get("/agents/traces", params={"project_id": PROJECT, "q": word}).json()["total"]:
                time.sleep(0.05)
            delays.append(time.perf_counter() - acknowledged)
            time.sleep(max(0.0, 0.5 - delays[-1]))
        stop.set()
        elapsed = time.perf_counter() - started
    sender.join()
    channel.close()
    delays.sort()
    return {
        "sent_spans_per_s": round(sent[0] / elapsed),
        "probes": len(delays),
        "searchable_after_ack_p50_s": round(statistics.median(delays), 3),
        "searchable_after_ack_p90_s": round(delays[int(len(delays) * 0.9)], 3),
        "searchable_after_ack_max_s": round(delays[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    grown = commands.add_parser("lookup")
    grown.add_argument("--spans", type=int, default=1_000_000)
    grown.add_argument("--rounds", type=int, default=2)
    grown.add_argument("--data-dir", type=Path, help="grow the store here and keep it (default: a temporary one)")
    grown.add_argument("--measure-only", action="store_true", help="measure the store kept in --data-dir")
    steady_load = commands.add_parser("freshness")
    steady_load.add_argument("--rates", default="2000,5000,10000,20000")
    steady_load.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    if args.command == "lookup":
        if args.measure_only and args.data_dir is None:
            parser.error("--measure-only needs --data-dir")
        print(json.dumps(lookup(args), indent=2))
    else:
        print(json.dumps(freshness([int(r) for r in args.rates.split(",")], args.seconds), indent=2))


if __name__ == "__main__":
    main()
