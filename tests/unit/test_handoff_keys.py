"""The keys that record a handoff's target (``genai.handoffs.HANDOFF_TARGET_KEYS``) are every key
the conventions read a target from, and ingest's agents rule finds each of them in a payload
(``ingest.agents``): a key one knows and the other misses would make the trace list name an
agent for a span the trajectory reads as a handoff."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.traces import TraceBuilder
from tracechat.genai import registry, types
from tracechat.genai.handoffs import HANDOFF_TARGET_KEYS, fewest_needles
from tracechat.genai.registry import Convention, normalize
from tracechat.genai.types import SpanFacts
from tracechat.ingest import agents
from tracechat.ingest.flatten import flatten_traces
from tracechat.model.records import SpanFields
from tracechat.model.span import SpanPayload

_TARGET = "Weather Agent"


class _Recording(dict[str, Any]):
    """Attributes that remember every key a convention looked up by name."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return super().__contains__(key)

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)


def _facts(attributes: dict[str, Any], name: str = "span") -> SpanFacts:
    span = SpanFields("00" * 8, None, name, 1, 0, 1, 0, None, *([None] * (len(SpanFields._fields) - 8)))
    payload = SpanPayload(attributes, (), (), "", 0, 0, 0, 0)
    return normalize(span, payload, [], {})


def _keys_the_conventions_ask_for(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every attribute key some convention reads by name, with every convention's gate open
    (``SpanFacts.has`` says yes to any prefix, and the registry runs every convention on
    every span) and each key found so far present, until no new key is asked for. What a
    convention reads only behind a particular value of another key (a LangSmith run of kind
    ``llm``) is not reached."""
    with monkeypatch.context() as patched:
        patched.setattr(SpanFacts, "has", lambda self, *prefixes: True)
        patched.setattr(registry, "CONVENTIONS", tuple(Convention(c.extract) for c in registry.CONVENTIONS))
        patched.setattr(types, "_KEY_ANSWERS", {})
        known: set[str] = set()
        for _ in range(10):
            attributes = _Recording(dict.fromkeys(known, "x"))
            _facts(attributes)
            if attributes.asked <= known:
                return known
            known |= attributes.asked
    raise AssertionError("the conventions kept asking for new keys")


def _row(attributes: dict[str, Any]) -> tuple[Any, ...]:
    """A span row as ingest hands it to the agents rule: a tool by its columns."""
    trace = TraceBuilder()
    trace.span("execute_tool get_weather", {"gen_ai.operation.name": "execute_tool", **attributes})
    spans = flatten_traces(trace.trace_request(), lambda resource: "p").batch.spans
    return tuple(getattr(spans, f.name)[0] for f in dataclasses.fields(spans))


def test_every_key_a_convention_reads_a_handoff_target_from_is_a_shared_handoff_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _keys_the_conventions_ask_for(monkeypatch)
    assert set(HANDOFF_TARGET_KEYS) <= asked  # the search reaches the conventions' reads
    targets = {key for key in asked if _facts({key: _TARGET}).handoff_to == _TARGET}
    assert targets == set(HANDOFF_TARGET_KEYS)


@pytest.mark.parametrize("key", HANDOFF_TARGET_KEYS)
def test_ingest_finds_every_handoff_key_in_a_payload(key: str) -> None:
    assert _facts({key: _TARGET}).handoff_to == _TARGET
    row = _row({key: _TARGET})
    assert agents._may_be_handoff(row)
    assert agents._may_hand_over(row)
    plain = _row({"gen_ai.tool.name": "get_weather"})
    assert not agents._may_be_handoff(plain)
    assert not agents._may_hand_over(plain)


def test_fewest_needles_keeps_what_every_needle_holds() -> None:
    assert fewest_needles((b"gen_ai.handoff.to_agent", b"to_agent", b"transfer", b"to_agent")) == (
        b"to_agent",
        b"transfer",
    )
