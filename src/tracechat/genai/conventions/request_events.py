"""A span event that records the request a model call sent, as a framework's own event.

Frameworks that trace through an event bus of their own turn each event into a span event
whose attributes are the event's fields, nested objects flattened into dotted keys and lists
JSON-encoded (``llama-index-observability-otel``: ``messages``, ``additional_kwargs.tools``,
``model_dict.model_name``). An event that carries the conversation as ``messages`` beside the
name of the model it was sent to is that model call's request, whatever the event is called:
its messages are the call's input (the system ones its instructions), its ``tools`` (under
any prefix: request options are often nested) the tools it offered. An event without a model
name is no request (a chat memory's or a prompt template's messages are not a call).
"""

from __future__ import annotations

from typing import Any

from tracechat.genai.conventions.otel_genai import tool_definitions
from tracechat.genai.messages import parse_messages
from tracechat.genai.types import SpanFacts
from tracechat.genai.values import text
from tracechat.model.span import Attributes

_MODEL_KEYS = ("model", "model_name")


def extract(facts: SpanFacts) -> None:
    if facts.input_messages is not None:
        return  # a convention of higher precedence read the request
    for event in facts.events:
        model = _model(event.attributes)
        messages = parse_messages(event.attributes["messages"]) if model and "messages" in event.attributes else None
        if not messages:
            continue
        facts.fill("request_model", model)
        facts.fill("input_messages", messages)
        system = [t for m in messages if m.role == "system" for t in m.texts()]
        facts.fill("system_instructions", "\n".join(system) or None)
        facts.fill("tool_definitions", tool_definitions(_under_any_prefix(event.attributes, "tools")))
        return


def _model(attributes: Attributes) -> str | None:
    """The model's name: ``model`` / ``model_name``, at the top or in one nested object."""
    for last in _MODEL_KEYS:
        found = _under_any_prefix(attributes, last)
        if text(found):
            return text(found)
    return None


def _under_any_prefix(attributes: Attributes, last: str) -> Any:
    """The value of the one key that is ``last`` or ends in ``.<last>``; None when none is, or
    when several are (which one the request used is then unknown)."""
    if last in attributes:
        return attributes[last]
    found = [key for key in attributes if key.endswith("." + last)]
    return attributes[found[0]] if len(found) == 1 else None
