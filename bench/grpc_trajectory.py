"""``GetTrajectory`` over gRPC beside ``POST /agents/traces/chat``, on one store, and how long
after a span's acknowledgement its entry reaches a ``WatchTrajectory`` watcher.

    .venv/bin/python bench/grpc_trajectory.py --data-dir DIR [--size 1000000] [--rounds 2]
        [--watch-traces 20 --watch-spans 10]
    .venv/bin/python bench/grpc_trajectory.py --data-dir DIR --sizes 1000000,10000000

DIR is a store grown by ``bench/trajectory.py --data-dir DIR`` (grown here to ``--size``
spans first when it holds none). With ``--sizes``, the store is grown to each size in turn
(on from where a kept one stopped) and measured at each as below.

A real ``tracechat serve`` is started on the store; every probe trace (50 and 500 spans) is
read once per round over HTTP and once over gRPC, alternately,
from one keep-alive connection each. Both are timed from sending to the last byte of the
answer, not decoded (gRPC: a raw-bytes call), so the figures are the server's.

Then, on the same server, ``--watch-traces`` new traces are sent span by span (one OTLP/gRPC
``Export`` per span, each a model call) while a watcher follows each: for every span, the
time from the moment its ``Export`` returned (the acknowledgement) to the moment the watcher
received the response holding its entry. Negative: the entry arrived first (the watch is
woken after the commit, before the acknowledgement is sent).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import sys
import threading
import time
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from tests.servers import ChildServer

from bench.proc import peak_rss_mb
from bench.trajectory import NO_SEARCH_INDEX, Connection, grow_and_measure, summary
from tracechat.v1 import query_pb2 as q
from tracechat.v1 import query_pb2_grpc as qg

GET_TRAJECTORY = "/tracechat.v1.TraceQueryService/GetTrajectory"
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def compare(server: ChildServer, probes: dict[int, list[str]], rounds: int) -> dict[str, object]:
    http = Connection(server.api)
    channel = grpc.insecure_channel(server.grpc_endpoint)
    raw = channel.unary_unary(GET_TRAJECTORY, request_serializer=None, response_deserializer=None)
    results: dict[str, object] = {}
    try:
        raw(q.GetTrajectoryRequest(project_id="probe", trace_id=probes[50][0]).SerializeToString(), timeout=60)
        for size, trace_ids in probes.items():
            over_http, over_grpc = [], []
            for round_no in range(rounds):
                for trace_id in trace_ids:
                    body = {"project_id": "probe", "trace_id": trace_id}
                    request = q.GetTrajectoryRequest(**body).SerializeToString()
                    order = (0, 1) if round_no % 2 == 0 else (1, 0)
                    for which in order:
                        if which == 0:
                            over_http.append(http.timed("POST", "/agents/traces/chat", body))
                        else:
                            started = time.perf_counter()
                            raw(request, timeout=60)
                            over_grpc.append((time.perf_counter() - started) * 1000)
            results[f"http_trajectory_{size}_spans"] = summary(over_http)
            results[f"grpc_trajectory_{size}_spans"] = summary(over_grpc)
    finally:
        http.close()
        channel.close()
    return results


def _chat_span(trace_id: bytes, span_id: bytes, n: int) -> Span:
    now = time.time_ns()
    output = [{"role": "assistant", "parts": [{"type": "text", "content": f"answer {n}"}], "finish_reason": "stop"}]
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        name="chat gpt-4o",
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=now - 1_000_000,
        end_time_unix_nano=now,
        attributes=[
            KeyValue(key="gen_ai.operation.name", value=AnyValue(string_value="chat")),
            KeyValue(key="gen_ai.request.model", value=AnyValue(string_value="gpt-4o")),
            KeyValue(key="gen_ai.output.messages", value=AnyValue(string_value=json.dumps(output))),
        ],
    )


def watch_delays(server: ChildServer, traces: int, spans: int) -> dict[str, object]:
    channel = grpc.insecure_channel(server.grpc_endpoint)
    export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
    stub = qg.TraceQueryServiceStub(channel)
    rng = random.Random(time.time_ns())  # new traces on every run: a kept store has the last run's
    delays: list[float] = []
    try:
        for _ in range(traces):
            trace_id = rng.randbytes(16)
            arrived: queue.Queue[tuple[float, set[str]]] = queue.Queue()
            request = q.WatchTrajectoryRequest(project_id="watch", trace_id=trace_id.hex())
            request.quiet_for.FromSeconds(30)  # cancelled after the last span
            call = stub.WatchTrajectory(request)

            def read(call: object = call, arrived: queue.Queue[tuple[float, set[str]]] = arrived) -> None:
                try:
                    for response in call:  # type: ignore[attr-defined]
                        arrived.put((time.perf_counter(), {c.message.span_id for c in response.changes}))
                except grpc.RpcError as exc:
                    if exc.code() is not grpc.StatusCode.CANCELLED:
                        raise

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            for n in range(spans):
                span_id = rng.randbytes(8)
                body = ExportTraceServiceRequest()
                resource = body.resource_spans.add()
                resource.resource.attributes.add(key="tracechat.project").value.string_value = "watch"
                resource.scope_spans.add().spans.append(_chat_span(trace_id, span_id, n))
                export(body.SerializeToString(), timeout=60)
                acked = time.perf_counter()
                while True:
                    at, span_ids = arrived.get(timeout=60)
                    if span_id.hex() in span_ids:
                        delays.append((at - acked) * 1000)
                        break
            call.cancel()
            reader.join(30)
    finally:
        channel.close()
    result = summary(delays)
    result["min_ms"] = round(min(delays), 2)
    return result


def measure_both(
    data_dir: Path, probes: dict[int, list[str]], rounds: int, watch_traces: int, watch_spans: int
) -> dict[str, object]:
    """Start the real ``tracechat serve`` on the store, read every probe over HTTP and gRPC
    alternately, then follow new traces with watchers; the load average beside each part."""
    server = ChildServer.start(data_dir, env=NO_SEARCH_INDEX)
    try:
        row: dict[str, object] = {"load_average": [round(x, 1) for x in os.getloadavg()]}
        row.update(compare(server, probes, rounds))
        row["load_average_after_reads"] = [round(x, 1) for x in os.getloadavg()]
        if watch_traces:
            row["watch_ack_to_entry"] = watch_delays(server, watch_traces, watch_spans)
            row["load_average_after_watch"] = [round(x, 1) for x in os.getloadavg()]
        row["server_rss_mb"] = round(peak_rss_mb(server.process.pid))
    finally:
        server.terminate()
    row["file_mb"] = round((data_dir / "tracechat.duckdb").stat().st_size / 1e6)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--size", type=int, default=1_000_000, help="spans to grow an empty --data-dir to")
    parser.add_argument("--sizes", help="grow to each of these sizes in turn (comma-separated), measuring at each")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--watch-traces", type=int, default=20)
    parser.add_argument("--watch-spans", type=int, default=10)
    args = parser.parse_args()
    if args.sizes:
        args.data_dir.mkdir(parents=True, exist_ok=True)

        def measure(data_dir: Path, probes: dict[int, list[str]], rounds: int) -> dict[str, object]:
            return measure_both(data_dir, probes, rounds, args.watch_traces, args.watch_spans)

        sizes = [int(s) for s in args.sizes.split(",")]
        print(json.dumps(grow_and_measure(args.data_dir, sizes, args.rounds, measure), indent=2))
        return
    if not (args.data_dir / "probes.json").exists():
        args.data_dir.mkdir(parents=True, exist_ok=True)
        grow_and_measure(args.data_dir, [args.size], args.rounds)
    probes = {int(k): v for k, v in json.loads((args.data_dir / "probes.json").read_text()).items()}
    server = ChildServer.start(args.data_dir / "data", env=NO_SEARCH_INDEX)
    try:
        row: dict[str, object] = {"load_average": round(os.getloadavg()[0], 1)}
        row.update(compare(server, probes, args.rounds))
        row["watch_ack_to_entry"] = watch_delays(server, args.watch_traces, args.watch_spans)
        row["load_average_after"] = round(os.getloadavg()[0], 1)
    finally:
        server.terminate()
    print(json.dumps(row, indent=2))


if __name__ == "__main__":
    main()
