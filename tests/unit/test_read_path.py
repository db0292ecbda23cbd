"""The shortcuts a trajectory read takes for speed answer exactly what the long way does:
objects freed when a read ends, placeholders, tool arguments encoded once, answers about
attribute keys worked out once per list of keys."""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterator
from typing import Any

import pytest

from tests.traces import TraceBuilder, as_json, trajectory
from tracechat.genai import types
from tracechat.genai.messages import _arguments_text, parse_messages, plain_arguments
from tracechat.genai.types import SpanFacts
from tracechat.genai.values import is_placeholder, json_text
from tracechat.spantree.tree import Node, span_tree
from tracechat.store.duck import DuckDBStore

U1 = {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
CALL = {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {}}]}
RESULT = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "18C"}]}
A1 = {"role": "assistant", "parts": [{"type": "text", "content": "18C in Paris."}]}


def _chat(inputs: list[object], outputs: list[object]) -> dict[str, object]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.input.messages": as_json(inputs),
        "gen_ai.output.messages": as_json(outputs),
    }


@pytest.fixture
def saved_garbage() -> Iterator[list[Any]]:
    """What the cycle collector finds unreachable meanwhile (kept, to be looked at)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_a_read_leaves_no_span_tree_for_the_cycle_collector(store: DuckDBStore, saved_garbage: list[Any]) -> None:
    trace = TraceBuilder()
    root = trace.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    trace.span("chat", _chat([U1], [CALL]), parent=root, start_ms=1)
    trace.span("execute_tool get_weather", {"gen_ai.tool.call.id": "c1"}, parent=root, start_ms=20)
    trace.span("chat", _chat([U1, CALL, RESULT], [A1]), parent=root, start_ms=40)
    result = trajectory(store, trace)
    assert [m.type for m in result.messages][-1] == "assistant_message"
    del result
    gc.collect()
    left = [type(o).__name__ for o in saved_garbage if isinstance(o, (Node, SpanFacts))]
    assert left == []  # freed by reference counting when the read ended, not found later in a cycle


def test_a_span_tree_is_whole_inside_its_block_and_unlinked_after() -> None:
    spans = [_facts("a", None), _facts("b", "a"), _facts("c", "b")]
    with span_tree(spans) as roots:
        assert [n.facts.span_id for n in (roots[0], *roots[0].descendants())] == ["a", "b", "c"]
        inner = roots[0].children[0].children[0]
        assert inner.parent is roots[0].children[0]
    assert inner.parent is None
    assert roots[0].children == []


def _facts(span_id: str, parent: str | None) -> SpanFacts:
    return SpanFacts(span_id, parent, span_id, 0, 1, 0, None, {}, (), [], {})


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        ("<redacted>", True),
        (" " * 100 + "<REDACTED>" + "\n" * 100, True),  # padded far past any placeholder's length
        ("[]", True),
        ("", True),
        ("redacted" * 2, False),
        ("x" * 10_000, False),
        ("[" + "1," * 5000 + "1]", False),
        (None, False),
        (["<redacted>"], False),
    ],
)
def test_placeholders_are_recognised_whatever_their_length_or_padding(value: object, placeholder: bool) -> None:
    assert is_placeholder(value) is placeholder


@pytest.mark.parametrize(
    "arguments",
    [
        {"city": "Paris"},
        {},
        [],
        [1, {"a": 2}],
        {"args": [], "kwargs": {"city": "Paris"}},
        {"args": [], "kwargs": {"city": "Paris"}, "sanitize_inputs_outputs": True},
        {"args": [], "kwargs": {"city": "Paris"}, "flag": math.nan},  # NaN is written as null: a flag
        {"args": [], "kwargs": {"city": "Paris"}, "weight": math.inf},
        {"args": [], "kwargs": {"city": "Paris"}, "weight": 1.5},
        {"args": [1], "kwargs": {"city": "Paris"}},
        {"input": {"city": "Paris"}, "options": None},
        {"input": {"city": "Paris"}, "options": math.nan},
        {"input": {"city": "Paris"}},
        {"inputs": {"city": "Paris"}, "tags": [], "metadata": {}},
        {"input_str": "Paris", "run_id": "r1"},
        {1: "one", "kwargs": {"a": 1}, "args": []},
        {"1": "text key", 1: "number key"},
        {"blob": b"\x00\x01", "kwargs": {}, "args": []},
        {"big": 2**70},
        "Paris",
        '"Paris"',
        '{"args": [], "kwargs": {"city": "Paris"}}',
        None,
        "<redacted>",
    ],
)
def test_tool_arguments_read_as_encoding_then_unwrapping_them_would(arguments: object) -> None:
    assert _arguments_text(arguments) == plain_arguments(json_text(arguments))


def test_arguments_of_a_parsed_tool_call_keep_their_recorded_text() -> None:
    (message,) = parse_messages(json.dumps([CALL | {"parts": [{**CALL["parts"][0], "arguments": {"q": "é"}}]}])) or []
    assert message.parts[0].arguments == '{"q":"é"}'


def test_answers_about_keys_are_per_list_of_keys_and_the_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(types, "_KEY_ANSWERS", {})
    monkeypatch.setattr(types, "_KEY_ANSWERS_MAX", 3)
    llm = SpanFacts("a", None, "a", 0, 1, 0, None, {"llm.model_name": "m", "input.value": "x"}, (), [], {})
    plain = SpanFacts("b", None, "b", 0, 1, 0, None, {"http.method": "GET"}, (), [], {})
    same_keys = SpanFacts("c", None, "c", 0, 1, 0, None, {"llm.model_name": "other", "input.value": "y"}, (), [], {})
    assert llm.has("llm.")
    assert not plain.has("llm.")
    assert same_keys.has("llm.")
    assert not llm.has("weave.")
    assert plain.has("http.")
    assert len(types._KEY_ANSWERS) <= 3
    for n in range(10):  # clients may invent keys without end
        assert SpanFacts("d", None, "d", 0, 1, 0, None, {f"k{n}.x": 1}, (), [], {}).has(f"k{n}.")
    assert len(types._KEY_ANSWERS) <= 3
