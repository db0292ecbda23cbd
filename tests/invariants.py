"""What every trajectory must satisfy, whatever framework wrote the trace (checked on every
sample trace and on fuzzed span trees):

1. every model call has exactly one assistant entry (one call recorded by nested spans
   too), and an assistant entry comes only from a model call or an agent's own answer;
2. every tool call appears once, however many nested spans of the same tool record it (a transfer tool is the handoff it makes, an answer tool
   the answer of the call that asked for it);
3. the assistant entries' tokens add up to the trace's totals (samples only: fuzzed spans
   carry tokens on spans that are no model call);
4. no entry comes from a span of no kind a convention knows (plumbing);
5. where the spans' clocks agree: causal order (a requested tool call after the entry that
   asked for it, a tool's entry before the assistant entry of the call whose input holds
   its result) and entries in time order. Where they do not (a child that starts before
   its parent, as fuzzed trees have), the walk reads in the tree's order, and a model call
   under a parent that starts late is read after a tool span that ran its call.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

AGENT_WORK = {"agent", "llm", "tool", "handoff", "compaction", "workflow", "embedding", "guardrail"}


def check(
    trajectory: dict[str, Any],
    spans: list[dict[str, Any]],
    totals: tuple[int, int] | None = None,
    one_clock: bool = True,
) -> None:
    """``one_clock``: the spans' clocks agree (not so in fuzzed trees, whose children may
    start before their parents): entries are then in causal and time order too."""
    by_id = {s["span_id"]: s for s in spans}
    messages = trajectory["messages"]
    assistants = Counter(m["span_id"] for m in messages if m["type"] == "assistant_message")
    for call in _model_calls(spans):
        entries = sum(assistants[span_id] for span_id in call)
        names = sorted(by_id[span_id]["name"] for span_id in call)
        assert entries == 1, f"the model call recorded by {names} has {entries} assistant entries"
    for span_id in assistants:
        assert by_id[span_id]["kind"] in ("llm", "agent"), f"assistant entry from {by_id[span_id]['name']!r}"
    tools = Counter(m["span_id"] for m in messages if m["type"] == "tool_call")
    for call in tool_calls(spans):
        shown = sum(tools[span_id] for span_id in call)
        names = sorted(by_id[span_id]["name"] for span_id in call)
        assert shown == 1, f"the tool call recorded by {names} shows {shown} times"
    if totals is not None:
        got = tuple(
            sum(m["assistant_message"][k] or 0 for m in messages if m["type"] == "assistant_message")
            for k in ("input_tokens", "output_tokens")
        )
        assert got == totals, f"assistant tokens {got} != the trace's {totals}"
    for message in messages:
        kind = by_id[message["span_id"]]["kind"]
        assert kind in AGENT_WORK, f"{message['type']} from plumbing span {by_id[message['span_id']]['name']!r}"
    _check_order(messages, one_clock, by_id)


def tool_calls(spans: list[dict[str, Any]]) -> list[set[str]]:
    """Each tool call as the spans that record it: a tool span and the spans of the same
    tool nested in it (two instrumentations record one call twice). Transfer and answer
    tools are handoffs and answers, not tool calls."""
    by_id = {s["span_id"]: s for s in spans}
    parents = {s["span_id"]: s["parent_span_id"] for s in spans}

    def tree_parent(span_id: str) -> dict[str, Any] | None:  # as spantree/tree.py builds it
        parent = parents.get(span_id)
        return by_id[parent] if parent in by_id and not _in_cycle(span_id, parents) else None

    calls: dict[str, set[str]] = {}
    for span in spans:
        if span["kind"] != "tool" or _hands_off_or_answers(span):
            continue
        top, parent = span["span_id"], tree_parent(span["span_id"])
        seen = {top}
        while parent is not None and parent["span_id"] not in seen and parent["kind"] not in ("llm", "agent"):
            seen.add(parent["span_id"])
            if parent["kind"] == "tool" and (
                _tool_name(parent) == _tool_name(span) or _asked_record(parent) == _asked_record(span) != ()
            ):
                top = parent["span_id"]
            parent = tree_parent(parent["span_id"])
        calls.setdefault(top, set()).add(span["span_id"])
    return list(calls.values())


def _asked_record(span: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The record of an asked tool call the span carries (``{tool_name, tool_kwargs, tool_id}``
    as its recorded input: ``recorded_io``): a span inside another with the same record (tags
    its children inherit) runs the same call."""
    return tuple(sorted((k, v) for k, v in span["attributes"].items() if isinstance(v, str) and "tool_kwargs" in v))


def _tool_name(span: dict[str, Any]) -> str:
    attributes = span["attributes"]
    name = str(attributes.get("gen_ai.tool.name") or attributes.get("tool.name") or span["name"].split(" ")[-1])
    return "".join(c for c in name.lower() if c.isalnum())


def _hands_off_or_answers(span: dict[str, Any]) -> bool:
    """A tool that hands the conversation to another agent is that handoff; one through which
    the agent answers (smolagents' ``final_answer``) is the answer of the call that asked."""
    attributes = span["attributes"]
    name = str(attributes.get("gen_ai.tool.name") or attributes.get("tool.name") or span["name"].split(" ")[-1])
    return name.startswith(("transfer_to_", "handoff_to_")) or name in (
        "handoff",
        "transfer",
        "final_answer",
        "final_result",
    )


