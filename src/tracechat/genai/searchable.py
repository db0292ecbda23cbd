"""The text of a span that a person would call the conversation, for the full-text index.

Read from ``SpanFacts`` (so every convention and message shape the trajectory reads is read
here too, by the same code): input and output messages by role, reasoning, tool call
arguments, tool results, system instructions, compaction summaries, and a span's generic
input and output when it recorded no messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracechat.genai.messages import parse_messages
from tracechat.genai.types import Message, SpanFacts
from tracechat.model.summaries import TextField as Field

MAX_CHARS = 65_536
"""Only the first this many characters of one piece are indexed: conversation is shorter;
what is longer is documents and payloads, which would make the index large for little."""

_BY_ROLE: dict[str, Field] = {"user": "user_message", "system": "system_instructions", "tool": "tool_result"}


@dataclass(frozen=True, slots=True)
class SpanText:
    field: Field
    text: str


def span_texts(facts: SpanFacts) -> list[SpanText]:
    """Every piece of conversation the span records, in reading order. Repeated history is
    not left out here (every model call's input carries it): the indexer leaves out what it
    already indexed for the trace."""
    found: list[SpanText] = []
    _add(found, "system_instructions", facts.system_instructions)
    for message in facts.input_messages or ():
        _message(found, message)
    _add(found, "tool_arguments", facts.tool_arguments)
    _add(found, "tool_result", facts.tool_result)
    for message in facts.output_messages or ():
        _message(found, message)
    _add(found, "compaction_summary", facts.compaction_summary)
    if facts.input_messages is None and facts.tool_arguments is None:
        _generic(found, "input", facts.input_text)
    if facts.output_messages is None and facts.tool_result is None:
        _generic(found, "output", facts.output_text)
    return found


def _message(found: list[SpanText], message: Message) -> None:
    text_field = _BY_ROLE.get(message.role, "assistant_message")
    for part in message.parts:
        if part.kind == "text":
            _add(found, text_field, part.text)
        elif part.kind == "reasoning":
            _add(found, "reasoning", part.text)
        elif part.kind == "tool_call":
            _add(found, "tool_arguments", part.arguments)
        elif part.kind == "tool_result":
            _add(found, "tool_result", part.text)


def _generic(found: list[SpanText], field: Field, value: str | None) -> None:
    """A span's plain input or output (agent, chain and tool spans of several conventions).
    When it is a message list (a chain's whole state, say), its messages are read instead,
    so a history repeated from span to span is left out like a model call's."""
    messages = parse_messages(value) if value and value.lstrip()[:1] in ("[", "{") else None
    readable = [m for m in messages or () if any(p.text or p.arguments for p in m.parts)]
    if readable:
        for message in readable:
            _message(found, message)
    else:
        _add(found, field, value)


def _add(found: list[SpanText], field: Field, text: str | None) -> None:
    if text and not text.isspace():
        found.append(SpanText(field, text[:MAX_CHARS]))
