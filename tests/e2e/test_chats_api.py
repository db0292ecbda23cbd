"""``/api/v1/chats`` (seed 001) over real HTTP: every field, default, limit and error,
soft delete, and isolation between keys' projects."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import time_machine

from tests.servers import InProcessServer, settings_for_test
from tracechat.auth.keys import KeyRing

URL = "/api/v1/chats"


@pytest.fixture
def api(server: InProcessServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.api, timeout=30) as client:
        yield client


def test_create_with_the_seed_example_and_defaults(api: httpx.Client) -> None:
    created = api.post(URL, json={"title": "DeFi VC Outreach"})
    assert created.status_code == 201
    chat = created.json()
    assert set(chat) == {"id", "user_id", "title", "messages", "trace_ids", "created_at", "updated_at"}
    assert chat["title"] == "DeFi VC Outreach"
    assert chat["messages"] == []
    assert chat["trace_ids"] == []
    uuid.UUID(chat["id"])
    uuid.UUID(chat["user_id"])
    assert chat["created_at"] == chat["updated_at"]
    assert chat["created_at"].endswith("Z")
    assert api.post(URL).json()["title"] == "New Conversation"
    assert api.post(URL, json={}).json()["title"] == "New Conversation"
    assert api.post(URL, json={"title": "x" * 256}).status_code == 422


def test_get_update_and_replace_messages(api: httpx.Client) -> None:
    with time_machine.travel(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), tick=False):
        chat = api.post(URL, json={"title": "one"}).json()
    with time_machine.travel(datetime(2026, 3, 1, 10, 5, tzinfo=UTC), tick=False):
        renamed = api.put(f"{URL}/{chat['id']}", json={"title": "DeFi VC Outreach — Q2 2026"})
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "DeFi VC Outreach — Q2 2026"
    assert (chat["created_at"], chat["updated_at"]) == ("2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z")
    assert (renamed.json()["created_at"], renamed.json()["updated_at"]) == (
        "2026-03-01T10:00:00Z",
        "2026-03-01T10:05:00Z",
    )
    messages = [
        {"role": "user", "content": "What's the weather like?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_123",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"location": "Tokyo"}'},
                }
            ],
        },
        {"role": "tool", "content": "sunny", "tool_call_id": "call_123", "metadata": {"source": "test"}},
    ]
    replaced = api.put(f"{URL}/{chat['id']}", json={"messages": messages}).json()
    got = [
        {k: v for k, v in m.items() if k not in ("id", "created_at") and v is not None} for m in replaced["messages"]
    ]
    assert got == [{k: v for k, v in m.items() if v is not None} for m in messages]
    ids = [m["id"] for m in replaced["messages"]]
    assert ids == sorted(ids)
    assert all(isinstance(i, int) for i in ids)
    assert _message_count(api, chat["id"]) == 3
    again = api.put(f"{URL}/{chat['id']}", json={"messages": messages[:1]}).json()
    assert len(again["messages"]) == 1
    assert _message_count(api, chat["id"]) == 1
    assert api.get(f"{URL}/{chat['id']}").json() == again
    assert api.put(f"{URL}/{chat['id']}", json={"messages": [{"role": "robot", "content": "x"}]}).status_code == 422
    assert api.put(f"{URL}/{chat['id']}", json={"title": "y" * 256}).status_code == 422


def _message_count(api: httpx.Client, chat_id: str) -> int:
    count: int = next(c["message_count"] for c in api.get(URL).json()["chats"] if c["id"] == chat_id)
    return count


def test_list_pages_orders_and_excludes_deleted(api: httpx.Client) -> None:
    ids = [api.post(URL, json={"title": f"chat {n}"}).json()["id"] for n in range(4)]
    api.put(f"{URL}/{ids[0]}", json={"title": "touched last"})
    listing = api.get(URL).json()
    assert (listing["total"], listing["limit"], listing["offset"]) == (4, 50, 0)
    assert listing["chats"][0]["id"] == ids[0]  # updated_at, newest first
    assert "messages" not in listing["chats"][0]
    by_creation = api.get(URL, params={"order_by": "created_at", "order": "asc"}).json()
    assert [c["id"] for c in by_creation["chats"]] == ids
    page = api.get(URL, params={"limit": 2, "offset": 1, "order_by": "created_at", "order": "asc"}).json()
    assert [c["id"] for c in page["chats"]] == ids[1:3]
    assert api.delete(f"{URL}/{ids[1]}").status_code == 204
    after = api.get(URL).json()
    assert after["total"] == 3
    assert ids[1] not in [c["id"] for c in after["chats"]]
    assert api.get(f"{URL}/{ids[1]}").status_code == 404
    assert api.delete(f"{URL}/{ids[1]}").status_code == 404
    for bad in ({"limit": 101}, {"limit": 0}, {"offset": -1}, {"order_by": "title"}, {"order": "up"}):
        assert api.get(URL, params=bad).status_code == 422


def test_soft_deleted_chats_stay_stored(server: InProcessServer, api: httpx.Client) -> None:
    chat = api.post(URL, json={"title": "keep me"}).json()
    api.delete(f"{URL}/{chat['id']}")
    row = (
        server.service.stores.records.cursor()
        .execute("SELECT title, deleted_at IS NOT NULL FROM chats WHERE id = ?", [chat["id"]])
        .fetchone()
    )
    assert row == ("keep me", True)


def test_unknown_chat_is_404(api: httpx.Client) -> None:
    missing = str(uuid.uuid4())
    assert api.get(f"{URL}/{missing}").status_code == 404
    assert api.put(f"{URL}/{missing}", json={"title": "x"}).status_code == 404
    assert api.get(f"{URL}/{missing}").json()["error"]["code"] == "not_found"


def test_keys_see_only_their_projects_chats(tmp_path: Path) -> None:
    keys = KeyRing(tmp_path / "data" / "keys.json")
    alpha, beta = keys.create(project="alpha", admin=False), keys.create(project="beta", admin=False)
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    try:
        with httpx.Client(base_url=server.api) as client:
            as_alpha = {"Authorization": f"Bearer {alpha.token}"}
            as_beta = {"Authorization": f"Bearer {beta.token}"}
            assert client.post(URL).status_code == 401
            chat = client.post(URL, json={"title": "alpha's"}, headers=as_alpha).json()
            assert client.get(f"{URL}/{chat['id']}", headers=as_beta).status_code == 404
            assert client.put(f"{URL}/{chat['id']}", json={"title": "mine"}, headers=as_beta).status_code == 404
            assert client.delete(f"{URL}/{chat['id']}", headers=as_beta).status_code == 404
            assert client.get(URL, headers=as_beta).json()["total"] == 0
            assert client.get(URL, params={"project_id": "alpha"}, headers=as_beta).status_code == 403
            assert client.get(URL, headers=as_alpha).json()["total"] == 1
            assert chat["user_id"] != client.post(URL, headers=as_beta).json()["user_id"]
    finally:
        server.stop()
