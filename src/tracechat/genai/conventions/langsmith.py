"""LangSmith's OpenTelemetry export (npm / PyPI ``langsmith`` with ``LANGSMITH_TRACING_MODE=otel``
or the older ``LANGSMITH_OTEL_ENABLED``): every run a span, ``langsmith.span.kind`` its run type
(``llm``, ``tool``, ``chain``, ``retriever``, ``embedding``, ``prompt``, ``parser``) and
``gen_ai.operation.name`` its operation (``chat``, ``execute_tool``, ``chain``…); what the run
was given and what it returned are two JSON documents, ``gen_ai.prompt`` and
``gen_ai.completion`` (one key each, not OpenLLMetry's indexed ``gen_ai.prompt.N.*``):

- an ``llm`` run's inputs are the provider request (``wrapOpenAI``: ``{model, messages, tools}``)
  and its outputs the provider response (a chat completion, ``choices`` with their messages,
  the usage as ``usage_metadata``); the reasoning token count is in
  ``gen_ai.usage.output_token_details`` (``{"reasoning": N}``);
- a ``tool`` run's inputs are its arguments, its outputs its result;
- a ``traceable`` function's inputs are its one object argument, else ``{"input": x}`` for one
  value and ``{"args": [...]}`` for several; a return value that is no object is recorded as
  ``{"outputs": x}``: a run given or returning one plain value is read as that value.
"""

from __future__ import annotations

from typing import Any

from tracechat.genai.conventions.otel_genai import tool_definitions
from tracechat.genai.messages import (
    messages_document,
    parse_messages,
    response_finish_reason,
    response_messages,
)
from tracechat.genai.types import SpanFacts
from tracechat.genai.values import json_text, number, structured, text

KIND = "langsmith.span.kind"
INPUTS = "gen_ai.prompt"
OUTPUTS = "gen_ai.completion"


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    kind = (text(a.get(KIND)) or "").lower()
    if not kind:
        return
    inputs, outputs = _one_value(a.get(INPUTS), "input"), _one_value(a.get(OUTPUTS), "outputs")
    if kind == "llm":
        document = messages_document(a.get(INPUTS))
        facts.fill("input_messages", parse_messages(document))
        offered = document.get("tools") if isinstance(document, dict) else None
        facts.fill("tool_definitions", tool_definitions(offered))
        facts.fill("output_messages", response_messages(a.get(OUTPUTS)) or parse_messages(a.get(OUTPUTS)))
        facts.fill("finish_reason", response_finish_reason(a.get(OUTPUTS)))
        facts.fill("reasoning_tokens", _reasoning_tokens(a.get("gen_ai.usage.output_token_details")))
    elif kind == "tool":
        facts.fill("tool_name", text(a.get("gen_ai.tool.name")) or facts.name.strip() or None)
        facts.fill("tool_arguments", json_text(inputs))
        facts.fill("tool_result", json_text(outputs))


def _one_value(value: Any, key: str) -> Any:
    """The value a run was given or returned when LangSmith wrapped a plain one in ``{key: x}``."""
    document = structured(value)
    if isinstance(document, dict) and set(document) == {key}:
        return document[key]
    return value


def _reasoning_tokens(value: Any) -> int | None:
    details = structured(value)
    return number(details.get("reasoning")) if isinstance(details, dict) else None
