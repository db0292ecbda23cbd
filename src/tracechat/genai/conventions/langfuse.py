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

Langfuse's LangChain callback handler (``langfuse.langchain.CallbackHandler``) records a chat
model's input as the messages it was sent with the tools it was offered appended as
``{"role": "tool", "content": <a function definition>}`` (those are the tool definitions, not
messages); a tool's input as the string LangChain gave the callback (Python's repr of the
arguments: the arguments themselves are the run's ``metadata.inputs``); the run's metadata
flattened under ``langfuse.observation.metadata.*`` (``tool_call_id``, ``ls_provider``);
``usage_details`` under Langfuse's own names (``output_reasoning`` the reasoning tokens).
"""

from __future__ import annotations

from typing import Any

from tracechat.genai.conventions.otel_genai import tool_definitions
from tracechat.genai.messages import messages_document, parse_messages, response_reasoning_tokens
from tracechat.genai.types import Message, Part, SpanFacts
from tracechat.genai.values import json_text, number, structured, text

TYPE = "langfuse.observation.type"
METADATA = "langfuse.observation.metadata."


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    kind = (text(a.get(TYPE)) or "").lower()
    if not kind:
        return
    inputs, outputs = a.get("langfuse.observation.input"), a.get("langfuse.observation.output")
    if kind == "generation":
        document, appended = _offered_tools(messages_document(inputs))
        facts.fill("input_messages", parse_messages(document) or _said(inputs, "user"))
        facts.fill("output_messages", parse_messages(outputs) or _said(outputs, "assistant"))
        offered = document.get("tools") if isinstance(document, dict) else appended
        facts.fill("tool_definitions", tool_definitions(offered))
        # (the model and the token counts are promoted at ingest: ingest/promote.py)
        usage = structured(a.get("langfuse.observation.usage_details"))
        facts.fill("reasoning_tokens", response_reasoning_tokens({"usage": usage}))
        facts.fill("reasoning_tokens", number(usage.get("output_reasoning")) if isinstance(usage, dict) else None)
        facts.fill("provider", text(a.get(METADATA + "ls_provider")))
    elif kind == "tool":
        facts.fill("tool_name", facts.name)
        facts.fill("tool_call_id", text(a.get(METADATA + "tool_call_id")))
        facts.fill("tool_arguments", _arguments(inputs, a.get(METADATA + "inputs")))
        facts.fill("tool_result", json_text(outputs))
    elif kind == "agent":
        facts.fill("agent_name", facts.name.strip() or None)
    facts.fill("input_text", json_text(inputs))
    facts.fill("output_text", json_text(outputs))


def _offered_tools(document: Any) -> tuple[Any, list[Any] | None]:
    """A message list whose ``role: tool`` entries hold function definitions (``{"type":
    "function", "function": {"name", …}}``, as Langfuse's LangChain handler appends the tools
    offered): the messages without them, and the definitions."""
    if not isinstance(document, list):
        return document, None
    offered = [m["content"] for m in document if _is_definition(m)]
    if not offered:
        return document, None
    return [m for m in document if not _is_definition(m)], offered


def _is_definition(message: Any) -> bool:
    if not isinstance(message, dict) or message.get("role") != "tool" or message.get("tool_call_id"):
        return False
    content = message.get("content")
    function = content.get("function") if isinstance(content, dict) else None
    return isinstance(function, dict) and isinstance(function.get("name"), str)


def _arguments(given: Any, inputs: Any) -> str | None:
    """A tool's arguments: its input as recorded, unless that is no JSON (Python's repr of
    the arguments, as LangChain hands a callback the tool's input string) and the run's
    ``inputs`` hold them as a JSON object."""
    if structured(given) is None and isinstance(structured(inputs), dict):
        return json_text(inputs)
    return json_text(given)


def _said(value: Any, role: str) -> list[Message] | None:
    """A generation given or answering plain text (a prompt string, the reply's text)."""
    said = json_text(value) if isinstance(value, str) and structured(value) is None else None
    return [Message(role, [Part("text", text=said)])] if said and said.strip() else None
