"""OpenTelemetry GenAI events: the per-message events of semantic conventions v1.28–v1.36
(``gen_ai.system.message``, ``gen_ai.user.message``, ``gen_ai.assistant.message``,
``gen_ai.tool.message``, ``gen_ai.choice``), ``gen_ai.client.inference.operation.details``
(1.37+) and ``gen_ai.evaluation.result`` (1.38+); whether they arrive as OTLP log records
linked to the span or as span events."""

from __future__ import annotations

from typing import Any

from tracechat.genai.conventions.otel_genai import (
    first_finish_reason,
    instructions_text,
    output_finish_reason,
    tool_definitions,
)
from tracechat.genai.messages import parse_message, parse_messages
from tracechat.genai.types import Feedback, Message, SpanFacts
from tracechat.genai.values import structured, text

_INPUT_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


def extract(facts: SpanFacts) -> None:
    inputs: list[Message] = []
    outputs: list[Message] = []
    for name, body, attributes in _events(facts):
        if name in _INPUT_ROLES:
            message = _message(body, attributes, _INPUT_ROLES[name])
            if message:
                inputs.append(message)
        elif name == "gen_ai.choice":
            message = _message(body, attributes, "assistant")
            if message:
                outputs.append(message)
            choice = _serialized_message(body) if isinstance(body, str) else body
            if isinstance(choice, dict):
                facts.fill("finish_reason", text(choice.get("finish_reason")))
        elif name == "gen_ai.client.inference.operation.details":
            _details(facts, {**attributes, **(body if isinstance(body, dict) else {})})
        elif name == "gen_ai.evaluation.result":
            facts.feedback.append(_evaluation(attributes, body))
    system = [m for m in inputs if m.role == "system"]
    if system:
        facts.fill("system_instructions", "\n".join(t for m in system for t in m.texts()) or None)
    if inputs:
        facts.fill("input_messages", inputs)
    if outputs:
        facts.fill("output_messages", outputs)


def _events(facts: SpanFacts) -> list[tuple[str, Any, dict[str, Any]]]:
    found: list[tuple[str, Any, dict[str, Any]]] = []
    for log in facts.logs:
        name = log.event_name or text(log.attributes.get("event.name"))
        if name:
            found.append((name, log.body, log.attributes))
    for event in facts.events:
        if event.name in _INPUT_ROLES or event.name in ("gen_ai.choice", "gen_ai.evaluation.result"):
            found.append((event.name, event.attributes, event.attributes))
        elif event.name == "gen_ai.client.inference.operation.details":
            found.append((event.name, None, event.attributes))
    return found


_MESSAGE_KEYS = {"role", "content", "parts", "message", "tool_calls"}


def _message(body: Any, attributes: dict[str, Any], role: str) -> Message | None:
    if isinstance(body, str):
        body = _serialized_message(body) or {"content": body}
    if not isinstance(body, dict):
        return None
    message = parse_message({"role": role, **body}) if "role" not in body else parse_message(body)
    if message is not None and role == "assistant" and message.role not in ("assistant",):
        message.role = "assistant"
    return message if message and message.parts else None


def _serialized_message(body: str) -> dict[str, Any] | None:
    """A body that is the JSON text of a message (Semantic Kernel logs ``{"role": "user",
    "content": …}`` and ``{"message": {…}, "finish_reason": …}`` as text): that message."""
    if not body.lstrip().startswith("{"):
        return None
    document = structured(body)
    return document if isinstance(document, dict) and _MESSAGE_KEYS & set(document) else None


def _details(facts: SpanFacts, attributes: dict[str, Any]) -> None:
    facts.fill("input_messages", parse_messages(attributes.get("gen_ai.input.messages")))
    facts.fill("output_messages", parse_messages(attributes.get("gen_ai.output.messages")))
    facts.fill("system_instructions", instructions_text(attributes.get("gen_ai.system_instructions")))
    facts.fill("tool_definitions", tool_definitions(attributes.get("gen_ai.tool.definitions")))
    facts.fill("finish_reason", first_finish_reason(attributes.get("gen_ai.response.finish_reasons")))
    facts.fill("finish_reason", output_finish_reason(attributes.get("gen_ai.output.messages")))


def _evaluation(attributes: dict[str, Any], body: Any) -> Feedback:
    score = attributes.get("gen_ai.evaluation.score.value")
    explanation = attributes.get("gen_ai.evaluation.explanation")
    if explanation is None and isinstance(body, str):
        explanation = body
    return Feedback(
        name=text(attributes.get("gen_ai.evaluation.name")) or "evaluation",
        score=float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
        label=text(attributes.get("gen_ai.evaluation.score.label")),
        comment=text(explanation),
        source="gen_ai.evaluation.result",
    )
