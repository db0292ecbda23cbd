"""``POST /api/v1/chat`` with the body the AI SDK's ``useChat`` sends (``id``, UI messages
with ``parts``, ``trigger``), over real HTTP: the chat it names, a resent history stored
once, regenerating and editing, 400 for a message without text, ``finishReason``. The real
SDK client drives the same rules in test_use_chat_node.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.servers import InProcessServer

CHAT = "/api/v1/chat"
Q1, Q2 = "Which models are there?", "And which errors happened?"


@pytest.fixture
def api(server: InProcessServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.api, timeout=60) as client:
        yield client


def user(message_id: str, text: str) -> dict[str, Any]:
    return {"id": message_id, "role": "user", "parts": [{"type": "text", "text": text}]}


def streamed(api: httpx.Client, body: dict[str, Any], **params: str) -> list[dict[str, Any]]:
    response = api.post(CHAT, params={"stream": "true", **params}, json=body)
    assert response.status_code == 200, response.text
    blocks = [b[len("data: ") :] for b in response.text.split("\n\n") if b.strip()]
    assert blocks[-1] == "[DONE]"
    return [json.loads(b) for b in blocks[:-1]]


def as_the_client_holds_it(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The assistant UI message useChat assembles from a stream (enough of it for these tests)."""
    parts: list[dict[str, Any]] = []
    for chunk in chunks:
        if chunk["type"] == "start-step":
            parts.append({"type": "step-start"})
        elif chunk["type"] == "text-start":
            parts.append({"type": "text", "text": "", "state": "done"})
        elif chunk["type"] == "text-delta":
            parts[-1]["text"] += chunk["delta"]
        elif chunk["type"] == "tool-input-available":
            part = {"toolCallId": chunk["toolCallId"], "state": "input-available", "input": chunk["input"]}
            parts.append({"type": f"tool-{chunk['toolName']}", **part})
        elif chunk["type"] == "tool-output-available":
            call = next(p for p in parts if p.get("toolCallId") == chunk["toolCallId"])
            call.update(state="output-available", output=chunk["output"])
    return {"id": chunks[0]["messageId"], "role": "assistant", "parts": parts}


def stored(api: httpx.Client, chat_id: str, **params: str) -> list[tuple[str, str | None, str | None]]:
    chat = api.get(f"/api/v1/chats/{chat_id}", params=params).json()
    return [(m["role"], (m["metadata"] or {}).get("ui_message_id"), m["content"]) for m in chat["messages"]]


def two_turns(api: httpx.Client, chat_id: str) -> list[dict[str, Any]]:
    """Two useChat turns; the history the client holds after them."""
    history = [user("u1", Q1)]
    first = streamed(api, {"id": chat_id, "messages": history, "trigger": "submit-message"})
    history += [as_the_client_holds_it(first), user("u2", Q2)]
    second = streamed(api, {"id": chat_id, "messages": history, "trigger": "submit-message"})
    return [*history, as_the_client_holds_it(second)]


def test_the_id_names_a_chat_that_the_first_request_creates(api: httpx.Client) -> None:
    body = {"id": "chat-a", "messages": [user("u1", Q1)], "trigger": "submit-message"}
    answer = api.post(CHAT, json=body).json()
    assert answer["chat_id"] == "chat-a"
    chat = api.get("/api/v1/chats/chat-a").json()
    assert (chat["id"], chat["title"]) == ("chat-a", Q1)
    assert chat["messages"][0]["content"] == Q1
    assert chat["messages"][1]["tool_calls"][0]["function"]["name"] == "list_agents_and_models"  # Q1's tool
    elsewhere = api.post(CHAT, params={"project_id": "beta"}, json={**body, "messages": [user("u9", Q2)]}).json()
    assert elsewhere["chat_id"] == "chat-a"
    assert [m[2] for m in stored(api, "chat-a", project_id="beta") if m[0] == "user"] == [Q2]  # its own chat
    assert [m[2] for m in stored(api, "chat-a") if m[0] == "user"] == [Q1]


def test_a_resent_history_is_stored_once(api: httpx.Client) -> None:
    history = two_turns(api, "chat-b")
    assert api.get("/api/v1/chats").json()["total"] == 1
    rows = stored(api, "chat-b")
    assert [r[0] for r in rows] == ["user", "assistant", "tool", "assistant"] * 2
    assert [r[1] for r in rows] == [m["id"] for m in history for _ in range(1 if m["role"] == "user" else 3)]
    assert [r[2] for r in rows if r[0] == "user"] == [Q1, Q2]
    answers = [p["text"] for m in history if m["role"] == "assistant" for p in m["parts"] if p["type"] == "text"]
    assert [r[2] for r in rows if r[0] == "assistant" and r[2]] == answers


