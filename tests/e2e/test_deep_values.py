"""Values nested too deep to be worth reading: refused where they enter (OTLP/JSON bodies,
feedback, chat metadata) with a 400 naming the limit; and where they are already stored (an
attribute holding a deeply nested JSON string, a feedback row from before the limit) every
reader still answers 200, showing the value as text."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.servers import InProcessServer
from tests.traces import TraceBuilder, as_json
from tracechat.chat.tools import ToolContext, call, now_ns
from tracechat.genai.values import bounded_json, nested_deeper_than, parse_json, structured
from tracechat.store.analytics import TraceAnalytics

DEPTHS = [300, 1_100, 20_000]


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


def nested_text(depth: int) -> str:
    """The JSON text of ``nested(depth)``, built without recursion."""
    opening = "".join('{"k":' if level % 2 else "[" for level in reversed(range(depth)))
    closing = "".join("}" if level % 2 else "]" for level in range(depth))
    return opening + '"bottom"' + closing


@pytest.mark.parametrize("depth", [1_100, 20_000])
def test_parse_json_refuses_deep_documents_with_a_value_error(depth: int) -> None:
    with pytest.raises(ValueError, match="nested deeper than 1024 levels"):
        parse_json(nested_text(depth))
    assert structured(nested_text(depth)) is None  # not read as a structure, nor "repaired"
    assert structured(nested_text(depth)[:-5]) is None  # cut short too


def test_parse_json_still_reads_what_nests_within_its_bound() -> None:
    assert parse_json(nested_text(300)) == nested(300)
    assert bounded_json(nested_text(300)) == nested_text(300)  # past the entry bound: text
    assert bounded_json(nested_text(60)) == nested(60)
    assert not nested_deeper_than(nested(64), 64)
    assert nested_deeper_than(nested(65), 64)
    assert nested_deeper_than(nested(100_000), 64)


def _poisoned_trace(depth: int) -> TraceBuilder:
    deep = nested_text(depth)
    trace = TraceBuilder()
    agent = trace.span("invoke_agent deep", {"gen_ai.operation.name": "invoke_agent", "app.payload": deep})
    trace.span(
        "chat gpt-4o",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": "["
            + as_json({"role": "user", "parts": [{"type": "text", "content": "hi"}]})[:-1]
            + ', "extra": '
            + deep
            + "}]",
            "gen_ai.output.messages": as_json(
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "tool_call", "id": "c1", "name": "lookup", "arguments": {"q": "x"}}],
                    }
                ]
            ),
        },
        parent=agent,
        start_ms=1,
    )
    trace.span(
        "execute_tool lookup",
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "lookup",
            "gen_ai.tool.call.id": "c1",
            "gen_ai.tool.call.arguments": deep,
            "gen_ai.tool.call.result": deep,
        },
        parent=agent,
        start_ms=2,
    )
    return trace


@pytest.mark.parametrize("depth", DEPTHS)
def test_a_deeply_nested_attribute_leaves_every_reader_answering(server: InProcessServer, depth: int) -> None:
    trace = _poisoned_trace(depth)
    trace.store_in(server.service.store, project="default")
    body = {"project_id": "default", "trace_id": trace.trace_hex, "include_feedback": True}
    trajectory = httpx.post(f"{server.api}/agents/traces/chat", json=body, timeout=60)
    assert trajectory.status_code == 200, trajectory.text
    tool = next(m["tool_call"] for m in trajectory.json()["messages"] if m["type"] == "tool_call")
    assert tool["tool_arguments"].startswith(nested_text(depth)[:1000]), "shown as text"
    refs = [ref for m in trajectory.json()["messages"] for ref in m[m["type"]].get("content_refs") or ()]
    for ref in refs:
        assert httpx.get(f"{server.api}/agents/traces/content/{ref}", timeout=60).status_code == 200
    assert refs or depth < 20_000, "the longest payload is referenced as content"
    spans = httpx.get(f"{server.api}/agents/traces/{trace.trace_hex}/spans", timeout=60)
    assert spans.status_code == 200, spans.text
    payloads = [s["attributes"].get("app.payload") for s in spans.json()["spans"]]
    assert nested_text(depth) in payloads
    listed = httpx.get(f"{server.api}/agents/traces", params={"since": "1970-01-01T00:00:00Z"}, timeout=60)
    assert listed.status_code == 200
    context = ToolContext("default", TraceAnalytics(server.service.store), server.service.traces, now_ns())
    answer = json.loads(call(context, "get_trajectory", json.dumps({"trace_id": trace.trace_hex})))
    assert "error" not in answer, answer
    assert answer["trace_id"] == trace.trace_hex


@pytest.mark.parametrize("depth", [256, 1_100])
def test_deep_feedback_is_refused_at_entry(server: InProcessServer, depth: int) -> None:
    trace = _poisoned_trace(3)
    trace.store_in(server.service.store, project="default")
    body = {"project_id": "default", "trace_id": trace.trace_hex, "name": "deep", "value": "VALUE"}
    text = json.dumps(body).replace('"VALUE"', nested_text(depth))
    response = httpx.post(f"{server.api}/agents/traces/feedback", content=text, timeout=60, headers=_JSON)
    assert response.status_code == 400, response.text
    assert "nested deeper than 64 levels" in response.json()["error"]["message"]
    shallow = {**body, "value": nested(60)}  # with the body around it: 61 levels
    assert httpx.post(f"{server.api}/agents/traces/feedback", json=shallow, timeout=60).status_code == 201


def test_the_nesting_bound_is_exact_at_64_levels(server: InProcessServer) -> None:
    """The body's own object is a level: a value of 63 levels makes 64 (taken), 64 makes 65
    (refused); the bracket count that lets shallow bodies skip the walk must not shift it."""
    trace = _poisoned_trace(3)
    trace.store_in(server.service.store, project="default")
    body = {"project_id": "default", "trace_id": trace.trace_hex, "name": "edge"}
    taken = httpx.post(f"{server.api}/agents/traces/feedback", json={**body, "value": nested(63)}, timeout=60)
    assert taken.status_code == 201, taken.text
    refused = httpx.post(f"{server.api}/agents/traces/feedback", json={**body, "value": nested(64)}, timeout=60)
    assert refused.status_code == 400, refused.text


def test_deep_feedback_stored_before_the_limit_reads_as_text(server: InProcessServer) -> None:
    trace = _poisoned_trace(3)
    trace.store_in(server.service.store, project="default")
    server.service.store.cursor().execute(
        "INSERT INTO feedback VALUES ('f1', 'default', ?, NULL, 'deep', NULL, NULL, ?, NULL, NULL, now())",
        [trace.trace_hex, nested_text(300)],
    )
    body = {"project_id": "default", "trace_id": trace.trace_hex, "include_feedback": True}
    response = httpx.post(f"{server.api}/agents/traces/chat", json=body, timeout=60)
    assert response.status_code == 200, response.text
    [feedback] = response.json()["feedback"]
    assert feedback["value"] == nested_text(300)


_JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("depth", [300, 100_000])
def test_deep_chat_metadata_is_refused_at_entry(server: InProcessServer, depth: int) -> None:
    chat = httpx.post(f"{server.api}/api/v1/chats", json={}, timeout=60).json()
    message = '{"role": "user", "content": "hi", "metadata": {"k": ' + nested_text(depth) + "}}"
    body = '{"messages": [' + message + "]}"
    response = httpx.put(f"{server.api}/api/v1/chats/{chat['id']}", content=body, headers=_JSON, timeout=60)
    assert response.status_code == 400, response.text
    assert "nested deeper than" in response.json()["error"]["message"]
    assert httpx.get(f"{server.api}/api/v1/chats/{chat['id']}", timeout=60).status_code == 200


def test_deep_chat_metadata_stored_before_the_limit_reads_as_text(server: InProcessServer) -> None:
    chat = httpx.post(f"{server.api}/api/v1/chats", json={}, timeout=60).json()
    server.service.store.cursor().execute(
        "INSERT INTO chat_messages (chat_id, role, content, metadata, created_at) VALUES (?, 'user', 'hi', ?, now())",
        [chat["id"], '{"k": ' + nested_text(300) + "}"],
    )
    server.service.store.cursor().execute("UPDATE chats SET message_count = 1 WHERE id = ?", [chat["id"]])
    response = httpx.get(f"{server.api}/api/v1/chats/{chat['id']}", timeout=60)
    assert response.status_code == 200, response.text
    [message] = response.json()["messages"]
    assert message["metadata"] == {"unreadable": '{"k": ' + nested_text(300) + "}"}


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_an_otlp_json_body_nested_deep_is_400(server: InProcessServer, depth: int) -> None:
    value = '{"kvlistValue": {"values": [{"key": "k", "value": ' * depth
    value += '{"stringValue": "x"}' + "}]}}" * depth
    span = '{"traceId": "' + "ab" * 16 + '", "spanId": "' + "cd" * 8 + '", "name": "s", "attributes": '
    span += '[{"key": "deep", "value": ' + value + "}]}"
    body = '{"resourceSpans": [{"scopeSpans": [{"spans": [' + span + "]}]}]}"
    response = httpx.post(f"{server.otlp_http}/v1/traces", content=body, headers=_JSON, timeout=60)
    assert response.status_code == 400, response.text[:500]
    assert "nested" in response.text
