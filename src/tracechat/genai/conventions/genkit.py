"""Google Genkit's own tracing (``genkit`` 1.x, JS; scope ``genkit-tracer``): no ``gen_ai.*``
key; every span is an action or a utility, named by ``genkit:type`` and
``genkit:metadata:subtype`` (``flow``, ``model``, ``tool``, ``agent``, ``prompt``…; ``generate``
is the tool loop, ``genkit:type = util``; an ``agent`` action, ``ai.defineAgent`` of
genkit/beta, is named after its agent and runs its turns as ``runTurn-N`` flow steps), with
what it was called with and returned as JSON in ``genkit:input`` / ``genkit:output``. A model
action's input is the request in Genkit's
message format (``{"messages": [{"role", "content": [parts]}], "tools": [...]}``; parts read
by ``genai/messages``: ``text``, ``toolRequest``, ``toolResponse``), its output the response
(``message``, ``usage`` with ``inputTokens`` / ``outputTokens``, Genkit's own
``finishReason``, which says ``stop`` for a call that asked for tools, and the provider's
``raw`` response, whose model, id and finish reason are the provider's). A tool action's
input and output are the call's arguments and result. Only model actions carry a call's
usage: the ``generate`` utility repeats its last response's, so it is read as a workflow."""

from __future__ import annotations

from typing import Any

from tracechat.genai.conventions.otel_genai import tool_definitions
from tracechat.genai.messages import (
    parse_messages,
    response_finish_reason,
    response_reasoning_tokens,
)
from tracechat.genai.types import SpanFacts
from tracechat.genai.values import json_text, structured
from tracechat.ingest.promote import GENKIT_SUBTYPES

_SUBTYPE = "genkit:metadata:subtype"
_TYPE = "genkit:type"


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    if _TYPE not in a:
        return
    subtype = json_text(a.get(_SUBTYPE))
    # promoted at ingest (a span stored before that is read the same way); another subtype,
    # and a utility (the ``generate`` loop), are a workflow step
    facts.fill("operation", GENKIT_SUBTYPES.get(subtype or "", "chain"))
    inputs, outputs = a.get("genkit:input"), a.get("genkit:output")
    name = json_text(a.get("genkit:name")) or facts.name
    if subtype == "model":
        _model_call(facts, name, structured(inputs), structured(outputs))
    elif subtype == "tool":
        facts.fill("tool_name", name)
        facts.fill("tool_arguments", json_text(inputs))
        facts.fill("tool_result", json_text(outputs))
    else:
        if subtype == "agent":  # ``ai.defineAgent`` (genkit/beta): the action is named after it
            facts.fill("agent_name", name)
        facts.fill("input_text", json_text(inputs))
        facts.fill("output_text", json_text(outputs))


def _model_call(facts: SpanFacts, name: str, request: Any, response: Any) -> None:
    facts.fill("request_model", name)
    if isinstance(request, dict):
        facts.fill("input_messages", parse_messages(request))
        facts.fill("tool_definitions", tool_definitions(request.get("tools")))
    if not isinstance(response, dict):
        return
    message = response.get("message")
    facts.fill("output_messages", parse_messages([message]) if isinstance(message, dict) else None)
    usage = response.get("usage")
    if isinstance(usage, dict):
        facts.fill("input_tokens", _count(usage.get("inputTokens")))
        facts.fill("output_tokens", _count(usage.get("outputTokens")))
    raw = response.get("raw")
    if isinstance(raw, dict):
        facts.fill("response_model", raw.get("model") if isinstance(raw.get("model"), str) else None)
        facts.fill("response_id", raw.get("id") if isinstance(raw.get("id"), str) else None)
        facts.fill("finish_reason", response_finish_reason(raw))
        facts.fill("reasoning_tokens", response_reasoning_tokens(raw))
    reason = response.get("finishReason")
    facts.fill("finish_reason", reason if isinstance(reason, str) and reason else None)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
