"""The assistant's session tools: the list, and one session read over its traces."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_sessions_api import conversation
from tracechat.chat import tools
from tracechat.chat.analyst import compose, plan
from tracechat.model.summaries import DEFAULT_WINDOW_HOURS
from tracechat.query.service import TraceQueries
from tracechat.store.analytics import TraceAnalytics
from tracechat.store.duck import DuckDBStore


def _call(store: DuckDBStore, name: str, arguments: dict[str, object]) -> dict[str, object]:
    context = tools.ToolContext("p", TraceAnalytics(store), TraceQueries(store), tools.now_ns())
    result: dict[str, object] = json.loads(tools.call(context, name, json.dumps(arguments)))
    return result


def test_the_assistant_lists_and_reads_sessions(store: DuckDBStore) -> None:
    turns = conversation("support-42", tools.now_ns() - 3600 * 10**9)
    for trace in turns:
        trace.store_in(store)
    conversation("elsewhere", tools.now_ns() - 3600 * 10**9)[0].store_in(store, project="other")
    listed = _call(store, "list_sessions", {"hours": 24})
    assert listed["total"] == 1
    (session,) = listed["sessions"]  # type: ignore[misc]
    assert (session["session_id"], session["turns"], session["agents"]) == ("support-42", 4, ["bot"])
    assert _call(store, "list_sessions", {"hours": 24, "agent": "nobody"})["total"] == 0
    assert _call(store, "list_sessions", {"hours": 1, "limit": 5})["total"] == 1  # active until now-ish

    read = _call(store, "get_session", {"session_id": "support-42"})
    assert [t["trace_id"] for t in read["traces"]] == [t.trace_hex for t in turns]  # type: ignore[attr-defined]
    steps = read["steps"]
    said = [(s["type"], s.get("text")) for s in steps if s["type"] in ("user_message", "assistant_message")]  # type: ignore[attr-defined]
    assert said == [
        ("user_message", "Hi"),
        ("assistant_message", "Hello!"),
        ("user_message", "Hi"),
        ("assistant_message", "Hello again!"),
        ("user_message", "Paris?"),
        ("assistant_message", None),
        ("assistant_message", "It is sunny in Paris."),
    ]
    assert steps[-1]["trace_id"] == turns[-1].trace_hex  # type: ignore[index]
    assert "no session 'elsewhere'" in str(_call(store, "get_session", {"session_id": "elsewhere"})["error"])
    assert "session_id is required" in str(_call(store, "get_session", {})["error"])
    assert {"list_sessions", "get_session"} <= {d["function"]["name"] for d in tools.definitions()}


@pytest.mark.parametrize(
    ("question", "call"),
    [
        ("Show me session thread-weather-0002", ("get_session", {"session_id": "thread-weather-0002"})),
        ("What happened in conversation 01a23131-6f10?", ("get_session", {"session_id": "01a23131-6f10"})),
        ("Which sessions were active today?", ("list_sessions", {"hours": 24})),
        ("list the recent conversations", ("list_sessions", {"hours": DEFAULT_WINDOW_HOURS})),
    ],
)
def test_the_analyst_asks_for_sessions(question: str, call: tuple[str, dict[str, object]]) -> None:
    assert plan(question) == [call]


def test_the_analyst_writes_sessions_from_the_tools(store: DuckDBStore) -> None:
    for trace in conversation("support-42", tools.now_ns() - 3600 * 10**9):
        trace.store_in(store)
    listed = compose([("list_sessions", _call(store, "list_sessions", {"hours": 24}))])
    assert "`support-42` [bot]: 4 turns, $" in listed
    read = compose([("get_session", _call(store, "get_session", {"session_id": "support-42"}))])
    assert read.startswith("**Session `support-42`** (4 traces, ")
    assert "- user_message [bot]" in read
    missing = compose([("get_session", _call(store, "get_session", {"session_id": "nope"}))])
    assert missing.startswith("I could not read that session: no session 'nope'")
