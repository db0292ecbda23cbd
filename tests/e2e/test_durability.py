"""A span acknowledged is a span kept: SIGKILL the server right after success, restart it,
and find every acknowledged span."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import grpc_exporter, http_exporter, make_agent_spans, span_ids
from tests.servers import ChildServer
from tracechat.store.duck import DuckDBStore


def _stored(data_dir: Path) -> set[tuple[str, str]]:
    store = DuckDBStore(data_dir / "tracechat.duckdb")
    try:
        found: set[tuple[str, str]] = set()
        rows = store._cursor().execute("SELECT trace_id, span_id FROM spans").fetchall()
        found.update((t, s) for t, s in rows)
        return found
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_acknowledged_spans_survive_sigkill(tmp_path: Path, transport: str) -> None:
    data_dir = tmp_path / "data"
    acknowledged: set[tuple[str, str]] = set()
    for _round in range(3):
        server = ChildServer.start(data_dir)
        exporter = grpc_exporter(server.grpc_endpoint) if transport == "grpc" else http_exporter(server.otlp_http)
        for _ in range(5):
            spans = make_agent_spans(turns=3)
            assert exporter.export(spans) is SpanExportResult.SUCCESS
            acknowledged |= span_ids(spans)
        server.kill()  # SIGKILL the moment the last success arrived
        exporter.shutdown()
    assert acknowledged <= _stored(data_dir)


@pytest.mark.slow
def test_sigterm_finishes_and_restarts_cleanly(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = ChildServer.start(data_dir)
    spans = make_agent_spans(turns=2)
    assert grpc_exporter(server.grpc_endpoint).export(spans) is SpanExportResult.SUCCESS
    assert server.terminate() == 0
    assert any("stopped" in line for line in server.output)
    assert span_ids(spans) <= _stored(data_dir)
    restarted = ChildServer.start(data_dir)
    restarted.process.send_signal(signal.SIGINT)
    assert restarted.wait(60) == 0
