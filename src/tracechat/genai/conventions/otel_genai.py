"""OpenTelemetry GenAI semantic conventions, span attributes.

Follows semantic-conventions v1.26 through v1.41.1 and the drafts of the
semantic-conventions-genai repository (transfer / handoff refinements) as of 2026-08:
``gen_ai.input.messages`` / ``gen_ai.output.messages`` / ``gen_ai.system_instructions`` /
``gen_ai.tool.definitions`` (1.37+), ``gen_ai.tool.call.*`` (1.38+), reasoning tokens
(1.41), ``gen_ai.conversation.compacted`` (semantic-conventions-genai, as
opentelemetry-util-genai 1.3b0 sets it), the ≤1.27 span events ``gen_ai.content.prompt`` /
``gen_ai.content.completion``, and the handoff keys OpenLLMetry and the contrib openai-agents processor use.
"""

from __future__ import annotations

from typing import Any

from tracechat.genai.handoffs import OTEL_HANDOFF_TARGET_KEYS
from tracechat.genai.messages import messages_document, parse_messages
from tracechat.genai.types import Message, Part, SpanFacts
from tracechat.genai.values import json_text, number, structured, text


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    facts.fill("agent_name", text(a.get("gen_ai.agent.name")) or text(a.get("gen_ai.agent.id")))
    facts.fill("input_messages", paired_by_order(parse_messages(a.get("gen_ai.input.messages"))))
    outputs = messages_document(a.get("gen_ai.output.messages"))  # read twice: decoded once
    facts.fill("output_messages", _saying_something(parse_messages(outputs)))
    facts.fill("system_instructions", instructions_text(a.get("gen_ai.system_instructions")))
    facts.fill("tool_definitions", tool_definitions(a.get("gen_ai.tool.definitions")))
    facts.fill("tool_definitions", tool_definitions(a.get("gen_ai.agent.tools")))  # Strands, on the agent span
    # the tools a request offered, by its request attribute (Langtrace: a list of one string,
    # the JSON text of the request's whole tools array)
    facts.fill("tool_definitions", tool_definitions(a.get("gen_ai.request.tools")))
    facts.fill("tool_call_id", text(a.get("gen_ai.tool.call.id")))
    facts.fill("tool_arguments", json_text(a.get("gen_ai.tool.call.arguments")))
    facts.fill("tool_result", json_text(a.get("gen_ai.tool.call.result")))
    for key in ("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"):
        facts.fill("reasoning_tokens", number(a.get(key)))
    facts.fill("finish_reason", first_finish_reason(a.get("gen_ai.response.finish_reasons")))
    facts.fill("finish_reason", output_finish_reason(outputs))
    facts.fill("conversation_compacted", _flag(a.get("gen_ai.conversation.compacted")))
    facts.fill("handoff_from", text(a.get("gen_ai.handoff.from_agent")))
    # gen_ai.handoff.to_agent, else gen_ai.transfer.target.name: the first that names one
    facts.fill("handoff_to", next(filter(None, (text(a.get(key)) for key in OTEL_HANDOFF_TARGET_KEYS)), None))
    # the agent that invoked or handed over to this one (OpenLIT's record of a handoff)
    facts.fill("handoff_from", text(a.get("gen_ai.agent.source")))
    if facts.handoff_to and not facts.handoff_from:
        facts.fill("handoff_from", facts.agent_name)
    for event in facts.events:  # ≤ 1.27: content as span events
        if event.name == "gen_ai.content.prompt":
            facts.fill("input_messages", parse_messages(event.attributes.get("gen_ai.prompt")))
        elif event.name == "gen_ai.content.completion":
            facts.fill("output_messages", parse_messages(event.attributes.get("gen_ai.completion")))
        elif event.name == "gen_ai.tool.input":
            facts.fill("tool_arguments", json_text(event.attributes.get("gen_ai.tool.call.arguments")))
        elif event.name == "gen_ai.tool.output":
            facts.fill("tool_result", json_text(event.attributes.get("gen_ai.tool.call.result")))


def paired_by_order(messages: list[Message] | None) -> list[Message] | None:
    """A history whose tool results answer ids that none of its tool calls has, while calls
    before them have ids no result answers, names its calls by another id than the one their
    results answer (OpenLLMetry's OpenAI instrumentation records a Responses ``function_call``
    by its item id, ``fc_…``, its output by the ``call_id``): each such result answers the
    earliest such call before it, which takes the id the result answers."""
    if not messages:
        return messages
    named: set[str] = set()
    answered: set[str] = set()
    for message in messages:
        for part in message.parts:
            if part.id and part.kind == "tool_call":
                named.add(part.id)
            elif part.id and part.kind == "tool_result":
                answered.add(part.id)
    if answered <= named:
        return messages  # every result answers a call it names: nothing to pair
    waiting: list[Part] = []
    for message in messages:
        for part in message.parts:
            if part.kind == "tool_call" and part.id and part.id not in answered:
                waiting.append(part)
            elif part.kind == "tool_result" and part.id and part.id not in named and waiting:
                waiting.pop(0).id = part.id
    return messages


def _saying_something(messages: list[Message] | None) -> list[Message] | None:
    """Output messages with no part at all (LiteLLM's ``{"role": "assistant", "parts": [],
    "finish_reason": "tool_calls"}`` for a reply that only asked for tools) say nothing of
    the reply: left unknown, so that another record of it (the indexed
    ``gen_ai.completion.N.*`` beside them) is read."""
    return messages if messages and any(m.parts for m in messages) else None


def _flag(value: Any) -> bool | None:
    """A boolean attribute, also as the text ``true`` / ``false``."""
    if isinstance(value, bool):
        return value
    found = (text(value) or "").strip().lower()
    return {"true": True, "false": False}.get(found)


def first_finish_reason(value: Any) -> str | None:
    """``gen_ai.response.finish_reasons``: an array (or its JSON text), one per choice."""
    document = structured(value)
    if isinstance(document, list):
        return next((str(r) for r in document if r), None)
    return text(value)


def output_finish_reason(value: Any) -> str | None:
    """The first ``finish_reason`` of ``gen_ai.output.messages`` (one per choice)."""
    document = structured(value)
    if isinstance(document, list):
        return next((str(m["finish_reason"]) for m in document if isinstance(m, dict) and m.get("finish_reason")), None)
    return None


def instructions_text(value: Any) -> str | None:
    """System instructions: a list of parts (1.37+), or plain text."""
    document = structured(value)
    if isinstance(document, list):
        pieces = []
        for part in document:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict):
                content = part.get("content", part.get("text"))
                if isinstance(content, str):
                    pieces.append(content)
        return "\n".join(pieces) or None
    if isinstance(document, dict):
        content = document.get("content", document.get("text"))
        return content if isinstance(content, str) else None
    return text(value)


def tool_definitions(value: Any) -> list[Any] | None:
    document = structured(value)
    if isinstance(document, dict):
        document = [document]
    if isinstance(document, list):
        # Vercel's ai.prompt.tools is a list of JSON strings; Strands' gen_ai.agent.tools a
        # list of tool names; a string holding a whole array (Langtrace's gen_ai.request.tools)
        # is that array's definitions
        parsed: list[Any] = []
        for item in document:
            definition = _definition(item)
            if isinstance(item, str) and isinstance(definition, list):
                parsed.extend(definition)
            else:
                parsed.append(definition)
        return [item for item in parsed if item is not None] or None
    return None


def _definition(item: Any) -> Any:
    if not isinstance(item, str):
        return item
    return structured(item) if item.lstrip()[:1] in ("{", "[") else (text(item) or None)
