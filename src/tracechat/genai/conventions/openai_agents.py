"""OpenAI Agents SDK span data as exported by Logfire and other processors that write the
SDK's ``span_data.export()`` fields as attributes (openai-agents-python, 2026-08):
``from_agent`` / ``to_agent`` on handoff spans, ``name`` / ``input`` / ``output`` on function
spans. (Through OpenInference and OpenLLMetry the SDK is read by those modules.)"""

from __future__ import annotations

from tracechat.genai.types import SpanFacts
from tracechat.genai.values import json_text, text


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    if "from_agent" in a or "to_agent" in a:
        facts.fill("handoff_from", text(a.get("from_agent")))
        facts.fill("handoff_to", text(a.get("to_agent")))
    if facts.name.startswith("Function: "):
        facts.fill("tool_name", text(a.get("name")) or facts.name[len("Function: ") :])
        facts.fill("tool_arguments", json_text(a.get("input")))
        facts.fill("tool_result", json_text(a.get("output")))
    if facts.name.startswith("Agent run: "):
        facts.fill("agent_name", text(a.get("name")) or facts.name[len("Agent run: ") :].strip("'\""))
