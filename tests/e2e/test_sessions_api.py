"""The session endpoints over real HTTP: a conversation traced turn by turn, each turn
repeating the history in its model input, read back as one trajectory; the list, its
window and paging; errors."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.e2e.test_traces_api import send
from tests.samples import ALL_TIME
from tests.servers import InProcessServer
from tests.traces import BASE_NS, TraceBuilder, as_json

SYSTEM = "You are a weather bot."


def _text(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": text}]}


CALL = {
    "role": "assistant",
    "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}],
}
RESULT = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "sunny"}]}


def turn(
    session: str,
    base_ns: int,
    inputs: list[dict[str, Any]],
    output: dict[str, Any],
    agent: str = "bot",
    system: str = SYSTEM,
) -> TraceBuilder:
    """One trace: an agent span naming the session, one model call."""
    trace = TraceBuilder(base_ns=base_ns)
    root = trace.span(
        f"invoke_agent {agent}",
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent, "gen_ai.conversation.id": session},
        duration_ms=50,
    )
    trace.span(
        "chat gpt-4o",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.provider.name": "openai",
            "gen_ai.usage.input_tokens": 10 * len(inputs),
            "gen_ai.usage.output_tokens": 5,
            "gen_ai.input.messages": as_json([_text("system", system), *inputs]),
            "gen_ai.output.messages": as_json([output]),
        },
        parent=root,
        start_ms=1,
    )
    return trace


def conversation(session: str, base_ns: int) -> list[TraceBuilder]:
    """Four turns: "Hi" twice (asked again: a new turn), a question whose tool call waits
    for approval, and the turn that resumes it with the result."""
    hello, again, weather = _text("assistant", "Hello!"), _text("assistant", "Hello again!"), _text("user", "Paris?")
    history: list[dict[str, Any]] = [_text("user", "Hi")]
    turns = [turn(session, base_ns, history, hello)]
    history += [hello, _text("user", "Hi")]
    turns.append(turn(session, base_ns + 10**9, history, again))
    history += [again, weather]
    turns.append(turn(session, base_ns + 2 * 10**9, history, CALL))
    history += [CALL, RESULT]
    turns.append(turn(session, base_ns + 3 * 10**9, history, _text("assistant", "It is sunny in Paris.")))
    return turns


def outline(trajectory: dict[str, Any]) -> list[tuple[str, str | None]]:
    main = {"agent_start": "model", "user_message": "text", "assistant_message": "text", "tool_call": "tool_result"}
    return [(m["type"], m[m["type"]].get(main.get(m["type"], ""))) for m in trajectory["messages"]]


def read(server: InProcessServer, session: str, **extra: Any) -> httpx.Response:
    return httpx.post(
        f"{server.api}/agents/sessions/chat", json={"project_id": "default", "session_id": session, **extra}
    )


def test_a_session_reads_as_one_conversation(server: InProcessServer) -> None:
    turns = conversation("chat-1", BASE_NS)
    for trace in reversed(turns):  # the order they arrive in does not matter
        send(server, trace)
    response = read(server, "chat-1", include_feedback=True)
    assert response.status_code == 200
    trajectory = response.json()
    assert outline(trajectory) == [
        ("agent_start", "gpt-4o"),
        ("user_message", "Hi"),
        ("assistant_message", "Hello!"),
        ("user_message", "Hi"),
        ("assistant_message", "Hello again!"),
        ("user_message", "Paris?"),
        ("assistant_message", None),
        ("tool_call", "sunny"),  # asked in turn 3, its result brought by turn 4
        ("assistant_message", "It is sunny in Paris."),
    ]
    order = [t.trace_hex for t in turns]
    assert [t["trace_id"] for t in trajectory["traces"]] == order
    assert [m["trace_id"] for m in trajectory["messages"]] == [order[i] for i in (0, 0, 0, 1, 1, 2, 2, 2, 3)]
    spans = {t.trace_hex: {s.span_id.hex() for s in t.spans} for t in turns}
    assert all(m["span_id"] in spans[m["trace_id"]] for m in trajectory["messages"])
    assert all(m["feedback"] == [] for m in trajectory["messages"])
    assert trajectory["traces"][0]["feedback"] == []
    tokens = sum(m["assistant_message"]["input_tokens"] for m in trajectory["messages"] if m.get("assistant_message"))
    assert tokens == 10 + 30 + 50 + 70


def test_a_changed_instruction_starts_the_agent_again(server: InProcessServer) -> None:
    first = turn("chat-2", BASE_NS, [_text("user", "Hi")], _text("assistant", "Hello!"))
    second = turn(
        "chat-2",
        BASE_NS + 10**9,
        [_text("user", "Hi"), _text("assistant", "Hello!"), _text("user", "Bye")],
        _text("assistant", "Bye!"),
        system="Be brief.",
    )
    for trace in (first, second):
        send(server, trace)
    types = [
        (m["type"], m.get("agent_start", {}).get("system_instructions"))
        for m in read(server, "chat-2").json()["messages"]
    ]
    assert types == [
        ("agent_start", "You are a weather bot."),
        ("user_message", None),
        ("assistant_message", None),
        ("agent_start", "Be brief."),
        ("user_message", None),
        ("assistant_message", None),
    ]


def test_the_list_pages_newest_first_in_the_default_window(server: InProcessServer, clock: datetime) -> None:
    now = time.time_ns()
    old = turn("old-session", now - 30 * 24 * 3600 * 10**9, [_text("user", "Hi")], _text("assistant", "Hello!"))
    send(server, old)
    for number in range(3):
        for trace in conversation(f"s{number}", now - (60 - number) * 10**9)[:2]:
            send(server, trace)
    other = turn("by-another-agent", now - 10**9, [_text("user", "Hi")], _text("assistant", "Yo"), agent="other")
    send(server, other)
    listing = httpx.get(f"{server.api}/agents/sessions").json()
    assert [s["session_id"] for s in listing["sessions"]] == ["by-another-agent", "s2", "s1", "s0"]
    assert listing["total"] == 4
    s2 = listing["sessions"][1]
    assert (s2["turns"], s2["input_tokens"], s2["output_tokens"], s2["agents"], s2["models"]) == (
        2,
        40,
        10,
        ["bot"],
        ["gpt-4o"],
    )
    assert s2["cost"] > 0
    assert not s2["has_error"]
    assert s2["started_at"] < s2["last_at"]
    page = httpx.get(f"{server.api}/agents/sessions", params={"limit": 2, "offset": 1, "agent_name": "bot"}).json()
    assert ([s["session_id"] for s in page["sessions"]], page["total"]) == (["s1", "s0"], 3)
    everything = httpx.get(f"{server.api}/agents/sessions", params={"since": ALL_TIME}).json()
    assert everything["total"] == 5


@pytest.mark.parametrize(
    "body",
    [
        {"project_id": "default"},
        {"project_id": "default", "session_id": ""},
        {"session_id": "x"},
        {"project_id": "default", "session_id": "x" * 513},
    ],
)
def test_malformed_requests_are_422(server: InProcessServer, body: dict[str, object]) -> None:
    response = httpx.post(f"{server.api}/agents/sessions/chat", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_unknown_session_is_404_and_unknown_parameters_422(server: InProcessServer) -> None:
    response = read(server, "nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = httpx.get(f"{server.api}/agents/sessions", params={"session": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["message"].endswith("agent_name, limit, offset, project_id, since, until")


def test_feedback_on_a_trace_and_a_span_comes_back_in_the_session(server: InProcessServer) -> None:
    turns = conversation("rated", BASE_NS)[:2]
    for trace in turns:
        send(server, trace)
    second, answer_span = turns[1].trace_hex, turns[1].spans[1].span_id.hex()
    for extra in ({}, {"span_id": answer_span}):
        body = {"project_id": "default", "trace_id": second, "name": "helpful", "score": 1, **extra}
        assert httpx.post(f"{server.api}/agents/traces/feedback", json=body).status_code == 201
    trajectory = read(server, "rated", include_feedback=True).json()
    assert [len(t["feedback"]) for t in trajectory["traces"]] == [0, 1]
    rated = [m for m in trajectory["messages"] if m["feedback"]]  # on the span's first entry, as in one trace
    assert [(m["trace_id"], m["span_id"], m["type"]) for m in rated] == [(second, answer_span, "user_message")]
    assert "feedback" not in read(server, "rated").json()["messages"][0]
