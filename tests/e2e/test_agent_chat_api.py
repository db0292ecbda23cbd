"""``/api/agents`` and ``/api/agents/{id}/chat`` (seed 002) over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.samples import load_recent_samples
from tests.servers import InProcessServer

CHAT = "/api/agents/trace-analyst/chat"


@pytest.fixture
def api(server: InProcessServer, clock: datetime) -> Iterator[httpx.Client]:
    load_recent_samples(server.service.receiver)
    with httpx.Client(base_url=server.api, timeout=60) as client:
        yield client


def events(response: httpx.Response) -> list[Any]:
    return [json.loads(b[len("data: ") :]) for b in response.text.split("\n\n") if b.strip()]


def test_send_with_the_seed_example_and_read_history(api: httpx.Client) -> None:
    sent = api.post(CHAT, json={"message": "Which agent spends the most tokens?", "conversation_id": "conv-123"})
    assert sent.status_code == 200
    reply = sent.json()
    assert reply["role"] == "assistant"
    assert reply["conversation_id"] == "conv-123"
    assert isinstance(reply["id"], int)
    assert "weather_agent" in reply["content"]
    history = api.get(CHAT, params={"limit": 50, "conversation_id": "conv-123"}).json()
    assert [m["role"] for m in history["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert history["meta"] == {"total": 4, "has_more": False}
    call = history["messages"][1]["tool_calls"][0]
    assert call["type"] == "function"
    assert call["function"]["name"] == "token_usage"
    assert history["messages"][2]["tool_call_id"] == call["id"]
    assert history["messages"][-1]["id"] == reply["id"]


def test_paging_before_after_and_has_more(api: httpx.Client) -> None:
    for question in ("Which models are there?", "What errors happened?"):
        api.post(CHAT, json={"message": question, "conversation_id": "paging"})
    everything = api.get(CHAT, params={"conversation_id": "paging"}).json()
    ids = [m["id"] for m in everything["messages"]]
    assert len(ids) == 8
    assert ids == sorted(ids)
    newest_two = api.get(CHAT, params={"conversation_id": "paging", "limit": 2}).json()
    assert [m["id"] for m in newest_two["messages"]] == ids[-2:]
    assert newest_two["meta"] == {"total": 8, "has_more": True}
    older = api.get(CHAT, params={"conversation_id": "paging", "before": ids[4]}).json()
    assert [m["id"] for m in older["messages"]] == ids[:4]
    newer = api.get(CHAT, params={"conversation_id": "paging", "after": ids[5]}).json()
    assert [m["id"] for m in newer["messages"]] == ids[6:]


def test_new_conversation_when_omitted_and_clearing(api: httpx.Client) -> None:
    first = api.post(CHAT, json={"message": "Which models are there?"}).json()
    second = api.post(CHAT, json={"message": "What errors happened?"}).json()
    assert first["conversation_id"] != second["conversation_id"]
    counts = {c["id"]: c["message_count"] for c in api.get("/api/v1/chats").json()["chats"]}
    assert (counts[first["conversation_id"]], counts[second["conversation_id"]]) == (4, 4)
    cleared = api.delete(CHAT, params={"conversation_id": first["conversation_id"]}).json()
    assert cleared == {"success": True, "deleted": 4}
    assert api.get(CHAT, params={"conversation_id": first["conversation_id"]}).json()["meta"]["total"] == 0
    everything = api.delete(CHAT).json()
    assert everything == {"success": True, "deleted": 4}
    counts = {c["id"]: c["message_count"] for c in api.get("/api/v1/chats").json()["chats"]}
    assert (counts[first["conversation_id"]], counts[second["conversation_id"]]) == (0, 0)


def test_a_named_conversation_is_a_chat_under_its_own_name(api: httpx.Client) -> None:
    api.post(CHAT, json={"message": "Which models are there?", "conversation_id": "conv-7"})
    listed = [c for c in api.get("/api/v1/chats").json()["chats"] if c["id"] == "conv-7"]
    assert [c["message_count"] for c in listed] == [4]
    chat = api.get("/api/v1/chats/conv-7").json()
    assert (chat["id"], [m["role"] for m in chat["messages"]]) == ("conv-7", ["user", "assistant", "tool", "assistant"])
    assert api.put("/api/v1/chats/conv-7", json={"title": "renamed"}).json()["title"] == "renamed"
    assert api.delete("/api/v1/chats/conv-7").status_code == 204
    assert api.get("/api/v1/chats/conv-7").status_code == 404


def test_stream_start_delta_done(api: httpx.Client) -> None:
    response = api.post(CHAT, json={"message": "Which agent spends the most tokens?", "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    got = events(response)
    assert got[0]["type"] == "start"
    assert got[-1]["type"] == "done"
    text = "".join(e["content"] for e in got if e["type"] == "delta")
    assert text == got[-1]["message"]["content"]
    assert got[-1]["message"]["role"] == "assistant"


def test_custom_agents_with_their_own_instructions_and_tools(api: httpx.Client) -> None:
    created = api.post(
        "/api/agents",
        json={"name": "Cost watcher", "system_prompt": "Only talk about cost.", "allowed_tools": ["token_usage"]},
    )
    assert created.status_code == 201
    agent = created.json()
    listed = [a["id"] for a in api.get("/api/agents").json()["agents"]]
    assert listed == ["trace-analyst", agent["id"]]
    outside = api.post(
        f"/api/agents/{agent['id']}/chat",
        json={"message": "Which agents and models are there?", "context": {"team": "payments"}},
    ).json()
    assert outside["content"] == "My tools (token_usage) cannot answer that question."
    inside = api.post(f"/api/agents/{agent['id']}/chat", json={"message": "Which model costs the most?"}).json()
    assert "gpt-4o-mini" in inside["content"]
    history = api.get(f"/api/agents/{agent['id']}/chat").json()["messages"]
    assert {c["function"]["name"] for m in history for c in m.get("tool_calls") or ()} == {"token_usage"}
    assert api.post("/api/agents", json={"name": "x", "model": "nope"}).status_code == 400
    assert api.post("/api/agents", json={"name": "x", "allowed_tools": ["rm_rf"]}).status_code == 400


def test_errors(api: httpx.Client) -> None:
    assert api.post("/api/agents/nobody/chat", json={"message": "hi"}).status_code == 404
    assert api.get("/api/agents/nobody/chat").status_code == 404
    assert api.delete("/api/agents/nobody/chat").status_code == 404
    assert api.post(CHAT, json={"message": ""}).status_code == 422
    assert api.post(CHAT, json={"message": "   "}).status_code == 400
    assert api.post(CHAT, json={"message": "hi", "conversation_id": "bad id!"}).status_code == 400


def test_agents_and_conversations_stay_in_their_project(tmp_path: Any) -> None:
    from tests.servers import settings_for_test
    from tracechat.auth.keys import KeyRing

    keys = KeyRing(tmp_path / "data" / "keys.json")
    alpha, beta = keys.create(project="alpha", admin=False), keys.create(project="beta", admin=False)
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    try:
        with httpx.Client(base_url=server.api, timeout=60) as client:
            as_alpha, as_beta = {"Authorization": f"Bearer {alpha.token}"}, {"Authorization": f"Bearer {beta.token}"}
            agent = client.post("/api/agents", json={"name": "Alpha's"}, headers=as_alpha).json()
            client.post(CHAT, json={"message": "Which models?", "conversation_id": "shared-name"}, headers=as_alpha)
            assert client.get(f"/api/agents/{agent['id']}/chat", headers=as_beta).status_code == 404
            assert [a["id"] for a in client.get("/api/agents", headers=as_beta).json()["agents"]] == ["trace-analyst"]
            theirs = client.get(CHAT, params={"conversation_id": "shared-name"}, headers=as_beta).json()
            assert theirs["meta"]["total"] == 0
            assert client.delete(CHAT, headers=as_beta).json()["deleted"] == 0
            assert (
                client.get(CHAT, params={"conversation_id": "shared-name"}, headers=as_alpha).json()["meta"]["total"]
                == 4
            )
            mine = client.post(
                CHAT, json={"message": "Which models?", "conversation_id": "shared-name"}, headers=as_beta
            )
            assert mine.status_code == 200  # the same name in another project is another conversation
            assert (
                client.get(CHAT, params={"conversation_id": "shared-name"}, headers=as_alpha).json()["meta"]["total"]
                == 4
            )
            assert client.post(CHAT, json={"message": "hi"}).status_code == 401
    finally:
        server.stop()
