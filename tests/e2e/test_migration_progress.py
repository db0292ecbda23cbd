"""A schema migration at start shows its progress: the API port answers while the store
migrates, ``/healthz`` and the viewer's page say "migrating, N% done", and everything is
served once it is done. A real server, a real DuckDB file marked as schema 3 (before the
session index), its real migration held half-way by the test to look at it."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.contract.old_layouts import as_schema_5
from tests.otel import grpc_exporter, make_agent_spans
from tests.servers import InProcessServer, settings_for_test
from tracechat.migration import MigrationStatus
from tracechat.progress import migration_shown
from tracechat.store import schema
from tracechat.store.duck import DuckDBStore


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _schema_3_store(data_dir: Path) -> None:
    server = InProcessServer(settings_for_test(data_dir))
    grpc_exporter(server.grpc_endpoint).export(make_agent_spans(turns=2))
    server.stop()
    with duckdb.connect(str(data_dir / "tracechat.duckdb")) as con:
        as_schema_5(con)
        con.execute("DROP TABLE sessions")
        con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")


def test_health_and_viewer_say_migrating_until_the_store_is_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    _schema_3_store(data_dir)
    reached, release = threading.Event(), threading.Event()
    real = schema.MIGRATIONS[3]

    def held(con: duckdb.DuckDBPyConnection, progress: Callable[[float], None]) -> None:
        reached.set()
        release.wait(60)
        real(con, progress)

    monkeypatch.setitem(schema.MIGRATIONS, 3, held)
    port = _free_port()
    started: list[InProcessServer] = []
    starting = threading.Thread(target=lambda: started.append(InProcessServer(settings_for_test(data_dir, port=port))))
    starting.start()
    try:
        assert reached.wait(60)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 503
        assert health.headers["retry-after"] == "2"
        assert health.json()["status"] == "migrating"
        assert health.json()["message"] == f"migrating, {health.json()['percent']}% done"
        page = httpx.get(f"http://127.0.0.1:{port}/", headers={"Accept": "text/html"})
        assert page.status_code == 503
        assert "migrating, " in page.text
        assert "% done" in page.text
        api = httpx.get(f"http://127.0.0.1:{port}/agents/traces")
        assert api.status_code == 503
        assert api.json()["error"]["code"] == "migrating"
    finally:
        release.set()
        starting.join(60)
    (server,) = started
    try:
        assert httpx.get(f"{server.api}/healthz").json()["status"] == "ok"
        assert httpx.get(f"{server.api}/agents/sessions").status_code == 200
    finally:
        server.stop()


def test_the_migration_reports_its_steps_to_the_end(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _schema_3_store(data_dir)
    status = MigrationStatus()
    out = io.StringIO()
    with migration_shown(status, stream=out):
        store = DuckDBStore(data_dir / "tracechat.duckdb", migration=status)
    store.close()
    assert status.finished
    assert status.percent == 100
    assert "migrating the database: 100/100 %" in out.getvalue()
    quiet = MigrationStatus()  # a store that needs no migration says nothing
    out = io.StringIO()
    with migration_shown(quiet, stream=out):
        DuckDBStore(data_dir / "tracechat.duckdb", migration=quiet).close()
    assert not quiet.began.is_set()
    assert out.getvalue() == ""


def test_percent_moves_with_steps_and_within_a_step() -> None:
    status = MigrationStatus()
    status.begin(2)
    assert status.message() == "migrating, 0% done"
    status.within_step(0.5)
    assert status.percent == 25
    status.at_step(1)
    status.within_step(1.0)
    assert status.percent == 99  # never 100 before it is finished
    status.finish()
    assert status.message() == "migrating, 100% done"
