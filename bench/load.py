"""Load at saturation: OTLP/gRPC and OTLP/HTTP clients send as fast as the server takes
them, the real OTel SDK exporters (gRPC and HTTP) export alongside, and trajectory queries
and assistant turns run all the while.

    .venv/bin/python bench/load.py [--seconds 60] [--clients 4] [--queue-mb 256]

Reports throughput, every answer the ingest clients got (success or only retryable codes),
the server's peak RSS, query and chat latencies, and that every span acknowledged to a
client or created in an SDK was stored (lost must be 0). Exits 1 if not.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import grpc
import httpx
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers import ChildServer

from bench.proc import cpu_seconds, peak_rss_mb, status_mb
from bench.workload import requests

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
RETRYABLE_GRPC = {"RESOURCE_EXHAUSTED", "UNAVAILABLE"}
RETRYABLE_HTTP = {429, 502, 503, 504}
DEFAULT_RETRY_SECONDS = 1.0
Sender = Callable[[bytes], tuple[str, float]]
EXPORT_COUNTER = "tracechat_export_requests_total"
QUESTIONS = ["Which traces had errors?", "Which agent spends the most tokens?", "What are the slowest tool calls?"]


class Template:
    """One pre-encoded export request and the trace ids in it: each send swaps in fresh ids
    (bytes.replace, at C speed), so clients are not limited by building protobuf."""

    def __init__(self, body: bytes, spans_per_trace: dict[bytes, int]) -> None:
        self.body, self.spans_per_trace = body, spans_per_trace

    def fresh(self, rng: random.Random) -> tuple[bytes, dict[str, int]]:
        body, counts = self.body, {}
        for old, spans in self.spans_per_trace.items():
            new = rng.randbytes(16)
            while new in body or new in self.spans_per_trace:  # a later replace must not touch it
                new = rng.randbytes(16)
            body = body.replace(old, new)
            counts[new.hex()] = spans
        return body, counts


def templates(count: int, spans_per_request: int) -> list[Template]:
    built = []
    for request in requests(count * spans_per_request, spans_per_request, turns=3, message_words=60, seed=11):
        per_trace = Counter(span.trace_id for span in request.resource_spans[0].scope_spans[0].spans)
        built.append(Template(request.SerializeToString(), dict(per_trace)))
    return built


class IngestClient(threading.Thread):
    """Sends as fast as it is answered. A retryable refusal is sent again after the delay the
    server asked for (``Retry-After`` / gRPC ``RetryInfo``, with jitter), as the OTel
    exporters do; a client that retried sooner would only starve the polite ones.
    Everything answered is tallied."""

    def __init__(self, transport: str, server: ChildServer, pool: list[Template], seed: int) -> None:
        super().__init__(daemon=True, name=f"ingest-{transport}-{seed}")
        self.transport, self.server, self.pool = transport, server, pool
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.answers: Counter[str] = Counter()
        self.acknowledged: dict[str, int] = {}
        self.bytes_acknowledged = 0
        self.rejected = 0

    def run(self) -> None:
        send = self._grpc_sender() if self.transport == "grpc" else self._http_sender()
        while not self.stop.is_set():
            body, counts = self.rng.choice(self.pool).fresh(self.rng)
            while not self.stop.is_set():
                answer, delay = send(body)
                self.answers[answer] += 1
                if answer in ("OK", "200"):
                    self.acknowledged.update(counts)
                    self.bytes_acknowledged += len(body)
                    break
                if not _retryable(answer):
                    break  # refused for good: a finding, reported in the answers
                self.stop.wait(delay * self.rng.uniform(0.8, 1.2))

    def _grpc_sender(self) -> Sender:
        channel = grpc.insecure_channel(self.server.grpc_endpoint)
        call = channel.unary_unary(EXPORT)

        def send(body: bytes) -> tuple[str, float]:
            try:
                answer = call(body, timeout=30)
            except grpc.RpcError as error:
                return str(error.code().name), _retry_info(error)  # type: ignore[attr-defined]
            self.rejected += ExportTraceServiceResponse.FromString(answer).partial_success.rejected_spans
            return "OK", 0.0

        return send

    def _http_sender(self) -> Sender:
        client = httpx.Client(base_url=self.server.otlp_http, timeout=30)
        headers = {"Content-Type": "application/x-protobuf"}

        def send(body: bytes) -> tuple[str, float]:
            try:
                response = client.post("/v1/traces", content=body, headers=headers)
            except httpx.TransportError as error:
                return type(error).__name__, DEFAULT_RETRY_SECONDS
            if response.status_code == 200:
                self.rejected += ExportTraceServiceResponse.FromString(response.content).partial_success.rejected_spans
            return str(response.status_code), float(response.headers.get("Retry-After", DEFAULT_RETRY_SECONDS))

        return send


def _retry_info(error: grpc.Call) -> float:
    """The delay a gRPC refusal asks for in its ``google.rpc.RetryInfo`` detail."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            for detail in status_pb2.Status.FromString(value).details:
                info = error_details_pb2.RetryInfo()
                if detail.Unpack(info):
                    return info.retry_delay.ToTimedelta().total_seconds()
    return DEFAULT_RETRY_SECONDS