def test_regenerate_replaces_the_answer_to_the_last_user_message(api: httpx.Client) -> None:
    history = two_turns(api, "chat-c")
    before = api.get("/api/v1/chats/chat-c").json()
    again = streamed(api, {"id": "chat-c", "messages": history[:3], "trigger": "regenerate-message"})
    after = api.get("/api/v1/chats/chat-c").json()
    assert after["messages"][:5] == before["messages"][:5]  # through the question, untouched
    assert [m["role"] for m in after["messages"]] == ["user", "assistant", "tool", "assistant"] * 2
    assert {m["metadata"]["ui_message_id"] for m in after["messages"][5:]} == {again[0]["messageId"]}
    assert len(after["trace_ids"]) == 3  # the replaced answer stays readable in its turn's trace


def test_resubmitting_an_edited_message_replaces_it_and_what_followed(api: httpx.Client) -> None:
    history = two_turns(api, "chat-d")
    edited = user("u2", "Which agents are there?")
    streamed(api, {"id": "chat-d", "messages": [*history[:2], edited], "trigger": "submit-message", "messageId": "u2"})
    rows = stored(api, "chat-d")
    assert [r[2] for r in rows if r[0] == "user"] == [Q1, "Which agents are there?"]
    assert len(rows) == 8


def test_the_seed_shape_continues_a_chat_by_either_id(api: httpx.Client) -> None:
    streamed(api, {"id": "chat-e", "messages": [user("u1", Q1)]})
    seed = {"chat_id": "chat-e", "messages": [{"role": "user", "content": Q2}]}
    assert api.post(CHAT, json=seed).json()["chat_id"] == "chat-e"
    assert [r[2] for r in stored(api, "chat-e") if r[0] == "user"] == [Q1, Q2]
    assert api.post(CHAT, json={**seed, "chat_id": "no-such-chat"}).status_code == 404  # chat_id never creates


def test_a_deleted_chat_id_is_not_taken_again(api: httpx.Client) -> None:
    streamed(api, {"id": "chat-h", "messages": [user("u1", Q1)]})
    assert api.delete("/api/v1/chats/chat-h").status_code == 204
    again = api.post(CHAT, json={"id": "chat-h", "messages": [user("u1", Q1)]})
    assert again.status_code == 404
    assert "deleted" in again.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"messages": [{"role": "user"}]},
        {"messages": [{"role": "user", "content": ""}]},
        {"id": "chat-f", "messages": [{"id": "u1", "role": "user", "parts": []}]},
        {"id": "chat-f", "messages": [{"id": "u1", "role": "user", "parts": [{"type": "step-start"}]}]},
        {
            "id": "chat-f",
            "messages": [user("u1", Q1), {"id": "u2", "role": "user", "parts": [{"type": "text", "text": " "}]}],
        },
    ],
)
def test_a_message_without_text_is_400_before_anything_is_stored(api: httpx.Client, body: dict[str, Any]) -> None:
    for params in ({}, {"stream": "true"}):
        refused = api.post(CHAT, params=params, json=body)
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["code"] == "invalid_input"
        assert "has no text" in error["message"]
    assert api.get("/api/v1/chats").json()["total"] == 0


def test_ids_that_cannot_name_a_chat_are_400(api: httpx.Client) -> None:
    message = [user("u1", Q1)]
    assert api.post(CHAT, json={"id": "a b", "messages": message}).status_code == 400
    assert api.post(CHAT, json={"id": "x", "chat_id": "y", "messages": message}).status_code == 400
    assert api.post(CHAT, json={"id": "x", "messages": message, "trigger": "resume-stream"}).status_code == 422


def test_finish_says_why_the_answer_ended(api: httpx.Client) -> None:
    chunks = streamed(api, {"id": "chat-g", "messages": [user("u1", Q1)]})
    assert chunks[-1]["type"] == "finish"
    assert chunks[-1]["finishReason"] == "stop"


def test_a_turn_traces_what_it_answers_not_the_resent_history(api: httpx.Client) -> None:
    two_turns(api, "chat-i")
    second = api.get("/api/v1/chats/chat-i").json()["trace_ids"][1]
    spans = api.get(f"/agents/traces/{second}/spans", params={"project_id": "default:analyst"}).json()["spans"]
    root = next(s for s in spans if s["parent_span_id"] is None)
    asked = json.loads(root["attributes"]["gen_ai.input.messages"])
    assert [(m["role"], m["parts"][0]["content"]) for m in asked] == [("user", Q2)]
    trajectory = api.post("/agents/traces/chat", json={"project_id": "default:analyst", "trace_id": second}).json()
    assert [m["user_message"]["text"] for m in trajectory["messages"] if m["type"] == "user_message"] == [Q2]
