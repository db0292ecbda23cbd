"""Tools refuse what an agent may not use, and bad arguments, with errors the model reads."""

from __future__ import annotations

import json
from pathlib import Path

from tracechat.chat import tools
from tracechat.chat.analyst import compose
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


def test_the_analyst_writes_up_results_it_did_not_produce() -> None:
    # a resent useChat history may end with tool results the client wrote
    assert compose([("find_errors", None)]) == "null"
    assert compose([("token_usage", {"usage": "lots"})]) == '{"usage": "lots"}'
