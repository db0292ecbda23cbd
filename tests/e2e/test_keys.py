"""Projects and keys on the ingest path: a key's spans land in its project; once keys
exist, requests without one are refused; open mode is loopback-only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.clocks import ManualClock
from tests.otel import grpc_exporter, http_exporter, make_agent_spans, span_ids
from tests.servers import InProcessServer, settings_for_test
from tracechat.app import ConfigurationError, Service
from tracechat.auth.keys import KeyRing
from tracechat.config import Settings


def test_key_project_wins_over_resource(tmp_path: Path) -> None:
    keys = KeyRing(tmp_path / "data" / "keys.json")
    shop = keys.create(project="shop", admin=False)
    admin = keys.create(project=None, admin=True)
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    try:
        spans = make_agent_spans(turns=1, resource={"tracechat.project": "elsewhere"})
        exporter = grpc_exporter(server.grpc_endpoint, headers={"authorization": f"Bearer {shop.token}"})
        assert exporter.export(spans) is SpanExportResult.SUCCESS
        trace_id = format(spans[0].context.trace_id, "032x")
        assert server.service.store.trace("shop", trace_id) is not None
        assert server.service.store.trace("elsewhere", trace_id) is None

        admin_spans = make_agent_spans(turns=1, resource={"tracechat.project": "elsewhere"})
        basic = http_exporter(server.otlp_http, headers={"Authorization": f"Basic {admin.basic}"})
        assert basic.export(admin_spans) is SpanExportResult.SUCCESS
        admin_trace = format(admin_spans[0].context.trace_id, "032x")
        stored = server.service.store.trace_spans("elsewhere", admin_trace)
        assert {(s.trace_id, s.fields.span_id) for s in stored} == span_ids(admin_spans)
    finally:
        server.stop()


def test_requests_without_a_valid_key_are_refused(tmp_path: Path) -> None:
    keys = KeyRing(tmp_path / "data" / "keys.json")
    key = keys.create(project="shop", admin=False)
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    try:
        headers = {"Content-Type": "application/x-protobuf"}
        for auth in (None, "Bearer tck_0000.nope", f"Bearer {key.key_id}.wrong", "Basic !!!", "Digest x"):
            sent = {**headers, "Authorization": auth} if auth else headers
            response = httpx.post(f"{server.otlp_http}/v1/traces", content=b"", headers=sent)
            assert response.status_code == 401, auth
        with grpc.insecure_channel(server.grpc_endpoint) as channel:
            export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
            with pytest.raises(grpc.RpcError) as caught:
                export(b"", timeout=30)
        assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
        assert httpx.get(f"{server.api}/metrics").status_code == 401
        assert httpx.get(f"{server.api}/metrics", headers={"Authorization": f"Bearer {key.token}"}).status_code == 200
    finally:
        server.stop()


def test_keys_created_while_running_take_effect_within_a_second(tmp_path: Path) -> None:
    clock = ManualClock()
    server = InProcessServer(settings_for_test(tmp_path / "data"), clock=clock)
    try:
        headers = {"Content-Type": "application/x-protobuf"}
        assert httpx.post(f"{server.otlp_http}/v1/traces", content=b"", headers=headers).status_code == 200
        KeyRing(tmp_path / "data" / "keys.json").create(project="shop", admin=False)
        clock.advance(0.9)  # not yet looked at again
        assert httpx.post(f"{server.otlp_http}/v1/traces", content=b"", headers=headers).status_code == 200
        clock.advance(0.1)
        assert httpx.post(f"{server.otlp_http}/v1/traces", content=b"", headers=headers).status_code == 401
    finally:
        server.stop()


def test_key_file_keeps_only_hashes(tmp_path: Path) -> None:
    keys = KeyRing(tmp_path / "keys.json")
    key = keys.create(project="shop", admin=False)
    text = (tmp_path / "keys.json").read_text()
    assert key.secret not in text
    assert key.key_id in text
    assert (tmp_path / "keys.json").stat().st_mode & 0o077 == 0


def test_open_mode_refuses_a_public_address(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no API keys configured"):
        Service(Settings(data_dir=tmp_path, host="0.0.0.0"))
    result = subprocess.run(
        [sys.executable, "-m", "tracechat", "serve", "--data-dir", str(tmp_path), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr


def test_cli_creates_keys(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tracechat", "keys", "create", "--project", "shop", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    token = next(line.split()[-1] for line in result.stdout.splitlines() if line.startswith("Bearer token"))
    principal = KeyRing(tmp_path / "keys.json").authenticate(f"Bearer {token}")
    assert (principal.project, principal.admin) == ("shop", False)
    bad = subprocess.run(
        [sys.executable, "-m", "tracechat", "keys", "create", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "needs a project" in bad.stderr
