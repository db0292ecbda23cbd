"""Pydantic AI (and Logfire) instrumentation, formats 1–6 (pydantic-ai 0.x–2.33):
format 1's ``events`` / ``all_messages_events`` JSON attributes, format 2's
``agent run`` / ``running tool`` spans (``agent_name``, ``tool_arguments``,
``tool_response``), ``final_result`` and ``pydantic_ai.all_messages`` on agent spans,
``gen_ai.usage.details.reasoning_tokens``. Its message dialect (``thinking`` parts,
``result`` in tool responses) is read by ``genai.messages``. Logfire's OpenAI Agents
integration puts the same ``events`` attribute on response spans."""

from __future__ import annotations

from typing import Any

from tracechat.genai.messages import parse_message
from tracechat.genai.types import Message, SpanFacts
from tracechat.genai.values import json_text, number, structured, text

_EVENT_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
    "gen_ai.choice": "assistant",
}


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    facts.fill("reasoning_tokens", number(a.get("gen_ai.usage.details.reasoning_tokens")))
    facts.fill("tool_arguments", json_text(a.get("tool_arguments")))
    facts.fill("tool_result", json_text(a.get("tool_response")))
    facts.fill("output_text", json_text(a.get("final_result")))
    events = structured(a.get("events"))
    if isinstance(events, list):
        inputs, outputs = _split(events)
        facts.fill("input_messages", inputs or None)
        facts.fill("output_messages", outputs or None)
        system = [t for m in inputs for t in m.texts() if m.role == "system"]
        facts.fill("system_instructions", "\n".join(system) or None)


def _split(events: list[Any]) -> tuple[list[Message], list[Message]]:
    inputs: list[Message] = []
    outputs: list[Message] = []
    for event in events:
        if not isinstance(event, dict):
            continue
        name = text(event.get("event.name"))
        role = _EVENT_ROLES.get(name or "", str(event.get("role") or "user"))
        body = {k: v for k, v in event.items() if k not in ("event.name", "gen_ai.system")}
        message = parse_message({**body, "role": body.get("role", role)})
        if message is None or not message.parts:
            continue
        (outputs if name == "gen_ai.choice" else inputs).append(message)
    return inputs, outputs
