"""Tools refuse what an agent may not use, and bad arguments, with errors the model reads."""

from __future__ import annotations

import json
from pathlib import Path

from tracechat.chat import analyst, tools
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
    assert json.loads(tools.call(context, "find_errors", '{"hours": 2}')) == {"hours": 2, "error_groups": []}


def test_every_tool_has_a_schema_a_provider_accepts(tmp_path: Path) -> None:
    for definition in tools.definitions():
        function = definition["function"]
        assert definition["type"] == "function"
        assert function["parameters"]["type"] == "object"
        assert function["description"]


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
