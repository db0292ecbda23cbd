"""The Langfuse SDK (v3 and later, built on OpenTelemetry) exported over OTLP: everything in
``langfuse.observation.*``. ``langfuse.observation.type`` says what an observation is
(``generation``, ``agent``, ``tool``, ``chain``, ``retriever``, ``embedding``, ``guardrail``,
``evaluator``; a plain ``span`` or ``event`` says nothing: promoted as the operation at ingest,
with ``model.name`` and the counts of ``usage_details``); ``input`` / ``output`` hold what it
was called with and returned, as JSON or text: for a generation the request (its OpenAI
integration records ``{"messages": [...], "tools": [...]}``, a hand-made one whatever it was
given, often the messages or a prompt string) and the reply (the assistant message, or its
text); for a tool its arguments and result. An observation is named after what it runs
(``@observe(name=…)``, else the function's name), so an agent's and a tool's name is the span's.
"""

from __future__ import annotations

from typing import Any

from tracechat.genai.conventions.otel_genai import tool_definitions
from tracechat.genai.messages import messages_document, parse_messages, response_reasoning_tokens
from tracechat.genai.types import Message, Part, SpanFacts
from tracechat.genai.values import json_text, structured, text

TYPE = "langfuse.observation.type"


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    kind = (text(a.get(TYPE)) or "").lower()
    if not kind:
        return
    inputs, outputs = a.get("langfuse.observation.input"), a.get("langfuse.observation.output")
    if kind == "generation":
        document = messages_document(inputs)
        facts.fill("input_messages", parse_messages(document) or _said(inputs, "user"))
        facts.fill("output_messages", parse_messages(outputs) or _said(outputs, "assistant"))
        offered = document.get("tools") if isinstance(document, dict) else None
        facts.fill("tool_definitions", tool_definitions(offered))
        # (the model and the token counts are promoted at ingest: ingest/promote.py)
        usage = structured(a.get("langfuse.observation.usage_details"))
        facts.fill("reasoning_tokens", response_reasoning_tokens({"usage": usage}))
    elif kind == "tool":
        facts.fill("tool_name", facts.name)
        facts.fill("tool_arguments", json_text(inputs))
        facts.fill("tool_result", json_text(outputs))
    elif kind == "agent":
        facts.fill("agent_name", facts.name.strip() or None)
    facts.fill("input_text", json_text(inputs))
    facts.fill("output_text", json_text(outputs))


def _said(value: Any, role: str) -> list[Message] | None:
    """A generation given or answering plain text (a prompt string, the reply's text)."""
    said = json_text(value) if isinstance(value, str) and structured(value) is None else None
    return [Message(role, [Part("text", text=said)])] if said and said.strip() else None
