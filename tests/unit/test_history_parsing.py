"""Reading one trace's histories: every model call repeats the conversation before it, and
the parse of a later input reuses what an earlier one decoded without changing the result."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tracechat.genai.messages import PrefixCache, parse_messages, shared_history
from tracechat.genai.values import structured

TURNS = [
    {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
    {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
    {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "c1", "name": "weather", "arguments": {"city": "Paris"}}],
    },
    {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "18C"}]},
    {"role": "assistant", "parts": [{"type": "text", "content": "18C and sunny."}]},
]


def test_an_input_extending_an_earlier_one_decodes_as_a_whole_parse_would() -> None:
    cache = PrefixCache()
    first = cache.load(json.dumps(TURNS[:2]))
    second = cache.load(json.dumps(TURNS))
    assert second == TURNS
    assert all(a is b for a, b in zip(first, second, strict=False))  # the shared items were not decoded again


def test_a_differently_written_input_is_parsed_whole() -> None:
    cache = PrefixCache()
    cache.load(json.dumps(TURNS[:2]))
    assert cache.load(json.dumps(TURNS, indent=2)) == TURNS
    assert cache.load(json.dumps(TURNS[:2]) + " ") == TURNS[:2]


def test_a_truncated_extension_is_repaired_like_any_truncated_input() -> None:
    cache = PrefixCache()
    cache.load(json.dumps(TURNS[:2]))
    cut = json.dumps(TURNS)[:-30]
    assert cache.load(cut + "]") == structured(cut + "]")


def test_a_repaired_input_is_not_taken_as_the_prefix_of_the_next() -> None:
    cache = PrefixCache()
    assert cache.load("[1, [2]") == [1, [2]]  # a bracket missing: closed up
    assert cache.load("[1, [2, 3]") == structured("[1, [2, 3]")  # not [1, [2], 3]


def test_redaction_placeholders_stay_absent() -> None:
    cache = PrefixCache()
    assert cache.load("[]") is None
    assert cache.load("[REDACTED]") is None


def test_messages_parsed_within_a_trace_equal_those_parsed_alone() -> None:
    alone = [parse_messages(json.dumps(TURNS[:n])) for n in range(1, len(TURNS) + 1)]
    with shared_history():
        shared = [parse_messages(json.dumps(TURNS[:n])) for n in range(1, len(TURNS) + 1)]
    assert shared == alone


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@given(st.lists(_json, min_size=1, max_size=6), st.lists(_json, max_size=6), st.booleans())
def test_any_extension_decodes_as_json_does(head: list[Any], tail: list[Any], compact: bool) -> None:
    separators = (",", ":") if compact else (", ", ": ")
    cache = PrefixCache()
    cache.load(json.dumps(head, separators=separators))
    text = json.dumps(head + tail, separators=separators)
    assert cache.load(text) == structured(text)


def test_a_reply_record_reads_as_its_steps_and_a_later_input_shares_them() -> None:
    """An assistant message holding its call, the result and the answer (AgentScope's reply
    record) reads as the three messages the model exchanged; a later input repeating the
    record gets the very same messages (the transcript's fast path compares by identity)."""
    record = {"role": "assistant", "parts": [*TURNS[2]["parts"], *TURNS[3]["parts"], *TURNS[4]["parts"]]}
    asked = [*TURNS[:2], record]
    with shared_history():
        first = parse_messages(json.dumps(asked))
        later = parse_messages(json.dumps([*asked, {"role": "user", "content": "And London?"}]))
    assert first is not None
    assert later is not None
    assert [(m.role, [p.kind for p in m.parts]) for m in first[2:]] == [
        ("assistant", ["tool_call"]),
        ("tool", ["tool_result"]),
        ("assistant", ["text"]),
    ]
    assert first == parse_messages(TURNS)
    assert all(a is b for a, b in zip(first, later, strict=False))
