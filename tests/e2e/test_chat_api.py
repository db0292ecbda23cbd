"""``POST /api/v1/chat`` (seed 000) with the built-in analyst over real traces from
sample_traces/: JSON answers, continuing a chat, the AI SDK UI message stream parsed event
by event, and errors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.samples import load_recent_samples
from tests.servers import InProcessServer
from tests.traces import TraceBuilder
from tracechat.ingest.otlp import Encoding, encode_trace_request


@pytest.fixture
def api(server: InProcessServer, clock: datetime) -> Iterator[httpx.Client]:
    load_recent_samples(server.service.receiver)
    with httpx.Client(base_url=server.api, timeout=60) as client:
        yield client


def ask(api: httpx.Client, question: str, **extra: Any) -> httpx.Response:
    return api.post("/api/v1/chat", json={"messages": [{"role": "user", "content": question}], **extra})


def sse(response: httpx.Response) -> list[Any]:
    events = []
    for block in response.text.split("\n\n"):
        if block.strip():
            assert block.startswith("data: "), block
            payload = block[len("data: ") :]
            events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


def _send_failures(api: httpx.Client, server: InProcessServer) -> TraceBuilder:
    """A trace, two minutes old, with three failed spans in two groups."""
    trace = TraceBuilder(base_ns=time.time_ns() - 120 * 10**9)
    agent = trace.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    for start in (10, 30):
        trace.span(
            "execute_tool get_weather", {"gen_ai.tool.name": "get_weather"}, parent=agent, start_ms=start, error=True
        )
        trace.spans[-1].status.message = "upstream timed out"
    trace.span("chat gpt-4o", {"gen_ai.operation.name": "chat"}, parent=agent, start_ms=50, error=True)
    body = encode_trace_request(trace.trace_request(), Encoding.PROTOBUF)
    headers = {"Content-Type": "application/x-protobuf"}
    assert httpx.post(f"{server.otlp_http}/v1/traces", content=body, headers=headers).status_code == 200
    return trace


def test_seed_example_gets_an_answer_with_usage(api: httpx.Client, server: InProcessServer) -> None:
    # the samples hold nine failed spans, each a tool that fails once: agent-framework-tool-error's,
    # ag2-tool-error's (the trace of 1,721 input tokens, its README says), langfuse-manual-tool-error's
    # (656) and pydantic-ai-v6-delegation-retry's (1,066: its status has no message; the reason is in
    # its exception event, which ingest stores as its status message), the AI SDK ToolLoopAgent's
    # in ai-sdk-tool-loop-agent-error (699), whose tool throws once and is retried (its span is
    # named ai.toolCall: grouped by the tool's name), langsmith-otel-tool-error's (654: its
    # status is OK, its exception event and the result it did not record say it failed),
    # openinference-pydantic-ai-tool-retry's (678: pydantic-ai's ModelRetry, the same message as
    # pydantic-ai-v6-delegation-retry's) and openinference-langchain-js-create-agent's (766: its
    # status message is the error's message and its stack, of which the answer shows the first line),
    # agentscope-react-agent's (991: its span ends OK; its result, AgentScope's ToolResponse, says
    # `state: error`, which ingest stores as the span's failure, its text the message);
    # and one that is no tool: haystack-agent-openllmetry's tracer probe (no tokens), which failed
    # with an ImportError as the instrumentor imported Haystack while its tracing module initialized
    failing = api.get("/agents/traces", params={"has_error": "true"}).json()["traces"]
    by_tokens = {trace["input_tokens"]: trace["trace_id"] for trace in failing}
    assert len(failing) == len(by_tokens) == 10
    haystack = by_tokens.pop(None)
    ag2, langfuse, pydantic = by_tokens.pop(1721), by_tokens.pop(656), by_tokens.pop(1066)
    ai_sdk, langsmith = by_tokens.pop(699), by_tokens.pop(654)
    pydantic_oi, langchain_js, agentscope = by_tokens.pop(678), by_tokens.pop(766), by_tokens.pop(991)
    framework = by_tokens.popitem()[1]
    spans = api.get(f"/agents/traces/{langchain_js}/spans").json()["spans"]
    stack = next(s["status_message"] for s in spans if s["status_message"])  # the message, then its stack
    assert stack.startswith("weather service error: no answer for Paris\n\nError: ")
    retry = "weather service error: no answer for Paris, try again"
    sample_error = (
        f"- 1× `get_weather`: weather service error: unavailable for Paris, try again (e.g. `{agentscope}`)\n"
        f"- 1× `get_weather`: weather service unavailable for Paris (e.g. `{langfuse}`)\n"
        f"- 1× `get_weather`: Error: weather service error: no answer for Paris in time, try again (e.g. `{langsmith}`)\n"
        f"- 1× `get_weather`: weather service unavailable for Paris, try again (e.g. `{ag2}`)\n"
        f"- 1× `get_weather`: weather service error: no answer for Paris in time, try again (e.g. `{ai_sdk}`)\n"
        f"- 1× `get_weather`: TimeoutError('weather service did not answer in time') (e.g. `{framework}`)\n"
        f"- 1× `get_weather`: weather service error: no answer for Paris (e.g. `{langchain_js}`)"  # not its stack
    )
    retried = f"- 2× `get_weather`: {retry} (e.g. `{pydantic_oi}`, `{pydantic}`)"
    answer = ask(api, "What errors are happening in production right now?").json()["response"]
    head = f"**Errors in the last 24 hours** (10 spans in 9 groups):\n{retried}\n{sample_error}\n"
    assert answer.startswith(head)
    probe = answer.removeprefix(head)  # the probe's message is long: shown cut, with the trace
    assert probe.startswith("- 1× `haystack.tracing.auto_enable`: ImportError: cannot import name 'Span' from")
    assert probe.endswith(f"… (e.g. `{haystack}`)")
    assert "\n" not in probe
    failed = _send_failures(api, server)
    response = ask(api, "What errors are happening in production right now?")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"chat_id", "response", "usage", "trace_id", "trace_project"}  # the turn's own trace
    assert set(body["usage"]) == {
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "cost",
        "model",
        "api_calls_count",
    }
    assert body["usage"]["model"] == "tracechat-analyst"
    assert body["usage"]["cost"] == 0
    assert body["usage"]["api_calls_count"] == 2  # plan + answer
    assert body["response"] == (
        "**Errors in the last 24 hours** (13 spans in 11 groups; the 10 largest):\n"
        f"{retried}\n"
        f"- 2× `get_weather`: upstream timed out (e.g. `{failed.trace_hex}`)\n"
        f"{sample_error}\n"
        f"{probe}"
    )  # the eleventh group, the new trace's failed model call, is the oldest of the one-span groups: cut
    assert "chat gpt-4o" not in body["response"]


def test_questions_are_answered_from_the_traces(api: httpx.Client) -> None:
    tokens = ask(api, "Which agent spends the most tokens?").json()["response"]
    assert "`weather_agent` spends the most tokens" in tokens
    catalog = ask(api, "Which agents and models are there?").json()["response"]
    assert "Triage Agent" in catalog
    assert "gpt-4o-mini" in catalog
    assert "get_weather" in catalog
    slow = ask(api, "What are the slowest traces this week?").json()["response"]
    assert "Slowest traces in the last 7 days" in slow
    trace_id = api.get("/agents/traces", params={"q": "Agent workflow"}).json()["traces"][0]["trace_id"]
    about = ask(api, f"What happened in trace {trace_id}?").json()["response"]
    assert trace_id in about
    assert "agent_handoff" in about


def test_a_chat_continues_and_keeps_tool_calls_in_history(api: httpx.Client) -> None:
    first = ask(api, "Which agent spends the most tokens?").json()
    again = ask(api, "And which models are there?", chat_id=first["chat_id"]).json()
    assert again["chat_id"] == first["chat_id"]
    chat = api.get(f"/api/v1/chats/{first['chat_id']}").json()
    assert chat["title"] == "Which agent spends the most tokens?"
    roles = [m["role"] for m in chat["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant"] * 2
    call = chat["messages"][1]["tool_calls"][0]
    assert call["type"] == "function"
    assert call["function"]["name"] == "token_usage"
    assert chat["messages"][2]["tool_call_id"] == call["id"]


def test_stream_is_the_ai_sdk_ui_message_stream(api: httpx.Client) -> None:
    response = api.post(
        "/api/v1/chat",
        params={"stream": "true"},
        json={"messages": [{"role": "user", "content": "Which agent spends the most tokens?"}]},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    events = sse(response)
    assert events[-1] == "[DONE]"
    kinds = [e["type"] for e in events[:-1]]
    assert kinds[0] == "start"
    assert kinds[-1] == "finish"
    assert kinds.count("start-step") == kinds.count("finish-step") == 2
    for opened, closed in (("reasoning-start", "reasoning-end"), ("text-start", "text-end")):
        assert kinds.count(opened) == kinds.count(closed) >= 1
    call = next(e for e in events[:-1] if e["type"] == "tool-input-available")
    output = next(e for e in events[:-1] if e["type"] == "tool-output-available")
    assert (call["toolName"], output["toolCallId"]) == ("token_usage", call["toolCallId"])
    assert kinds.index("tool-output-available") < kinds.index("finish-step")
    text = "".join(e["delta"] for e in events[:-1] if e["type"] == "text-delta")
    assert "`weather_agent` spends the most tokens" in text
    finish = events[-2]
    assert finish["messageMetadata"]["usage"]["model"] == "tracechat-analyst"
    chat_id = events[0]["messageMetadata"]["chatId"]
    assert api.get(f"/api/v1/chats/{chat_id}").status_code == 200


def test_errors(api: httpx.Client) -> None:
    unknown = ask(api, "hi", model="gpt-nope")
    assert unknown.status_code == 400
    assert "tracechat-analyst" in unknown.json()["error"]["message"]
    assert api.post("/api/v1/chat", json={"messages": []}).status_code == 422
    assert api.post("/api/v1/chat", json={"messages": [{"role": "wizard", "content": "x"}]}).status_code == 422
    assert ask(api, "hi", chat_id="00000000-0000-0000-0000-000000000000").status_code == 404
    streamed = api.post(
        "/api/v1/chat",
        params={"stream": "true"},
        json={"messages": [{"role": "user", "content": "x"}], "model": "nope"},
    )
    assert streamed.status_code == 400  # refused before the stream opens


def test_models_are_listed(api: httpx.Client) -> None:
    models = api.get("/api/v1/models").json()["models"]
    assert models[0]["id"] == "tracechat-analyst"
    assert models[0]["provider"] == "tracechat"
    assert "not a language model" in models[0]["description"].lower()


def test_each_turn_is_traced_into_the_store_and_reads_as_a_trajectory(api: httpx.Client) -> None:
    body = ask(api, "Which agent spends the most tokens?").json()
    trace_id = body["trace_id"]
    chat = api.get(f"/api/v1/chats/{body['chat_id']}").json()
    assert chat["trace_ids"] == [trace_id]
    assert body["trace_project"] == "default:analyst"
    trajectory = api.post("/agents/traces/chat", json={"project_id": "default:analyst", "trace_id": trace_id}).json()
    assert trajectory["root_span_name"] == "invoke_agent trace-analyst"
    kinds = [(m["type"], m["agent_name"]) for m in trajectory["messages"]]
    assert kinds == [
        ("agent_start", "trace-analyst"),
        ("user_message", "trace-analyst"),
        ("assistant_message", "trace-analyst"),  # the plan: it only asked for the tool
        ("tool_call", "trace-analyst"),
        ("assistant_message", "trace-analyst"),
    ]
    plan = trajectory["messages"][2]["assistant_message"]
    tool = trajectory["messages"][3]["tool_call"]
    assert plan["tool_calls"] == [{"id": tool["tool_call_id"], "name": "token_usage"}]
    assert tool["tool_name"] == "token_usage"
    assert "weather_agent" in tool["tool_result"]
    answer = trajectory["messages"][4]["assistant_message"]
    assert answer["text"] == body["response"]
    assert answer["model"] == "tracechat-analyst"
    listed = api.get("/agents/traces", params={"q": trace_id, "project_id": "default:analyst"}).json()["traces"][0]
    assert listed["conversation_id"] == body["chat_id"]
    assert api.get("/agents/traces", params={"q": trace_id}).json()["total"] == 0  # not among the user's traces
    assert "tracechat-analyst" not in ask(api, "Which models are there?").json()["response"]
    again = ask(api, "And the errors?", chat_id=body["chat_id"]).json()
    assert api.get(f"/api/v1/chats/{body['chat_id']}").json()["trace_ids"] == [trace_id, again["trace_id"]]


def test_too_many_turns_for_a_key_is_429_with_retry_after(tmp_path: Any) -> None:
    from tests.servers import settings_for_test

    server = InProcessServer(settings_for_test(tmp_path / "data", chat_requests_per_minute=6))
    now = [100.0]
    server.service.chat_limit.clock = lambda: now[0]  # a burst of one, then one turn per 10 s
    try:
        with httpx.Client(base_url=server.api, timeout=60) as client:
            assert ask(client, "Which models are there?").status_code == 200
            limited = ask(client, "Which models are there?")
            assert limited.status_code == 429
            assert limited.headers["Retry-After"] == "10"
            assert limited.json()["error"]["code"] == "rate_limited"
            assert client.get("/api/v1/chats").status_code == 200  # reading is not limited
            now[0] += 7.5
            assert ask(client, "Which models are there?").headers["Retry-After"] == "3"
            now[0] += 2.5
            assert ask(client, "Which models are there?").status_code == 200  # refilled
            assert ask(client, "Which models are there?").status_code == 429
    finally:
        server.stop()


def test_a_question_about_what_was_said_finds_the_traces_that_said_it(api: httpx.Client) -> None:
    every = api.get("/agents/traces", params={"limit": 500}).json()["traces"]
    saying = {t["trace_id"] for t in every if "London" in _trajectory_text(api, t["trace_id"])}
    assert saying
    deadline = time.monotonic() + 5  # the index follows commits within a second (docs/storage.md)
    while (listed := api.get("/agents/traces", params={"q": "London"}).json())["total"] < len(saying):
        assert time.monotonic() < deadline, "the samples never all became searchable"
        time.sleep(0.05)
    assert {t["trace_id"] for t in listed["traces"]} == saying
    expected = {t["trace_id"] for t in listed["traces"][:10]}  # the tool's default page, newest first
    answer = ask(api, "Which traces mention London?").json()["response"]
    assert answer.startswith(f"**{listed['total']} matching traces**")
    assert {trace_id for trace_id in expected if f"`{trace_id}`" in answer} == expected
    assert "London" in answer  # it quotes where the text was found


def _trajectory_text(api: httpx.Client, trace_id: str) -> str:
    return api.post("/agents/traces/chat", json={"project_id": "default", "trace_id": trace_id}).text
