"""The last convention: a span's own input and output, recorded under any library's prefix.

Many instrumentations record what a span was given and what it returned under keys of their
own: ``mastra.agent_run.input`` / ``mastra.agent_run.output`` (Mastra's OTel exporter),
``langfuse.observation.input``, MLflow's ``spanInputs`` (``mlflow.*`` itself is ``mlflow``'s to
read, first). Whatever the prefix, a key whose last segment names the span's input or output
means that. Read only when no other convention
said what the span's input or output was, and only when one key says it (two candidates are
ambiguous; neither is read). ``gen_ai.*`` keys are the semantic conventions' own and are
read by ``otel_genai``; their ``*.input`` segments mean other things (token counts).

A span whose recorded input (also a summary of it, ``*.input_summary``) is a tool call asked
for, a record of the tool's name, its keyword arguments and the call's id (``{"tool_name",
"tool_kwargs", "tool_id"}``, as JSON or as the Python repr of the event object, LlamaIndex's
``ToolCall(tool_name=..., tool_kwargs={...}, tool_id=...)`` that its workflow's tool step
takes), runs that call. A record cut short does not parse, and says nothing.
"""

from __future__ import annotations

from typing import Any

from tracechat.genai.messages import constructor_fields
from tracechat.genai.types import SpanFacts
from tracechat.genai.values import json_text, structured, text

_INPUT = frozenset({"input", "inputs", "spaninputs"})
_OUTPUT = frozenset({"output", "outputs", "spanoutputs"})
_ASKED = frozenset({*_INPUT, "input_summary"})
_ABOUT_AN_ASKED_CALL = frozenset({"tool_name", "tool_kwargs", "tool_id", "return_direct"})


def extract(facts: SpanFacts) -> None:
    if facts.input_text is None:
        facts.fill("input_text", _one(facts, _INPUT))
    if facts.output_text is None:
        facts.fill("output_text", _one(facts, _OUTPUT))
    if facts.tool_name is None and facts.operation is None:
        _asked_call(facts)


def _asked_call(facts: SpanFacts) -> None:
    found = facts.about_keys(_ASKED, lambda keys: _named(keys, _ASKED))
    records = [r for r in (_call_record(facts.attributes[key]) for key in found) if r is not None]
    if len(records) != 1:
        return  # none, or two that may disagree
    (record,) = records
    facts.operation = "execute_tool"
    facts.tool_name = record["tool_name"]
    facts.fill("tool_arguments", json_text(record["tool_kwargs"]))
    facts.fill("tool_call_id", text(record.get("tool_id")))


def _call_record(value: Any) -> dict[str, Any] | None:
    """A record of a tool call asked for: its tool's name and keyword arguments (and the
    call's id), nothing else (a record with the tool's output is the finished call's)."""
    if not isinstance(value, str) or "tool_kwargs" not in value:
        return None  # (a span's input is often long: parsed only when it may be such a record)
    document = structured(value) if value.lstrip().startswith("{") else constructor_fields(value)
    if not isinstance(document, dict) or not set(document) <= _ABOUT_AN_ASKED_CALL:
        return None
    if not text(document.get("tool_name")) or not isinstance(document.get("tool_kwargs"), dict):
        return None
    return document


def _one(facts: SpanFacts, names: frozenset[str]) -> str | None:
    found = facts.about_keys(names, lambda keys: _named(keys, names))
    return text(facts.attributes[found[0]]) if len(found) == 1 else None


def _named(keys: tuple[str, ...], names: frozenset[str]) -> tuple[str, ...]:
    return tuple(key for key in keys if not key.startswith("gen_ai.") and key.rsplit(".", 1)[-1].lower() in names)
