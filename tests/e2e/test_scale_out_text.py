"""The text of spans a receiver acknowledged is indexed after the acknowledgement, from a
queue in PostgreSQL (``store.iceberg.textindex``): a receiver killed with its batches still
queued loses none of their text; the node started again indexes it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import grpc_exporter, make_agent_spans
from tests.postgres import PostgresServer
from tests.servers import ChildServer
from tracechat.store.iceberg.store import IcebergStore
from tracechat.store.iceberg.textindex import QUEUE


def _serve(data_dir: Path, uri: str, warehouse: str, role: str) -> ChildServer:
    return ChildServer.start(
        data_dir, "--store", "iceberg", "--catalog-uri", uri, "--warehouse", warehouse, "--role", role
    )


def test_text_of_spans_acknowledged_before_a_receiver_is_killed_is_indexed_after_its_restart(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    uri, warehouse = postgres.create_database(), (tmp_path / "warehouse").as_uri()
    receiver = _serve(tmp_path / "node", uri, warehouse, "ingest")  # ingest nodes queue text, index none
    exporter = grpc_exporter(receiver.grpc_endpoint)
    acknowledged: list[str] = []
    try:
        for _ in range(3):
            spans = make_agent_spans(turns=1)
            assert exporter.export(spans) is SpanExportResult.SUCCESS
            acknowledged.append(format(spans[0].context.trace_id, "032x"))
    finally:
        exporter.shutdown()
        receiver.kill()  # SIGKILL, with every batch's text still queued
    with psycopg.connect(uri) as con:
        queued = con.execute(f"SELECT count(*) FROM {QUEUE}").fetchone()
    assert queued is not None
    assert queued[0] == 3

    restarted = _serve(tmp_path / "node", uri, warehouse, "all")  # the same node, now indexing too
    watcher = IcebergStore(uri, warehouse, writes=False, text_indexer=False)
    try:
        assert watcher.wait_searchable(60)  # the queue drained by the restarted node
        found = httpx.get(f"{restarted.api}/agents/traces", params={"project_id": "default", "q": "hi"}).json()
        assert sorted(t["trace_id"] for t in found["traces"]) == sorted(acknowledged)
        assert all(t["matches"] for t in found["traces"])
    finally:
        watcher.close()
        restarted.terminate()


def test_maintain_refuses_a_snapshot_retention_shorter_than_re_indexing_needs(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "tracechat", "maintain", "--catalog-uri", "postgresql://127.0.0.1:1/x"]
    command += ["--warehouse", (tmp_path / "w").as_uri(), "--keep-snapshots-minutes", "1"]
    environment = {**os.environ, "TRACECHAT_DATA_DIR": str(tmp_path)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment, check=False)
    assert done.returncode != 0
    assert "--keep-snapshots-minutes: snapshots must be kept at least 5 minutes" in done.stderr
