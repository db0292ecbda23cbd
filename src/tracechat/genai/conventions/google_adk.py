"""Google ADK telemetry, schema 1 (``otel_semconv_1_36``) and 2 (``otel_semconv_1_44``), as in
google-adk 2.13: ``gcp.vertex.agent.llm_request`` / ``llm_response`` / ``tool_call_args`` /
``tool_response`` (schema 1) and the ``compact_events`` span with ``gen_ai.compaction.*``.
Schema 2's message attributes are OTel GenAI (see ``otel_genai``)."""

from __future__ import annotations

from typing import Any

from tracechat.genai.conventions.otel_genai import instructions_text
from tracechat.genai.messages import parse_messages
from tracechat.genai.types import Message, SpanFacts
from tracechat.genai.values import json_text, number, structured, text


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    request = structured(a.get("gcp.vertex.agent.llm_request"))
    if isinstance(request, dict):
        facts.fill("input_messages", parse_messages(request.get("contents")))
        config = request["config"] if isinstance(request.get("config"), dict) else {}
        facts.fill("system_instructions", instructions_text(config.get("system_instruction")))
        tools = config.get("tools")
        if isinstance(tools, list):
            facts.fill("tool_definitions", _declarations(tools))
        facts.fill("request_model", text(request.get("model")))
    response = structured(a.get("gcp.vertex.agent.llm_response"))
    if isinstance(response, dict):
        facts.fill("output_messages", _response(response))
        usage = response.get("usage_metadata")
        if isinstance(usage, dict):
            facts.fill("reasoning_tokens", number(usage.get("thoughts_token_count")))
    facts.fill("tool_arguments", json_text(a.get("gcp.vertex.agent.tool_call_args")))
    facts.fill("tool_result", json_text(a.get("gcp.vertex.agent.tool_response")))
    if facts.operation == "compact_events" or facts.name.startswith("compact_events"):
        facts.fill("compaction_items_before", number(a.get("gen_ai.compaction.event_count")))


def _response(response: dict[str, Any]) -> list[Message] | None:
    content = response.get("content")
    if isinstance(content, dict):
        return parse_messages([{"role": content.get("role", "model"), **content}])
    return None


def _declarations(tools: list[Any]) -> list[Any] | None:
    found: list[Any] = []
    for tool in tools:
        if isinstance(tool, dict) and isinstance(tool.get("function_declarations"), list):
            found.extend(tool["function_declarations"])
        elif tool is not None:
            found.append(tool)
    return found or None
