"""Vercel AI SDK telemetry: the ``ai.*`` attributes of ai 3.x–6.x (``ai.prompt``,
``ai.prompt.messages``, ``ai.prompt.tools``, ``ai.response.*`` / ``ai.result.*``,
``ai.toolCall.*``, ``ai.usage.*``) and ai 7.x's ``@ai-sdk/otel`` with
``LegacyOpenTelemetry``. ai 7's default integration emits OTel GenAI attributes
(see ``otel_genai``) and a few ``ai.*`` ones beside them (``ai.usage.outputTokenDetails.*``)."""

from __future__ import annotations

from typing import Any

from tracechat.genai.conventions.otel_genai import tool_definitions
from tracechat.genai.messages import parse_message, parse_messages
from tracechat.genai.types import Message, Part, SpanFacts
from tracechat.genai.values import json_text, number, structured, text

PREFIXES = ("ai.",)
"""The keys this convention reads start so (``genai.registry`` runs it only on spans with one)."""


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    if not facts.has(*PREFIXES):
        return
    facts.fill("input_messages", parse_messages(a.get("ai.prompt.messages")))
    facts.fill("input_messages", _prompt(a.get("ai.prompt")))
    facts.fill("system_instructions", _system(a.get("ai.prompt")))
    facts.fill("tool_definitions", tool_definitions(a.get("ai.prompt.tools")))
    facts.fill("output_messages", _response(a))
    # ai 7 names the count by where it sits in its usage object: ``outputTokenDetails``
    facts.fill("reasoning_tokens", number(a.get("ai.usage.reasoningTokens")))
    facts.fill("reasoning_tokens", number(a.get("ai.usage.outputTokenDetails.reasoningTokens")))
    facts.fill("finish_reason", text(a.get("ai.response.finishReason")))
    facts.fill("tool_call_id", text(a.get("ai.toolCall.id")))
    facts.fill("tool_arguments", json_text(a.get("ai.toolCall.args", a.get("ai.toolCall.input"))))
    facts.fill("tool_result", json_text(a.get("ai.toolCall.result", a.get("ai.toolCall.output"))))
    function_id = text(a.get("ai.telemetry.functionId")) or text(a.get("resource.name"))
    if facts.operation == "invoke_agent":
        facts.fill("agent_name", function_id)


def _prompt(value: Any) -> list[Message] | None:
    """``ai.prompt`` of the outer span: ``{system?, prompt?, messages?}``."""
    document = structured(value)
    if not isinstance(document, dict):
        return None
    messages = parse_messages(document.get("messages")) or []
    if isinstance(document.get("prompt"), str):
        messages.append(Message("user", [Part("text", text=document["prompt"])]))
    return messages or None


def _system(value: Any) -> str | None:
    document = structured(value)
    return text(document.get("system")) if isinstance(document, dict) else None


def _response(a: dict[str, Any]) -> list[Message] | None:
    response_text = text(a.get("ai.response.text", a.get("ai.result.text")))
    reasoning = text(a.get("ai.response.reasoning"))
    calls = structured(a.get("ai.response.toolCalls", a.get("ai.result.toolCalls")))
    if response_text is None and reasoning is None and not calls:
        return None
    message = Message("assistant")
    if reasoning:
        message.parts.append(Part("reasoning", text=reasoning))
    if response_text:
        message.parts.append(Part("text", text=response_text))
    if isinstance(calls, list):
        parsed = parse_message(
            {"role": "assistant", "content": [{"type": "tool-call", **c} for c in calls if isinstance(c, dict)]}
        )
        message.parts.extend(parsed.parts if parsed else [])
    return [message]
