"""Tenant isolation end to end: keys for projects A and B, data in both; every read endpoint
called with the other project's key answers 403 or 404 and shows none of the data."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx

from tests.servers import InProcessServer, settings_for_test
from tests.traces import TraceBuilder, as_json
from tracechat.auth.keys import KeyRing
from tracechat.ingest.otlp import Encoding, encode_trace_request

SECRET = "alpha's secret message"
SESSION = "alpha-session-7"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def _trace() -> TraceBuilder:
    trace = TraceBuilder()
    parts = [
        {"type": "text", "content": SECRET},
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": PNG},
    ]
    trace.span(
        "chat m",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": as_json([{"role": "user", "parts": parts}]),
            "session.id": SESSION,
        },
    )
    return trace


def test_nothing_of_one_project_reaches_another_projects_key(tmp_path: Path) -> None:
    keys = KeyRing(tmp_path / "data" / "keys.json")
    alpha, beta = keys.create(project="alpha", admin=False), keys.create(project="beta", admin=False)
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    try:
        a = {"Authorization": f"Bearer {alpha.token}"}
        b = {"Authorization": f"Bearer {beta.token}"}
        trace = _trace()
        body = encode_trace_request(trace.trace_request(), Encoding.PROTOBUF)
        assert (
            httpx.post(
                f"{server.otlp_http}/v1/traces", content=body, headers={**a, "Content-Type": "application/x-protobuf"}
            ).status_code
            == 200
        )
        with httpx.Client(base_url=server.api, timeout=60) as client:
            ref = client.post(
                "/agents/traces/chat", json={"project_id": "alpha", "trace_id": trace.trace_hex}, headers=a
            ).json()["messages"][1]["user_message"]["content_refs"][0]
            chat = client.post(
                "/api/v1/chat", json={"messages": [{"role": "user", "content": SECRET}]}, headers=a
            ).json()
            agent = client.post("/api/agents", json={"name": "alpha agent"}, headers=a).json()
            client.post(
                "/agents/traces/feedback",
                json={"project_id": "alpha", "trace_id": trace.trace_hex, "name": "n", "comment": SECRET},
                headers=a,
            )

            attempts = [
                ("POST", "/agents/traces/chat", {"json": {"project_id": "alpha", "trace_id": trace.trace_hex}}),
                ("POST", "/agents/traces/chat", {"json": {"project_id": "beta", "trace_id": trace.trace_hex}}),
                ("GET", "/agents/traces", {"params": {"project_id": "alpha"}}),
                ("GET", f"/agents/traces/{trace.trace_hex}/spans", {"params": {"project_id": "alpha"}}),
                ("GET", f"/agents/traces/{trace.trace_hex}/spans", {}),
                ("GET", f"/agents/traces/content/{ref}", {"params": {"project_id": "alpha"}}),
                ("GET", f"/agents/traces/content/{ref}", {}),
                (
                    "POST",
                    "/agents/traces/feedback",
                    {"json": {"project_id": "alpha", "trace_id": trace.trace_hex, "name": "x", "label": "y"}},
                ),
                ("GET", f"/api/v1/chats/{chat['chat_id']}", {}),
                ("PUT", f"/api/v1/chats/{chat['chat_id']}", {"json": {"title": "mine"}}),
                ("DELETE", f"/api/v1/chats/{chat['chat_id']}", {}),
                ("GET", "/api/v1/chats", {"params": {"project_id": "alpha"}}),
                (
                    "POST",
                    "/api/v1/chat",
                    {"json": {"chat_id": chat["chat_id"], "messages": [{"role": "user", "content": "?"}]}},
                ),
                ("GET", f"/api/agents/{agent['id']}/chat", {}),
                ("POST", f"/api/agents/{agent['id']}/chat", {"json": {"message": "?"}}),
                ("DELETE", f"/api/agents/{agent['id']}/chat", {}),
                ("GET", "/api/agents", {"params": {"project_id": "alpha"}}),
                ("GET", "/agents/traces", {"params": {"project_id": "alpha:analyst"}}),
                ("GET", "/agents/sessions", {"params": {"project_id": "alpha"}}),
                ("POST", "/agents/sessions/chat", {"json": {"project_id": "alpha", "session_id": SESSION}}),
                ("POST", "/agents/sessions/chat", {"json": {"project_id": "beta", "session_id": SESSION}}),
                (
                    "GET",
                    f"/agents/traces/{trace.trace_hex}/trajectory",
                    {"params": {"format": "atif", "project_id": "alpha"}},
                ),
                ("GET", f"/agents/traces/{trace.trace_hex}/trajectory", {"params": {"format": "openai"}}),
                (
                    "GET",
                    f"/agents/sessions/{SESSION}/trajectory",
                    {"params": {"format": "atif", "project_id": "alpha"}},
                ),
                ("GET", f"/agents/sessions/{SESSION}/trajectory", {"params": {"format": "openai"}}),
                ("POST", "/admin/exports", {"json": {"project": "alpha"}}),
                (
                    "POST",
                    "/agents/traces/chat",
                    {"json": {"project_id": "alpha:analyst", "trace_id": chat["trace_id"]}},
                ),
            ]
            for method, path, options in attempts:
                response = client.request(method, path, headers=b, **options)
                assert response.status_code in (403, 404), (method, path, response.status_code)
                assert SECRET not in response.text  # (an error may echo the id the caller itself sent)
                assert "alpha agent" not in response.text
            own_lists = ("/agents/traces", "/agents/sessions", "/api/v1/chats", "/api/agents")
            for path in own_lists:
                own = client.get(path, headers=b)
                assert own.status_code == 200
                assert SECRET not in own.text
                assert SESSION not in own.text
                assert trace.trace_hex not in own.text
                assert "alpha agent" not in own.text
            own_turn = {"project_id": chat["trace_project"], "trace_id": chat["trace_id"]}
            assert chat["trace_project"] == "alpha:analyst"
            assert client.post("/agents/traces/chat", json=own_turn, headers=a).status_code == 200  # alpha reads it
            alpha_session = {"project_id": "alpha", "session_id": SESSION}
            assert client.post("/agents/sessions/chat", json=alpha_session, headers=a).status_code == 200
            metrics = client.get("/metrics", headers=b).text
            assert "alpha" not in metrics
            assert "project" not in metrics
            basic = base64.b64encode(f"{alpha.key_id}:{beta.secret}".encode()).decode()
            assert client.get("/agents/traces", headers={"Authorization": f"Basic {basic}"}).status_code == 401
    finally:
        server.stop()