def _model_calls(spans: list[dict[str, Any]]) -> list[set[str]]:
    """Each model call as the spans that record it: an outermost model-call span and the
    model-call spans below it (double instrumentation records one call twice), with sibling
    spans of the same response. A span in a parent cycle has no parent (spantree/tree.py)."""
    parents = {s["span_id"]: s["parent_span_id"] for s in spans}
    kinds = {s["span_id"]: s["kind"] for s in spans}

    def tree_parent(span_id: str) -> str | None:
        parent = parents.get(span_id)
        return parent if parent in kinds and not _in_cycle(span_id, parents) else None

    def outermost(span_id: str) -> str:
        top, node = span_id, tree_parent(span_id)
        while node is not None:
            top = node if kinds[node] == "llm" else top
            node = tree_parent(node)
        return top

    calls: dict[str, set[str]] = {}
    for span_id, kind in kinds.items():
        if kind == "llm":
            calls.setdefault(outermost(span_id), set()).add(span_id)
    by_id = {s["span_id"]: s for s in spans}
    return _same_response(_within_a_sibling(calls, by_id, tree_parent), by_id)


def _within_a_sibling(
    calls: dict[str, set[str]], by_id: dict[str, dict[str, Any]], tree_parent: Callable[[str], str | None]
) -> dict[str, set[str]]:
    """A model call within a sibling model call's time with the same input tokens is that
    call recorded again (the reader's rule, spantree/tree.py; the trace totals', store/sql.py),
    unless the two name different provider responses: then they are two calls (parallel
    calls with equal prompts). Siblings in the tree: two spans whose parents are missing or
    in a cycle are both roots."""

    def again(top: str) -> str | None:
        span = by_id[top]
        tokens = _input_tokens(span)
        for other in calls:
            o = by_id[other]
            if (
                other != top
                and not _different_responses(span, o)
                and tree_parent(other) == tree_parent(top)
                and tokens is not None
                and _input_tokens(o) == tokens
                and o["start_ns"] <= span["start_ns"]
                and o["end_ns"] >= span["end_ns"]
                and (o["start_ns"] < span["start_ns"] or o["end_ns"] > span["end_ns"] or other < top)
            ):
                return other
        return None

    merged: dict[str, set[str]] = {}
    for top, members in calls.items():
        home, seen = top, {top}
        while (outer := again(home)) is not None and outer not in seen:
            home = outer
            seen.add(outer)
        merged.setdefault(home, set()).update(members)
    return merged


def _same_response(calls: dict[str, set[str]], by_id: dict[str, dict[str, Any]]) -> list[set[str]]:
    """Sibling model-call spans that name the same provider response record one call (an
    instrumentation beside the client's own telemetry, e.g. OpenLLMetry and the Anthropic SDK)."""
    merged: dict[tuple[str | None, str], set[str]] = {}
    found: list[set[str]] = []
    for top, members in calls.items():
        response = by_id[top]["attributes"].get("gen_ai.response.id")
        if not response:
            found.append(members)
            continue
        key = (by_id[top]["parent_span_id"], str(response))
        if key not in merged:
            merged[key] = set()
            found.append(merged[key])
        merged[key].update(members)
    return found


def _different_responses(a: dict[str, Any], b: dict[str, Any]) -> bool:
    first, second = a["attributes"].get("gen_ai.response.id"), b["attributes"].get("gen_ai.response.id")
    return bool(first and second and first != second)


_INPUT_TOKENS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt")


def _input_tokens(span: dict[str, Any]) -> Any:
    """The input tokens a span recorded, under the keys the conventions use."""
    return next((span["attributes"][key] for key in _INPUT_TOKENS if key in span["attributes"]), None)


def _in_cycle(span_id: str, parents: dict[str, str | None]) -> bool:
    seen, parent = set(), parents.get(span_id)
    while parent in parents and parent not in seen:
        if parent == span_id:
            return True
        seen.add(parent)
        parent = parents[parent]
    return False


def _check_order(messages: list[dict[str, Any]], one_clock: bool, by_id: dict[str, dict[str, Any]]) -> None:
    if not one_clock:
        return
    times = [datetime.fromisoformat(m["started_at"]) for m in messages]  # "…20Z" sorts after "…20.001Z" as text
    assert times == sorted(times), "entries are not in time order"
    asked: dict[str, int] = {}
    for index, message in enumerate(messages):
        if message["type"] == "assistant_message":
            for call in message["assistant_message"]["tool_calls"] or ():
                if call["id"]:
                    asked.setdefault(call["id"], index)
    shown: dict[str, int] = {}
    for index, message in enumerate(messages):
        call_id = message["tool_call"]["tool_call_id"] if message["type"] == "tool_call" else None
        if call_id in asked:
            assert asked[call_id] < index, f"tool call {call_id} comes before the model call that asked for it"
        if call_id:
            shown.setdefault(call_id, index)
    for index, message in enumerate(messages):
        if message["type"] != "assistant_message":
            continue
        for call_id in _results_read(by_id[message["span_id"]]):
            if call_id in shown:
                assert shown[call_id] < index, f"the call reading tool call {call_id}'s result comes before it"


def _results_read(span: dict[str, Any]) -> set[str]:
    """The tool calls whose results a model call's input holds, where it records its input
    as the OTel GenAI convention's JSON messages (other shapes: nothing to check)."""
    recorded = span["attributes"].get("gen_ai.input.messages")
    if isinstance(recorded, str):
        try:
            recorded = json.loads(recorded)
        except ValueError:
            return set()
    if not isinstance(recorded, list):
        return set()
    return {
        part["id"]
        for message in recorded
        if isinstance(message, dict)
        for part in message.get("parts") or ()
        if isinstance(part, dict)
        and part.get("type") == "tool_call_response"
        and isinstance(part.get("id"), str)
        and part["id"]
    }
