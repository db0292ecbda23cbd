"""Soak with kills: clients write traces continuously over OTLP/gRPC and OTLP/HTTP while the
server is SIGKILLed and restarted at random moments; afterwards every acknowledged span is
read back through the API.

    .venv/bin/python bench/soak.py [--kills 20] [--clients 4] [--seed 1]

Prints sent / acknowledged / found / lost spans (lost must be 0).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers import ChildServer

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
SPANS_PER_TRACE = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(rng: random.Random) -> tuple[bytes, str, list[str]]:
    trace_id = rng.randbytes(16)
    message = ExportTraceServiceRequest()
    scope = message.resource_spans.add().scope_spans.add()
    ids = []
    now = time.time_ns()
    for n in range(SPANS_PER_TRACE):
        span_id = rng.randbytes(8)
        span = scope.spans.add(
            trace_id=trace_id,
            span_id=span_id,
            name=f"soak {n}",
            start_time_unix_nano=now + n,
            end_time_unix_nano=now + n + 1000,
        )
        span.attributes.add(key="gen_ai.operation.name").value.string_value = "chat"
        ids.append(span_id.hex())
    return message.SerializeToString(), trace_id.hex(), ids


class Client(threading.Thread):
    def __init__(self, transport: str, ports: dict[str, int], seed: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.transport, self.ports, self.stop = transport, ports, stop
        self.rng = random.Random(seed)
        self.sent = 0
        self.failed_attempts = 0
        self.acknowledged: dict[str, list[str]] = {}

    def run(self) -> None:
        pending = None
        while not self.stop.is_set():
            if pending is None:
                pending = request(self.rng)
                self.sent += SPANS_PER_TRACE
            body, trace_id, ids = pending
            if self._send(body):
                self.acknowledged[trace_id] = ids
                pending = None  # an unacknowledged request is sent again, as exporters retry
            else:
                self.failed_attempts += 1
                time.sleep(0.05)

    def _send(self, body: bytes) -> bool:
        try:
            if self.transport == "grpc":
                with grpc.insecure_channel(f"127.0.0.1:{self.ports['grpc']}") as channel:
                    channel.unary_unary(EXPORT)(body, timeout=5)
                return True
            response = httpx.post(
                f"http://127.0.0.1:{self.ports['otlp_http']}/v1/traces",
                content=body,
                headers={"Content-Type": "application/x-protobuf"},
                timeout=5,
            )
            return response.status_code == 200
        except (grpc.RpcError, httpx.HTTPError):
            return False


def start(data_dir: Path, ports: dict[str, int]) -> ChildServer:
    return ChildServer.start(
        data_dir,
        "--grpc-port",
        str(ports["grpc"]),
        "--otlp-http-port",
        str(ports["otlp_http"]),
        "--port",
        str(ports["api"]),
    )


def soak(kills: int, clients: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    ports = {"grpc": free_port(), "otlp_http": free_port(), "api": free_port()}
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "data"
        server = start(data_dir, ports)
        stop = threading.Event()
        writers = [Client("grpc" if n % 2 == 0 else "http", ports, seed * 100 + n, stop) for n in range(clients)]
        for writer in writers:
            writer.start()
        started = time.monotonic()
        for _ in range(kills):
            time.sleep(rng.uniform(0.3, 1.5))
            server.kill()  # SIGKILL, at a random moment of the clients' traffic
            server = start(data_dir, ports)
        time.sleep(1.0)
        stop.set()
        for writer in writers:
            writer.join(30)
        elapsed = time.monotonic() - started
        acknowledged = {t: ids for w in writers for t, ids in w.acknowledged.items()}
        found = lost = 0
        with httpx.Client(base_url=f"http://127.0.0.1:{ports['api']}", timeout=30) as api:
            for trace_id, ids in acknowledged.items():
                response = api.get(f"/agents/traces/{trace_id}/spans")
                stored = {s["span_id"] for s in response.json()["spans"]} if response.status_code == 200 else set()
                found += len(set(ids) & stored)
                lost += len(set(ids) - stored)
        server.terminate()
    return {
        "kills": kills,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "spans_sent": sum(w.sent for w in writers),
        "failed_attempts_retried": sum(w.failed_attempts for w in writers),
        "spans_acknowledged": sum(len(ids) for ids in acknowledged.values()),
        "spans_found": found,
        "spans_lost": lost,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    report = soak(args.kills, args.clients, args.seed)
    print(json.dumps(report, indent=2))
    sys.exit(1 if report["spans_lost"] else 0)


if __name__ == "__main__":
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    main()
