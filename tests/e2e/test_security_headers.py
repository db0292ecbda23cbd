"""What the browser is told: referenced content is sandboxed and downloaded unless it is a
raster image; every page and API answer carries CSP, nosniff, no framing and no referrer;
open mode answers only loopback Host names (DNS rebinding)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.hostile import ATTACHMENTS, hostile_trace
from tests.servers import InProcessServer, settings_for_test
from tracechat.api.security import is_loopback_host
from tracechat.auth.keys import KeyRing


def _refs(server: InProcessServer) -> dict[str, str]:
    trace = hostile_trace()
    trace.store_in(server.service.store, project="default")
    answer = httpx.post(
        f"{server.api}/agents/traces/chat", json={"project_id": "default", "trace_id": trace.trace_hex}, timeout=30
    ).json()
    user = next(m["user_message"] for m in answer["messages"] if m["type"] == "user_message")
    return dict(zip(ATTACHMENTS, user["content_refs"], strict=True))


@pytest.mark.parametrize("media_type", ["text/html", "image/svg+xml"])
def test_scriptable_content_is_a_sandboxed_download(server: InProcessServer, media_type: str) -> None:
    ref = _refs(server)[media_type]
    response = httpx.get(f"{server.api}/agents/traces/content/{ref}", timeout=30)
    assert response.status_code == 200
    assert response.content == ATTACHMENTS[media_type]
    assert response.headers["content-disposition"] == f'attachment; filename="{ref}"'
    policy = response.headers["content-security-policy"]
    assert policy.startswith("sandbox; default-src 'none'")
    assert "script" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_raster_image_is_inline_but_sandboxed(server: InProcessServer) -> None:
    ref = _refs(server)["image/png"]
    response = httpx.get(f"{server.api}/agents/traces/content/{ref}", timeout=30)
    assert (response.headers["content-type"], response.content) == ("image/png", ATTACHMENTS["image/png"])
    assert response.headers["content-disposition"].startswith("inline;")
    assert response.headers["content-security-policy"].startswith("sandbox; default-src 'none'")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/", "/traces/" + "ab" * 16, "/chat", "/viewer/app.js", "/healthz", "/agents/traces"])
def test_pages_and_api_answers_carry_the_security_headers(server: InProcessServer, path: str) -> None:
    response = httpx.get(f"{server.api}{path}", timeout=30)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_errors_carry_them_too(server: InProcessServer) -> None:
    response = httpx.get(f"{server.api}/no/such/page", timeout=30)
    assert response.status_code == 404
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_docs_allow_only_their_own_inline_script_by_hash(server: InProcessServer) -> None:
    response = httpx.get(f"{server.api}/docs", timeout=30)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert int(response.headers["content-length"]) == len(response.content)


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "10.0.0.7", "127.0.0.1.nip.io", "[2001:db8::1]:80"]
)
def test_open_mode_refuses_other_host_names(server: InProcessServer, host: str) -> None:
    for path in ("/agents/traces", "/", "/healthz"):
        response = httpx.get(f"{server.api}{path}", headers={"Host": host}, timeout=30)
        assert response.status_code == 421, (path, host)
        assert response.json()["error"]["code"] == "misdirected_request"
        assert "answers only loopback host names" in response.json()["error"]["message"]


def test_open_mode_otlp_http_refuses_other_host_names(server: InProcessServer) -> None:
    headers = {"Content-Type": "application/x-protobuf"}
    refused = httpx.post(f"{server.otlp_http}/v1/traces", content=b"", headers={**headers, "Host": "evil.example"})
    assert refused.status_code == 421
    assert httpx.post(f"{server.otlp_http}/v1/traces", content=b"", headers=headers).status_code == 200


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:1234", "[::1]:8000", "LOCALHOST", "[::1]"])
def test_open_mode_answers_loopback_host_names(server: InProcessServer, host: str) -> None:
    response = httpx.get(f"{server.api}/agents/traces", headers={"Host": host}, timeout=30)
    assert response.status_code == 200


def test_a_closed_server_answers_any_host_name(tmp_path: Path) -> None:
    key = KeyRing(tmp_path / "data" / "keys.json").create(project="shop", admin=False)
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    try:
        headers = {"Host": "tracechat.example.com", "Authorization": f"Bearer {key.token}"}
        assert httpx.get(f"{server.api}/agents/traces", headers=headers, timeout=30).status_code == 200
        assert httpx.get(f"{server.api}/agents/traces", headers={"Host": "x.example"}, timeout=30).status_code == 401
    finally:
        server.stop()


def test_host_names_read_as_loopback_or_not() -> None:
    assert all(map(is_loopback_host, ["localhost", "127.0.0.1", "127.1.2.3:9", "[::1]", "[::1]:80", "::1"]))
    assert not any(map(is_loopback_host, ["", "[::1", "localhost.evil", "0.0.0.0", "example.com:80", "[::2]"]))
