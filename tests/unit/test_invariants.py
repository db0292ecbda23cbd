"""``tests/invariants.py``, the check every golden and fuzzed trajectory goes through, fails
on a trajectory that breaks each invariant it names: read from a small trace as the service
reads it, then spoiled one way at a time. (On the reader's own output it only ever passes, so
without these nothing shows that it can fail.)"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests import invariants
from tests.traces import TraceBuilder, as_json
from tracechat.model.summaries import TraceFilter
from tracechat.query.service import TraceQueries
from tracechat.store.duck import DuckDBStore

Read = tuple[dict[str, Any], list[dict[str, Any]], tuple[int, int]]


def _parts(role: str, *parts: dict[str, object]) -> dict[str, object]:
    return {"role": role, "parts": list(parts)}


QUESTION = _parts("user", {"type": "text", "content": "Weather in Paris?"})
ASKS = _parts("assistant", {"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": "{}"})
RESULT = _parts("tool", {"type": "tool_call_response", "id": "c1", "response": "18C"})


def _chat(inputs: list[dict[str, object]], output: dict[str, object], tokens: tuple[int, int]) -> dict[str, object]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.input.messages": as_json(inputs),
        "gen_ai.output.messages": as_json([output]),
        "gen_ai.usage.input_tokens": tokens[0],
        "gen_ai.usage.output_tokens": tokens[1],
    }


@pytest.fixture
def read(store: DuckDBStore) -> Read:
    """agent > chat (asks get_weather c1; an HTTP span under it), execute_tool c1, chat
    (reads c1's result, answers): the trajectory, the spans and the list's token totals."""
    trace = TraceBuilder()
    agent = trace.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    first = trace.span("chat gpt-4o", _chat([QUESTION], ASKS, (10, 2)), parent=agent, start_ms=1, duration_ms=5)
    trace.span("POST /v1/chat/completions", {"http.request.method": "POST"}, parent=first, start_ms=2)
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "c1"}
    trace.span("execute_tool get_weather", tool, parent=agent, start_ms=10, duration_ms=5)
    answer = _parts("assistant", {"type": "text", "content": "18C in Paris."})
    trace.span("chat gpt-4o", _chat([QUESTION, ASKS, RESULT], answer, (20, 3)), parent=agent, start_ms=20)
    trace.store_in(store)
    queries = TraceQueries(store)
    [listed] = queries.list_traces("p", TraceFilter(since_ns=0), 10, 0).traces
    trajectory = json.loads(queries.trajectory("p", trace.trace_hex).model_dump_json())
    spans = queries.spans("p", trace.trace_hex).model_dump(mode="json")["spans"]
    return trajectory, spans, (listed.input_tokens or 0, listed.output_tokens or 0)


def _index(trajectory: dict[str, Any], kind: str, nth: int = 0) -> int:
    return [i for i, m in enumerate(trajectory["messages"]) if m["type"] == kind][nth]


def _swap(trajectory: dict[str, Any], a: int, b: int) -> None:
    """Entries a and b change places and start times: still in time order, the other way round."""
    messages = trajectory["messages"]
    messages[a]["started_at"], messages[b]["started_at"] = messages[b]["started_at"], messages[a]["started_at"]
    messages[a], messages[b] = messages[b], messages[a]


def _without_first_answer(t: dict[str, Any], spans: list[dict[str, Any]]) -> None:
    del t["messages"][_index(t, "assistant_message")]


def _tool_twice(t: dict[str, Any], spans: list[dict[str, Any]]) -> None:
    at = _index(t, "tool_call")
    t["messages"].insert(at, copy.deepcopy(t["messages"][at]))


def _tokens_off(t: dict[str, Any], spans: list[dict[str, Any]]) -> None:
    t["messages"][_index(t, "assistant_message", 1)]["assistant_message"]["input_tokens"] += 1


def _from_plumbing(t: dict[str, Any], spans: list[dict[str, Any]]) -> None:
    http = next(s for s in spans if s["name"].startswith("POST"))
    t["messages"][_index(t, "user_message")]["span_id"] = http["span_id"]


def _answer_from_a_tool_span(t: dict[str, Any], spans: list[dict[str, Any]]) -> None:
    tool = next(s for s in spans if s["kind"] == "tool")
    extra = copy.deepcopy(t["messages"][_index(t, "assistant_message", 1)])
    extra["span_id"] = tool["span_id"]
    t["messages"].append(extra)


def _out_of_time_order(t: dict[str, Any], spans: list[dict[str, Any]]) -> None:
    messages = t["messages"]
    a, b = _index(t, "tool_call"), _index(t, "assistant_message", 1)
    messages[a], messages[b] = messages[b], messages[a]


def _tool_before_its_asking(t: dict[str, Any], spans: list[dict[str, Any]]) -> None:
    _swap(t, _index(t, "assistant_message"), _index(t, "tool_call"))


def _reader_before_the_result(t: dict[str, Any], spans: list[dict[str, Any]]) -> None:
    _swap(t, _index(t, "tool_call"), _index(t, "assistant_message", 1))


SPOILED = [
    (_without_first_answer, r"the model call recorded by \['chat gpt-4o'\] has 0 assistant entries"),
    (_tool_twice, r"the tool call recorded by \['execute_tool get_weather'\] shows 2 times"),
    (_tokens_off, r"assistant tokens \(31, 5\) != the trace's \(30, 5\)"),
    (_from_plumbing, r"user_message from plumbing span 'POST /v1/chat/completions'"),
    (_answer_from_a_tool_span, r"assistant entry from 'execute_tool get_weather'"),
    (_out_of_time_order, r"entries are not in time order"),
    (_tool_before_its_asking, r"tool call c1 comes before the model call that asked for it"),
    (_reader_before_the_result, r"the call reading tool call c1's result comes before it"),
]


@pytest.mark.parametrize(("spoil", "said"), SPOILED, ids=[spoil.__name__.strip("_") for spoil, _ in SPOILED])
def test_the_invariants_fail_on_a_trajectory_that_breaks_one(
    read: Read, spoil: Callable[[dict[str, Any], list[dict[str, Any]]], None], said: str
) -> None:
    trajectory, spans, totals = read
    invariants.check(trajectory, spans, totals)  # as read: it holds
    spoil(trajectory, spans)
    with pytest.raises(AssertionError, match=said):
        invariants.check(trajectory, spans, totals)


def test_skewed_clocks_leave_the_order_unchecked(read: Read) -> None:
    """``one_clock=False`` (fuzzed trees whose children start before their parents): the
    order is not what is checked."""
    trajectory, spans, totals = read
    _out_of_time_order(trajectory, spans)
    invariants.check(trajectory, spans, totals, one_clock=False)
