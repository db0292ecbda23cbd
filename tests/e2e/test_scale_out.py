"""Many nodes on one catalog: two receivers (``tracechat serve --store iceberg --role ingest``
as child processes) and a reader (``--role query``) on one PostgreSQL catalog and one
warehouse directory, fed by the real OTel SDK exporters."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import grpc_exporter, http_exporter, make_agent_spans, span_ids
from tests.postgres import PostgresServer
from tests.servers import ChildServer, InProcessServer, settings_for_test


@pytest.fixture
def catalog(postgres: PostgresServer, tmp_path: Path) -> tuple[str, str]:
    """(catalog URI, warehouse URI) of a fresh catalog."""
    return postgres.create_database(), (tmp_path / "warehouse").as_uri()


def _receiver(data_dir: Path, catalog: tuple[str, str]) -> ChildServer:
    uri, warehouse = catalog
    return ChildServer.start(
        data_dir, "--store", "iceberg", "--catalog-uri", uri, "--warehouse", warehouse, "--role", "ingest"
    )


@pytest.fixture
def receivers(tmp_path: Path, catalog: tuple[str, str]) -> Iterator[list[ChildServer]]:
    started = [_receiver(tmp_path / f"receiver-{n}", catalog) for n in (1, 2)]
    yield started
    for receiver in started:
        if receiver.process.poll() is None:
            receiver.terminate()


@pytest.fixture
def reader(tmp_path: Path, catalog: tuple[str, str]) -> Iterator[InProcessServer]:
    uri, warehouse = catalog
    settings = settings_for_test(
        tmp_path / "reader", store="iceberg", catalog_uri=uri, warehouse=warehouse, role="query"
    )
    running = InProcessServer(settings)
    yield running
    running.stop()


def _hex(trace_id: int) -> str:
    return format(trace_id, "032x")


def test_a_trace_split_across_receivers_reads_whole_through_the_reader(
    receivers: list[ChildServer], reader: InProcessServer
) -> None:
    spans = make_agent_spans(turns=3)
    first, second = receivers
    to_first = grpc_exporter(first.grpc_endpoint)
    to_second = http_exporter(second.otlp_http)
    half = len(spans) // 2
    assert to_first.export(spans[:half]) is SpanExportResult.SUCCESS
    assert to_second.export(spans[half:]) is SpanExportResult.SUCCESS
    assert to_second.export(spans[:2]) is SpanExportResult.SUCCESS  # a retry that went to the other receiver
    to_first.shutdown()
    to_second.shutdown()

    trace_id = _hex(spans[0].context.trace_id)
    assert reader.ports.otlp_http == 0  # a query node receives nothing (tests/e2e/test_roles.py)
    listed = httpx.get(f"{reader.api}/agents/traces", params={"project_id": "default"}).json()
    assert [(t["trace_id"], t["span_count"]) for t in listed["traces"]] == [(trace_id, len(spans))]
    assert listed["traces"][0]["input_tokens"] == 100 + 101 + 102
    raw = httpx.get(f"{reader.api}/agents/traces/{trace_id}/spans", params={"project_id": "default"}).json()
    assert {(trace_id, s["span_id"]) for s in raw["spans"]} == span_ids(spans)
    trajectory = httpx.post(f"{reader.api}/agents/traces/chat", json={"project_id": "default", "trace_id": trace_id})
    assert trajectory.status_code == 200
    kinds = [m["type"] for m in trajectory.json()["messages"]]
    assert kinds.count("tool_call") == 3
    assert kinds.count("assistant_message") == 3


@pytest.mark.slow
def test_spans_acknowledged_before_a_receiver_is_killed_are_all_read(
    receivers: list[ChildServer], reader: InProcessServer, tmp_path: Path, catalog: tuple[str, str]
) -> None:
    first, second = receivers
    acknowledged: list[str] = []
    exporter = grpc_exporter(first.grpc_endpoint)
    for _ in range(6):
        spans = make_agent_spans(turns=1)
        assert exporter.export(spans) is SpanExportResult.SUCCESS
        acknowledged.append(_hex(spans[0].context.trace_id))
    exporter.shutdown()
    first.kill()  # SIGKILL: whatever was acknowledged is in the shared tables already
    restarted = _receiver(tmp_path / "receiver-1", catalog)
    try:
        for receiver in (restarted, second):
            spans = make_agent_spans(turns=1)
            again = http_exporter(receiver.otlp_http)
            assert again.export(spans) is SpanExportResult.SUCCESS
            again.shutdown()
            acknowledged.append(_hex(spans[0].context.trace_id))
    finally:
        restarted.terminate()
    listed = httpx.get(f"{reader.api}/agents/traces", params={"project_id": "default", "limit": 100}).json()
    assert sorted(t["trace_id"] for t in listed["traces"]) == sorted(acknowledged)
    assert all(t["span_count"] == 3 for t in listed["traces"])


def _tracechat(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tracechat", *args]
    environment = {**os.environ, "TRACECHAT_DATA_DIR": str(data_dir), **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=environment, check=False)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--store", "iceberg"], "--store iceberg needs --catalog-uri"),
        (["--store", "iceberg", "--catalog-uri", "mysql://x/y", "--warehouse", "file:///w"], "postgresql://"),
        (["--role", "query"], "--role query needs --store iceberg"),
        (["--store", "iceberg", "--catalog-uri", "postgresql://x/y", "--warehouse", "gs://b/p"], "s3://bucket/prefix"),
    ],
)
def test_a_store_misconfigured_is_refused_with_what_to_do(flags: list[str], message: str, tmp_path: Path) -> None:
    done = _tracechat("serve", "--port", "0", "--grpc-port", "0", "--otlp-http-port", "0", *flags, data_dir=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr


def test_maintain_runs_on_the_catalog_and_reports(
    catalog: tuple[str, str], reader: InProcessServer, tmp_path: Path
) -> None:
    uri, warehouse = catalog  # the reader created the tables
    done = _tracechat("maintain", "--catalog-uri", uri, "--warehouse", warehouse, data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["tables"] == ["tracechat.spans", "tracechat.logs"]
    assert report["orphans_removed"] == 0


def test_a_key_created_once_is_known_to_every_node(
    receivers: list[ChildServer], reader: InProcessServer, catalog: tuple[str, str], tmp_path: Path
) -> None:
    uri, _ = catalog
    env_store = {"TRACECHAT_STORE": "iceberg", "TRACECHAT_CATALOG_URI": uri}
    created = _tracechat("keys", "create", "--project", "shop", data_dir=tmp_path / "cli", env=env_store)
    assert created.returncode == 0, created.stderr
    token = re.search(r"Bearer token:\s+(\S+)", created.stdout)
    assert token is not None
    assert not (tmp_path / "cli" / "keys.json").exists()  # in PostgreSQL, not in a node's file
    headers = {"authorization": f"Bearer {token.group(1)}"}
    spans = make_agent_spans(turns=1)
    deadline = time.monotonic() + 30
    while True:  # each node re-reads the keys within a second of their change
        refused = http_exporter(receivers[1].otlp_http).export(spans)
        if refused is SpanExportResult.FAILURE or time.monotonic() > deadline:
            break
    assert refused is SpanExportResult.FAILURE
    assert http_exporter(receivers[1].otlp_http, headers=headers).export(spans) is SpanExportResult.SUCCESS
    api = f"{reader.api}/agents/traces"
    assert httpx.get(api, params={"project_id": "shop"}).status_code == 401
    listed = httpx.get(api, params={"project_id": "shop"}, headers=headers).json()
    assert [t["trace_id"] for t in listed["traces"]] == [_hex(spans[0].context.trace_id)]
    listing = _tracechat("keys", "list", data_dir=tmp_path / "cli", env=env_store)
    assert "project=shop" in listing.stdout
    key_id = re.search(r"key id:\s+(\S+)", created.stdout)
    assert key_id is not None
    revoked = _tracechat("keys", "revoke", key_id.group(1), data_dir=tmp_path / "cli", env=env_store)
    assert revoked.returncode == 0, revoked.stderr
    deadline = time.monotonic() + 30
    while True:  # revoked on every node within a second, and no node falls back to open mode
        status = httpx.get(api, params={"project_id": "shop"}, headers=headers).status_code
        if status == 401 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 401
    assert http_exporter(receivers[1].otlp_http, headers=headers).export(spans) is SpanExportResult.FAILURE
    assert httpx.get(api, params={"project_id": "shop"}).status_code == 401


def test_a_chat_made_on_one_node_is_read_and_changed_on_another(
    reader: InProcessServer, tmp_path: Path, catalog: tuple[str, str]
) -> None:
    uri, warehouse = catalog
    settings = settings_for_test(tmp_path / "reader-2", store="iceberg", catalog_uri=uri, warehouse=warehouse)
    other = InProcessServer(settings)  # an all node: query nodes and it share the chats
    try:
        _chat_on_two_nodes(reader, other)
    finally:
        other.stop()


def _chat_on_two_nodes(reader: InProcessServer, other: InProcessServer) -> None:
    made = httpx.post(f"{reader.api}/api/v1/chats", json={"title": "shared"})
    assert made.status_code == 201
    chat_id = made.json()["id"]
    elsewhere = f"{other.api}/api/v1/chats/{chat_id}"
    messages = [{"role": "user", "content": "hello from another node"}]
    assert httpx.put(elsewhere, json={"messages": messages}).status_code == 200
    read = httpx.get(f"{reader.api}/api/v1/chats/{chat_id}").json()
    assert [m["content"] for m in read["messages"]] == ["hello from another node"]
    assert [c["id"] for c in httpx.get(f"{other.api}/api/v1/chats").json()["chats"]] == [chat_id]


def test_export_while_serving_on_the_iceberg_store_says_it_is_not_there(
    reader: InProcessServer, tmp_path: Path
) -> None:
    started = httpx.post(f"{reader.api}/admin/exports", json={"name": "snap"})
    assert started.status_code == 501
    error = started.json()["error"]
    assert error["code"] == "unsupported"
    assert "DuckDB store" in error["message"]
    assert "docs/scale-out.md" in error["message"]
    followed = httpx.get(f"{reader.api}/admin/exports/{'0' * 32}")
    assert (followed.status_code, followed.json()["error"]["code"]) == (501, "unsupported")
    assert not (tmp_path / "reader" / "exports").exists()
