"""Export while serving, and trajectories as JSON lines: a running server writes the
hive-partitioned Parquet of its store as of one moment while ingest goes on committing;
``tracechat export --server`` drives it; ``--trajectories`` writes one ATIF document or
OpenAI conversation a line, through the server or from a stopped store's file."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import atif
import duckdb
import httpx
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import grpc_exporter, make_agent_spans
from tests.samples import ALL_TIME, SAMPLES, load_recent_samples
from tests.servers import InProcessServer, settings_for_test
from tracechat.auth.keys import KeyRing
from tracechat.errors import StorageUnavailable
from tracechat.export import log_columns, span_columns
from tracechat.store import parquet


def _tracechat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracechat", *args], capture_output=True, text=True, timeout=180)


def _send(server: InProcessServer, traces: int, project: str = "default") -> None:
    exporter = grpc_exporter(server.grpc_endpoint)
    for _ in range(traces):
        assert exporter.export(make_agent_spans(turns=2, resource={"tracechat.project": project})) is (
            SpanExportResult.SUCCESS
        )


def _parquet_spans(out: Path) -> int:
    with duckdb.connect() as con:
        row = con.execute(
            f"SELECT count(*) FROM read_parquet('{out}/spans/**/*.parquet', hive_partitioning=true)"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_snapshot_export_holds_what_was_committed_when_it_began(server: InProcessServer, tmp_path: Path) -> None:
    """Ingest commits while the export's read transaction is open (the writer is not
    blocked), and the export holds none of it."""
    store = server.service.store
    _send(server, 3)
    before = store.span_count()
    with store.snapshot() as cursor:
        _send(server, 2)  # acknowledged: committed while the snapshot is open
        assert store.span_count() == before + 10
        assert parquet.row_counts(cursor, None) == (before, 0)
        written = parquet.write_export(cursor, tmp_path / "out", decode_span=span_columns, decode_log=log_columns)
    assert written.spans == before
    assert _parquet_spans(tmp_path / "out") == before


def test_export_through_the_running_server(server: InProcessServer) -> None:
    load_recent_samples(server.service.receiver)
    stored = server.service.store.span_count()
    result = _tracechat("export", "snap-1", "--server", server.api)
    assert result.returncode == 0, result.stderr
    out = server.service.settings.data_dir / "exports" / "snap-1"
    assert f"the server wrote {stored} spans" in result.stdout
    assert str(out) in result.stdout
    assert _parquet_spans(out) == stored
    assert "exporting on the server" in result.stderr  # progress, as log lines off a terminal
    again = _tracechat("export", "snap-1", "--server", server.api)
    assert again.returncode == 2
    assert "not empty" in again.stderr


def test_export_jobs_over_http(server: InProcessServer) -> None:
    _send(server, 4, project="alpha")
    _send(server, 1, project="beta")
    started = httpx.post(f"{server.api}/admin/exports", json={"name": "alpha-only", "project": "alpha"})
    assert started.status_code == 202, started.text
    job: dict[str, Any] = started.json()
    deadline = time.monotonic() + 60
    while job["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
        job = httpx.get(f"{server.api}/admin/exports/{job['id']}").json()
    assert job["status"] == "done", job
    assert (job["spans"], job["spans_total"], job["percent"]) == (20, 20, 100.0)
    assert job["as_of"] is not None
    assert sorted(p.name for p in (Path(job["directory"]) / "spans").iterdir()) == ["project=alpha"]
    assert httpx.post(f"{server.api}/admin/exports", json={"name": "../up"}).status_code == 422
    assert httpx.get(f"{server.api}/admin/exports/{'0' * 32}").status_code == 404
    assert httpx.get(f"{server.api}/admin/exports/nope").status_code == 422


def test_exports_need_an_admin_key(tmp_path: Path) -> None:
    keys = KeyRing(tmp_path / "data" / "keys.json")
    shop = keys.create(project="shop", admin=False)
    admin = keys.create(project=None, admin=True)
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    try:
        url = f"{server.api}/admin/exports"
        assert httpx.post(url, json={}).status_code == 401
        refused = httpx.post(url, json={}, headers={"Authorization": f"Bearer {shop.token}"})
        assert refused.status_code == 403
        assert "admin" in refused.json()["error"]["message"]
        assert httpx.post(url, json={}, headers={"Authorization": f"Bearer {admin.token}"}).status_code == 202
    finally:
        server.stop()


def _lines(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_trajectories_as_json_lines_through_the_server_and_offline(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = InProcessServer(settings_for_test(data_dir))
    try:
        load_recent_samples(server.service.receiver)
        listing = httpx.get(f"{server.api}/agents/traces", params={"limit": 500, "since": ALL_TIME}).json()
        live = tmp_path / "live.jsonl"
        result = _tracechat("export", str(live), "--trajectories", "--format", "atif", "--server", server.api)
        assert result.returncode == 0, result.stderr
        none = _tracechat(
            "export",
            "-",
            "--trajectories",
            "--format",
            "openai",
            "--server",
            server.api,
            "--since",
            "2999-01-01T00:00:00+00:00",
        )
        assert none.returncode == 0, none.stderr
        assert none.stdout == ""
    finally:
        server.stop()
    documents = _lines(live)
    assert sorted(d["trajectory_id"] for d in documents) == sorted(t["trace_id"] for t in listing["traces"])
    for document in documents:
        atif.Trajectory.model_validate(document)
    offline = tmp_path / "offline.jsonl"
    result = _tracechat("export", str(offline), "--trajectories", "--format", "atif", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "exporting trajectories:" in result.stderr
    assert sorted(map(json.dumps, _lines(offline))) == sorted(map(json.dumps, documents))
    chats = tmp_path / "chats.jsonl"
    assert (
        _tracechat("export", str(chats), "--trajectories", "--format", "openai", "--data-dir", str(data_dir)).returncode
        == 0
    )
    # only a trace in which nothing was said (it constructed agents, connected to an MCP server)
    # exports no message
    said = {d["trajectory_id"] for d in documents if d["steps"]}
    assert said
    assert {line["metadata"]["trace_id"] for line in _lines(chats) if line["messages"]} == said
    bad = _tracechat("export", str(chats), "--trajectories", "--data-dir", str(data_dir))
    assert bad.returncode == 2
    assert "--format" in bad.stderr


def test_offline_export_shows_its_progress(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = InProcessServer(settings_for_test(data_dir))
    _send(server, 2)
    server.stop()
    result = _tracechat("export", str(tmp_path / "out"), "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "exporting: 10/10 rows (100%)" in result.stderr
    assert "wrote 10 spans" in result.stdout


def test_load_of_a_folder_shows_its_progress(server: InProcessServer) -> None:
    folder = SAMPLES / "pydantic-ai-session" / "requests"
    files = len(list(folder.iterdir()))
    result = _tracechat("load", str(folder), "--endpoint", server.otlp_http)
    assert result.returncode == 0, result.stderr
    assert f"loading: {files}/{files} files (100%)" in result.stderr


def test_a_server_stopping_stops_its_export_first(tmp_path: Path) -> None:
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    _send(server, 2)
    jobs = server.service.exports
    started = httpx.post(f"{server.api}/admin/exports", json={"name": "late"}).json()
    server.stop()  # joins the export's thread before the store closes
    finished = jobs.get(started["id"])
    assert finished.status in ("done", "failed")
    assert finished.finished_at is not None
    with pytest.raises(StorageUnavailable):  # and no export starts once it is closing
        jobs.start("after", None)
