"""OpenLLMetry / Traceloop, semconv-ai up to 0.5.x (2026-03) and the packages not yet
migrated to ``gen_ai.input.messages``: indexed ``gen_ai.prompt.N.*`` / ``gen_ai.completion.N.*``,
``llm.request.functions.N.*``, ``traceloop.entity.*`` of the workflow decorators, and
``traceloop.span.kind`` (``workflow``, ``task``, ``agent``, ``tool``, ``handoff``); a task
that records ``tool.name`` / ``tool.arguments`` is that tool's call."""

from __future__ import annotations

from typing import Any

from tracechat.genai.messages import parse_message, result_call_id
from tracechat.genai.types import Message, Part, SpanFacts
from tracechat.genai.values import flattened, indexed, json_text, number, structured, text

PREFIXES = ("gen_ai.prompt.", "gen_ai.completion.", "llm.", "traceloop.", "gen_ai.usage.reasoning")
"""The keys this convention reads start so (``genai.registry`` runs it only on spans with one)."""


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    if not facts.has(*PREFIXES):
        return
    facts.fill("input_messages", _messages(flattened(a, "gen_ai.prompt.")))
    facts.fill("output_messages", _messages(flattened(a, "gen_ai.completion."), default_role="assistant"))
    facts.fill("tool_definitions", _functions(a))
    facts.fill("finish_reason", text(a.get("gen_ai.completion.0.finish_reason")))
    for key in ("gen_ai.usage.reasoning_tokens", "llm.usage.reasoning_tokens"):
        facts.fill("reasoning_tokens", number(a.get(key)))
    kind = text(a.get("traceloop.span.kind"))
    entity = text(a.get("traceloop.entity.name"))
    entity_input = _entity_value(a.get("traceloop.entity.input"))
    entity_output = json_text(a.get("traceloop.entity.output"))
    if kind == "task" and text(a.get("tool.name")):
        # a task that records the tool it runs and with what (OpenLLMetry's LlamaIndex
        # instrumentation: the agent workflow's tool step, `tool.name` / `tool.arguments`) is
        # that tool's call
        facts.operation, kind = "execute_tool", "tool"
    if kind == "tool":
        facts.fill("tool_name", entity)
        facts.fill("tool_arguments", json_text(a.get("tool.arguments")))
        facts.fill("tool_arguments", entity_input)
        facts.fill("tool_result", entity_output)
        facts.fill("tool_call_id", result_call_id(entity_output))
    elif kind == "agent":
        facts.fill("agent_name", entity)
    facts.fill("input_text", entity_input)
    facts.fill("output_text", entity_output)


def _messages(items: list[dict[str, Any]], default_role: str = "user") -> list[Message] | None:
    if not items:
        return None
    messages = []
    for item in items:
        role = str(item.get("role") or default_role)
        message = parse_message({"role": role, "content": item.get("content")}) or Message(role)
        for key in ("reasoning_content", "reasoning"):
            if isinstance(item.get(key), str) and item[key]:
                message.parts.insert(0, Part("reasoning", text=item[key]))
        # the single ``function_call`` of OpenAI's legacy function calling (LiteLLM writes a
        # tool call so: ``gen_ai.completion.0.function_call.{name,arguments}``, no id)
        legacy = [item["function_call"]] if isinstance(item.get("function_call"), dict) else []
        for call in [*indexed(item.get("tool_calls", {})), *legacy]:
            if isinstance(call, dict):
                message.parts.append(
                    Part(
                        "tool_call",
                        id=text(call.get("id")),
                        name=text(call.get("name")),
                        arguments=json_text(call.get("arguments")),
                    )
                )
        if item.get("tool_call_id") and role == "tool":
            message.parts = [Part("tool_result", id=str(item["tool_call_id"]), text="\n".join(message.texts()) or None)]
        messages.append(message)
    return messages


def _functions(attributes: dict[str, Any]) -> list[Any] | None:
    functions = flattened(attributes, "llm.request.functions.")
    found = [
        {
            "type": "function",
            "name": f.get("name"),
            "description": f.get("description"),
            "parameters": structured(f.get("parameters")),
        }
        for f in functions
        if f.get("name")
    ]
    return found or None


def _entity_value(value: Any) -> str | None:
    """``traceloop.entity.input`` wraps a call as ``{"args": [...], "kwargs": {...}}``."""
    document = structured(value)
    if isinstance(document, dict) and set(document) <= {"args", "kwargs"}:
        args, kwargs = document.get("args") or [], document.get("kwargs") or {}
        if not args and isinstance(kwargs, dict):
            return json_text(kwargs)
        if len(args) == 1 and not kwargs:
            return json_text(args[0])
    return json_text(value)