def _retryable(answer: str) -> bool:
    return answer in RETRYABLE_GRPC or (answer.isdigit() and int(answer) in RETRYABLE_HTTP)


class SdkProducer(threading.Thread):
    """The real OTel SDK: a tracer provider with a batch processor and an OTLP exporter,
    producing agent-shaped spans at a steady rate; shutdown flushes (with the exporter's
    own retries) what is still queued."""

    def __init__(self, name: str, exporter: SpanExporter, spans_per_second: int) -> None:
        super().__init__(daemon=True, name=name)
        self.service = name
        self.provider = TracerProvider(resource=Resource.create({"service.name": name}))
        self.provider.add_span_processor(
            BatchSpanProcessor(exporter, max_queue_size=1_000_000, max_export_batch_size=512, schedule_delay_millis=200)
        )
        self.interval = 1 / (spans_per_second / 4)  # one 4-span trace per interval
        self.stop = threading.Event()
        self.created: dict[str, int] = {}

    def run(self) -> None:
        tracer = self.provider.get_tracer("tracechat.bench.load")
        while not self.stop.is_set():
            with tracer.start_as_current_span("invoke_agent load") as agent:
                agent.set_attribute("gen_ai.operation.name", "invoke_agent")
                agent.set_attribute("gen_ai.agent.name", self.service)
                with tracer.start_as_current_span("chat gpt-4o") as chat:
                    chat.set_attribute("gen_ai.operation.name", "chat")
                    chat.set_attribute("gen_ai.request.model", "gpt-4o")
                    chat.set_attribute("gen_ai.usage.input_tokens", 120)
                    chat.set_attribute("gen_ai.usage.output_tokens", 40)
                with tracer.start_as_current_span("execute_tool search") as tool:
                    tool.set_attribute("gen_ai.operation.name", "execute_tool")
                    tool.set_attribute("gen_ai.tool.name", "search")
                with tracer.start_as_current_span("chat gpt-4o") as chat:
                    chat.set_attribute("gen_ai.operation.name", "chat")
                self.created[format(agent.get_span_context().trace_id, "032x")] = 4
            self.stop.wait(self.interval)

    def finish(self) -> None:
        self.stop.set()
        self.join(30)
        self.provider.shutdown()


class Reader(threading.Thread):
    """Trajectory queries or assistant turns in a loop, timing each."""

    def __init__(self, kind: str, server: ChildServer, trace_ids: Callable[[], list[str]], seed: int) -> None:
        super().__init__(daemon=True, name=f"reader-{kind}")
        self.kind, self.trace_ids = kind, trace_ids
        self.api = httpx.Client(base_url=server.api, timeout=120)
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.answers: Counter[str] = Counter()
        self.latencies_ms: list[float] = []

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                status = self._trajectory() if self.kind == "trajectory" else self._chat()
            except httpx.TransportError as error:
                status = type(error).__name__
            if status is None:
                continue
            if status == 200:
                self.latencies_ms.append((time.perf_counter() - started) * 1000)
            self.answers[str(status)] += 1

    def _trajectory(self) -> int | None:
        known = self.trace_ids()
        if not known:
            time.sleep(0.1)  # nothing acknowledged yet
            return None
        body = {"project_id": "default", "trace_id": self.rng.choice(known)}
        return self.api.post("/agents/traces/chat", json=body).status_code

    def _chat(self) -> int:
        question = {"messages": [{"role": "user", "content": self.rng.choice(QUESTIONS)}]}
        with self.api.stream("POST", "/api/v1/chat", params={"stream": "true"}, json=question) as response:
            for _ in response.iter_bytes():
                pass
            return response.status_code


