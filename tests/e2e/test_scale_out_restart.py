"""The catalog's PostgreSQL restarted under load: two receivers (child processes) on Iceberg
tables fed by a steady stream of real OTel SDK exporters, and a reader. While PostgreSQL is
down every node answers retryably (OTLP/HTTP 503 with Retry-After, gRPC UNAVAILABLE, the
API 503); once it is back the same processes commit again, and every span acknowledged at
any point is read through the reader."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from tests.otel import grpc_exporter, http_exporter, make_agent_spans, span_ids
from tests.postgres import PostgresServer
from tests.servers import ChildServer, InProcessServer, settings_for_test

_RECOVERY_S = 120.0


class _Stream:
    """One exporter sending a three-span trace after another until stopped; what it was
    told was stored (``SUCCESS``) is what was acknowledged."""

    def __init__(self, exporter: SpanExporter) -> None:
        self._exporter = exporter
        self.acknowledged: dict[str, set[tuple[str, str]]] = {}
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            spans = make_agent_spans(turns=1)
            if self._exporter.export(spans) is SpanExportResult.SUCCESS:
                self.acknowledged[format(spans[0].context.trace_id, "032x")] = span_ids(spans)
            else:
                self.failed += 1
            self._stop.wait(0.05)

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} of {count} acknowledged"
            assert self._thread.is_alive()
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)
        self._exporter.shutdown()


@pytest.fixture
def catalog(postgres: PostgresServer, tmp_path: Path) -> tuple[str, str]:
    return postgres.create_database(), (tmp_path / "warehouse").as_uri()


@pytest.fixture
def nodes(tmp_path: Path, catalog: tuple[str, str]) -> Iterator[tuple[list[ChildServer], InProcessServer]]:
    uri, warehouse = catalog
    flags = ["--store", "iceberg", "--catalog-uri", uri, "--warehouse", warehouse]
    receivers: list[ChildServer] = []
    try:
        receivers += [ChildServer.start(tmp_path / f"r{n}", *flags, "--role", "ingest") for n in (1, 2)]
        reader = InProcessServer(
            settings_for_test(tmp_path / "reader", store="iceberg", catalog_uri=uri, warehouse=warehouse, role="query")
        )
        try:
            yield receivers, reader
        finally:
            reader.stop()
    finally:
        for receiver in receivers:
            if receiver.process.poll() is None:
                receiver.terminate()


def _listed(api: str) -> dict[str, int]:
    """Every trace the reader lists, page by page: its span count."""
    counts: dict[str, int] = {}
    while True:
        page = httpx.get(api, params={"project_id": "default", "limit": 500, "offset": len(counts)}, timeout=30)
        assert page.status_code == 200, page.text
        traces = page.json()["traces"]
        counts.update((t["trace_id"], t["span_count"]) for t in traces)
        if len(traces) < 500:
            return counts


@pytest.mark.slow
def test_postgres_restarted_under_load_answers_retryably_then_recovers_and_loses_no_acknowledged_span(
    nodes: tuple[list[ChildServer], InProcessServer], postgres: PostgresServer
) -> None:
    (first, second), reader = nodes
    streams = [_Stream(grpc_exporter(first.grpc_endpoint)), _Stream(http_exporter(second.otlp_http))]
    try:
        for stream in streams:
            stream.wait_for(3, timeout=60)
        postgres.stop()  # SIGINT, as pg_ctl stop -m fast: open connections dropped
        try:
            body = encode_spans(make_agent_spans(turns=1)).SerializeToString()
            refused = httpx.post(
                f"{second.otlp_http}/v1/traces",
                content=body,
                headers={"content-type": "application/x-protobuf"},
                timeout=60,
            )
            assert refused.status_code == 503, refused.text
            assert int(refused.headers["retry-after"]) >= 1
            with grpc.insecure_channel(first.grpc_endpoint) as channel:
                request = encode_spans(make_agent_spans(turns=1))
                with pytest.raises(grpc.RpcError) as unavailable:
                    TraceServiceStub(channel).Export(request, timeout=60)
                assert unavailable.value.code() is grpc.StatusCode.UNAVAILABLE
            listed = httpx.get(f"{reader.api}/agents/traces", params={"project_id": "default"}, timeout=60)
            assert listed.status_code == 503, listed.text
            assert listed.json()["error"]["code"] == "storage_unavailable"
            assert int(listed.headers["retry-after"]) >= 1
            chats = httpx.get(f"{reader.api}/api/v1/chats", timeout=60)  # chats are in PostgreSQL too
            assert (chats.status_code, chats.json()["error"]["code"]) == (503, "storage_unavailable")
            before = [len(stream.acknowledged) for stream in streams]
        finally:
            postgres.start()
        for stream, count in zip(streams, before, strict=True):  # the same processes, no restart
            stream.wait_for(count + 3, timeout=_RECOVERY_S)
    finally:
        for stream in streams:
            stream.stop()

    assert [first.process.poll(), second.process.poll()] == [None, None]  # the same processes throughout
    acknowledged = {**streams[0].acknowledged, **streams[1].acknowledged}
    api = f"{reader.api}/agents/traces"
    assert httpx.get(f"{reader.api}/api/v1/chats").status_code == 200
    counts = _listed(api)
    assert {trace_id: counts.get(trace_id) for trace_id in acknowledged} == {
        trace_id: len(spans) for trace_id, spans in acknowledged.items()
    }
    for trace_id, spans in acknowledged.items():
        raw = httpx.get(f"{api}/{trace_id}/spans", params={"project_id": "default"}, timeout=30)
        assert raw.status_code == 200, raw.text
        assert {(trace_id, s["span_id"]) for s in raw.json()["spans"]} == spans


def test_maintain_with_postgres_away_says_so_and_exits_2(
    catalog: tuple[str, str], postgres: PostgresServer, tmp_path: Path
) -> None:
    uri, warehouse = catalog
    postgres.stop()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tracechat", "maintain", "--catalog-uri", uri, "--warehouse", warehouse],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "TRACECHAT_DATA_DIR": str(tmp_path)},
            check=False,
        )
    finally:
        postgres.start()
    assert done.returncode == 2, done.stderr
    assert "the catalog's PostgreSQL cannot be reached" in done.stderr
    assert "Traceback" not in done.stderr
