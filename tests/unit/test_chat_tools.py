"""Tools refuse what an agent may not use, and bad arguments, with errors the model reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.traces import TraceBuilder, as_json
from tracechat.chat import analyst, tools
from tracechat.chat.analyst import compose
from tracechat.model.names import model_family
from tracechat.model.summaries import TraceFilter
from tracechat.query.service import TraceQueries
from tracechat.store.analytics import TraceAnalytics
from tracechat.store.duck import DuckDBStore


def _context(store: DuckDBStore) -> tools.ToolContext:
    return tools.ToolContext("p", TraceAnalytics(store), TraceQueries(store), tools.now_ns())


def test_refusals_are_results_not_exceptions(store: DuckDBStore) -> None:
    context = _context(store)
    assert "no tool named" in json.loads(tools.call(context, "rm_rf", "{}"))["error"]
    refused = json.loads(tools.call(context, "find_errors", "{}", allowed=["token_usage"]))
    assert refused["error"].startswith("no tool named 'find_errors' for this agent; tools: token_usage")
    assert "bad arguments" in json.loads(tools.call(context, "find_errors", "[1]"))["error"]
    assert "bad arguments" in json.loads(tools.call(context, "find_errors", "{not json"))["error"]
    assert "trace_id must be 32" in json.loads(tools.call(context, "get_trajectory", '{"trace_id": "x"}'))["error"]
    missing = json.loads(tools.call(context, "get_trajectory", json.dumps({"trace_id": "ab" * 16})))
    assert "no trace" in missing["error"]
    assert json.loads(tools.call(context, "find_errors", '{"hours": 2}')) == {
        "hours": 2,
        "failed_spans": 0,
        "groups": 0,
        "error_groups": [],
    }


def test_every_tool_has_a_schema_a_provider_accepts(tmp_path: Path) -> None:
    for definition in tools.definitions():
        function = definition["function"]
        assert definition["type"] == "function"
        assert function["parameters"]["type"] == "object"
        assert function["description"]


def _call(trace: TraceBuilder, name: str, tokens: tuple[int, int], parent: str, **attributes: str) -> str:
    return trace.span(
        name,
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": tokens[0],
            "gen_ai.usage.output_tokens": tokens[1],
            "gen_ai.output.messages": as_json([{"role": "assistant", "content": name}]),
            **attributes,
        },
        parent=parent,
        start_ms=len(trace.spans) * 10,
    )


def test_tokens_by_agent_follow_the_agent_the_trajectory_names(store: DuckDBStore) -> None:
    trace = TraceBuilder(base_ns=tools.now_ns() - 60 * 10**9)
    triage = trace.span("invoke_agent triage", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=500)
    _call(trace, "chat triage", (42, 17), triage)  # names no agent: it is the enclosing agent's
    step = trace.span("step", {"gen_ai.operation.name": "chain"}, parent=triage, start_ms=100)
    weather = trace.span(
        "weather run", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather"}, parent=step
    )
    _call(trace, "chat weather", (100, 10), weather, **{"gen_ai.agent.name": "triage"})  # nearest agent wins
    _call(trace, "chat alone", (5, 1), "", **{"gen_ai.agent.name": "solo"})  # no agent above: its own name
    delegate = trace.span("execute_tool delegate", {"gen_ai.operation.name": "execute_tool"}, parent=triage)
    _call(trace, "chat member", (7, 3), delegate)  # a tool that calls a model: an agent of its own, unnamed
    trace.store_in(store)
    usage = json.loads(tools.call(_context(store), "token_usage", '{"group_by": "agent"}'))["usage"]
    by_agent = {row["agent"]: (row["calls"], row["input_tokens"], row["output_tokens"]) for row in usage}
    assert by_agent == {"weather": (1, 100, 10), "triage": (1, 42, 17), "solo": (1, 5, 1)}
    trajectory = TraceQueries(store).trajectory("p", trace.trace_hex)
    answered = {
        m.entry.text: m.agent_name for m in trajectory.messages if m.type == "assistant_message" and m.entry.text
    }
    assert answered == {"chat triage": "triage", "chat weather": "weather", "chat alone": "solo", "chat member": None}


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("gpt-4-0613", "gpt-4"),
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("gemini-1.5-pro-002", "gemini-1.5-pro-002"),
        ("gpt-4-1106-preview", "gpt-4-1106-preview"),
    ],
)
def test_a_dated_snapshot_is_its_model(name: str, family: str) -> None:
    assert model_family(name) == family


def test_request_and_response_names_of_one_model_count_as_one(store: DuckDBStore) -> None:
    trace = TraceBuilder(base_ns=tools.now_ns() - 60 * 10**9)
    agent = trace.span(
        "invoke_agent a", {"gen_ai.operation.name": "invoke_agent", "gen_ai.request.model": "gpt-4o-mini"}
    )
    _call(trace, "first", (10, 1), agent, **{"gen_ai.response.model": "gpt-4o-mini-2024-07-18"})
    _call(trace, "second", (20, 2), agent)  # the request name only
    trace.store_in(store)
    context = _context(store)
    usage = json.loads(tools.call(context, "token_usage", '{"group_by": "model"}'))["usage"]
    assert [(row["model"], row["calls"], row["input_tokens"]) for row in usage] == [("gpt-4o-mini", 2, 30)]
    catalog = json.loads(tools.call(context, "list_agents_and_models", "{}"))
    assert catalog["models"] == [{"model": "gpt-4o-mini", "traces": 1}]
    listed = TraceQueries(store).list_traces("p", TraceFilter(model="gpt-4o-mini"), 10, 0)
    assert [t.models for t in listed.traces] == [["gpt-4o-mini"]]


def test_the_analyst_writes_up_results_it_did_not_produce() -> None:
    # a resent useChat history may end with tool results the client wrote
    assert compose([("find_errors", None)]) == "null"
    assert compose([("token_usage", {"usage": "lots"})]) == '{"usage": "lots"}'


def test_search_traces_finds_what_was_said_and_where(tmp_path: Path) -> None:
    from tests.contract.test_search import travel_trace
    from tests.traces import BASE_NS

    store = DuckDBStore(tmp_path / "t.duckdb", search_dir=tmp_path / "search")
    try:
        trace = travel_trace()
        trace.store_in(store)
        other = travel_trace(question="Any trains to Faro?")
        other.store_in(store, project="q")
        assert store.wait_searchable(10)
        hour = 3_600 * 1_000_000_000
        context = tools.ToolContext("p", TraceAnalytics(store), TraceQueries(store), BASE_NS + hour)
        found = json.loads(tools.call(context, "search_traces", json.dumps({"text": "Lisbon"})))
        assert found["total"] == 1
        [row] = found["traces"]
        assert row["trace_id"] == trace.trace_hex
        assert {(m["span_id"], m["field"]) for m in row["matches"]} == {
            ("0000000000000002", "user_message"),
            ("0000000000000004", "assistant_message"),
        }
        assert json.loads(tools.call(context, "search_traces", json.dumps({"text": "faro"})))["total"] == 0
        answer = analyst._WRITERS["search_traces"](found)
        assert "user message in span `0000000000000002`: “Book me a flight to Lisbon next week”" in answer
    finally:
        store.close()