class RssSampler(threading.Thread):
    """The server's resident memory every 250 ms, and its CPU time over the run."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True, name="rss")
        self.pid, self.stop, self.samples_mb = pid, threading.Event(), [0.0]
        self.started, self.cpu_at_start = time.monotonic(), cpu_seconds(pid)

    def cpu_percent(self) -> float:
        return round(100 * (cpu_seconds(self.pid) - self.cpu_at_start) / (time.monotonic() - self.started))

    def run(self) -> None:
        while not self.stop.wait(0.25):
            self.samples_mb.append(status_mb(self.pid, "VmRSS"))

    def timeline_mb(self, points: int = 6) -> list[int]:
        """RSS at evenly spaced moments of the run: flat at the end means bounded."""
        samples = self.samples_mb[1:] or [0.0]
        return [round(samples[min(len(samples) - 1, i * len(samples) // points)]) for i in range(1, points + 1)]

    def peak_mb(self) -> float:
        return max(peak_rss_mb(self.pid), *self.samples_mb)


def stored_spans(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as db:
        return dict(db.execute("SELECT trace_id, count(*) FROM spans GROUP BY trace_id").fetchall())


def missing(expected: dict[str, int], stored: dict[str, int]) -> int:
    short = {t: (spans, stored.get(t, 0)) for t, spans in expected.items() if stored.get(t, 0) < spans}
    for trace_id, (spans, found) in list(short.items())[:10]:
        print(f"missing: trace {trace_id} expected {spans} spans, found {found}", file=sys.stderr)
    return sum(spans - found for spans, found in short.values())


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def load(seconds: float, clients: int, queue_mb: int, sdk_rate: int) -> dict[str, object]:
    pool = templates(64, 64)
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "data"
        env = {"TRACECHAT_CHAT_REQUESTS_PER_MINUTE": "0", "TRACECHAT_QUEUE_MAX_BYTES": str(queue_mb << 20)}
        server = ChildServer.start(data_dir, env=env)
        rss = RssSampler(server.process.pid)
        rss.start()
        # Client seeds apart from the workload's (11): the same seed would draw the template's own ids.
        ingest = [IngestClient("grpc" if n % 2 == 0 else "http", server, pool, 1000 + n) for n in range(clients)]
        sdks = [
            SdkProducer("load-sdk-grpc", GrpcSpanExporter(endpoint=server.grpc_endpoint, insecure=True), sdk_rate),
            SdkProducer("load-sdk-http", HttpSpanExporter(endpoint=f"{server.otlp_http}/v1/traces"), sdk_rate),
        ]

        def known() -> list[str]:
            return list(ingest[0].acknowledged)[-500:]

        readers = [Reader("trajectory", server, known, 1), Reader("chat", server, known, 2)]
        started = time.monotonic()
        for worker in [*ingest, *sdks, *readers]:
            worker.start()
        time.sleep(seconds)
        for client in ingest:
            client.stop.set()
        for client in ingest:
            client.join(60)
        ingest_seconds = time.monotonic() - started
        for sdk in sdks:
            sdk.finish()  # flushes what the SDKs still hold, retrying as they do
        for reader in readers:
            reader.stop.set()
            reader.join(120)
        peak, cpu, timeline = rss.peak_mb(), rss.cpu_percent(), rss.timeline_mb()
        rss.stop.set()
        metrics = httpx.get(f"{server.api}/metrics").text
        server.terminate()
        stored = stored_spans(data_dir / "tracechat.duckdb")

    acknowledged = {t: n for c in ingest for t, n in c.acknowledged.items()}
    created = {t: n for s in sdks for t, n in s.created.items()}
    answers: Counter[tuple[str, str]] = Counter()
    for client in ingest:
        answers.update({(client.transport, answer): count for answer, count in client.answers.items()})
    refused_for_good = sum(n for (_, a), n in answers.items() if a not in ("OK", "200") and not _retryable(a))
    trajectory, chat = readers
    return {
        "seconds": round(ingest_seconds, 1),
        "ingest_clients": clients,
        "queue_mb": queue_mb,
        "spans_acknowledged": sum(acknowledged.values()),
        "spans_per_second": round(sum(acknowledged.values()) / ingest_seconds),
        "mb_per_second": round(sum(c.bytes_acknowledged for c in ingest) / ingest_seconds / 1e6, 1),
        "ingest_answers": {f"{transport} {answer}": n for (transport, answer), n in sorted(answers.items())},
        "refused_non_retryable": refused_for_good,
        "spans_rejected_in_partial_success": sum(c.rejected for c in ingest),
        "spans_acknowledged_lost": missing(acknowledged, stored),
        "sdk_spans_created": sum(created.values()),
        "sdk_spans_lost": missing(created, stored),
        "trajectory_answers": dict(trajectory.answers),
        "trajectory_p50_ms": percentile(trajectory.latencies_ms, 0.5),
        "trajectory_p99_ms": percentile(trajectory.latencies_ms, 0.99),
        "chat_answers": dict(chat.answers),
        "chat_p50_ms": percentile(chat.latencies_ms, 0.5),
        "chat_mean_ms": round(statistics.fmean(chat.latencies_ms), 1) if chat.latencies_ms else None,
        "peak_rss_mb": round(peak),
        "rss_mb_over_the_run": timeline,
        "server_cpu_percent": cpu,
        "server_export_requests": [
            line for line in metrics.splitlines() if line.startswith("tracechat_export_requests_total")
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4, help="raw ingest clients, alternating gRPC and HTTP")
    parser.add_argument("--queue-mb", type=int, default=256, help="the server's write-queue bound")
    parser.add_argument("--sdk-rate", type=int, default=2000, help="spans per second from each SDK exporter")
    args = parser.parse_args()
    report = load(args.seconds, args.clients, args.queue_mb, args.sdk_rate)
    print(json.dumps(report, indent=2))
    failed = report["refused_non_retryable"] or report["spans_acknowledged_lost"] or report["sdk_spans_lost"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    logging.getLogger("opentelemetry.exporter").setLevel(logging.ERROR)  # retries are counted by the server
    main()
