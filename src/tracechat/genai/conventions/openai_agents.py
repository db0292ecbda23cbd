"""OpenAI Agents SDK span data as exported by Logfire and other processors that write the
SDK's ``span_data.export()`` fields as attributes (openai-agents-python, 2026-08):
``from_agent`` / ``to_agent`` on handoff spans, ``name`` / ``input`` / ``output`` on function
spans, and on response spans the Responses API ``response`` object with the ``raw_input``
items it answered (Logfire 5.x's ``instrument_openai_agents``). (Through OpenInference and
OpenLLMetry the SDK is read by those modules.)"""

from __future__ import annotations

from typing import Any

from tracechat.genai.handoffs import OPENAI_AGENTS_HANDOFF_TARGET_KEY
from tracechat.genai.messages import parse_messages, response_messages
from tracechat.genai.types import SpanFacts
from tracechat.genai.values import json_text, structured, text


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    if "from_agent" in a or OPENAI_AGENTS_HANDOFF_TARGET_KEY in a:
        facts.fill("handoff_from", text(a.get("from_agent")))
        facts.fill("handoff_to", text(a.get(OPENAI_AGENTS_HANDOFF_TARGET_KEY)))
    if facts.name.startswith("Function: "):
        facts.fill("tool_name", text(a.get("name")) or facts.name[len("Function: ") :])
        facts.fill("tool_arguments", json_text(a.get("input")))
        facts.fill("tool_result", json_text(a.get("output")))
    if facts.name.startswith("Agent run: "):
        facts.fill("agent_name", text(a.get("name")) or facts.name[len("Agent run: ") :].strip("'\""))
    response = _response_object(a.get("response"))
    if response is not None:
        _read_response(facts, response, a.get("raw_input"))


def _response_object(value: Any) -> dict[str, Any] | None:
    """A Responses API response body (``{"id", "output": [...], ...}``), else None."""
    document = structured(value)
    if isinstance(document, dict) and isinstance(document.get("output"), list) and "id" in document:
        return document
    return None


def _read_response(facts: SpanFacts, response: dict[str, Any], raw_input: Any) -> None:
    """A response span: the response it got is the call's output, and the request's parts it
    echoes (``instructions``, ``tools``) are what the call was sent; ``raw_input`` the items
    it was sent. Read before a message list that mixes the two (Logfire's ``events``, whose
    last assistant message is the reply, recorded as a ``gen_ai.assistant.message``)."""
    facts.fill("output_messages", response_messages(response))
    facts.fill("input_messages", parse_messages(raw_input))
    instructions = response.get("instructions")
    facts.fill("system_instructions", instructions if isinstance(instructions, str) and instructions else None)
    tools = response.get("tools")
    facts.fill("tool_definitions", tools if isinstance(tools, list) and tools else None)
