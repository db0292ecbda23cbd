"""The messages of a chat request as the chat stores them, and which of them it already holds.

``useChat`` sends AI SDK UI messages (``parts``) and resends the whole history every turn;
seed 000's clients send ``{role, content}`` with only the new messages. Both become
``NewMessage``s here. A UI message's id travels in its stored messages' metadata
(``ui_message_id``), and so do the ids of the answers tracechat streamed (the ``messageId``
of their ``start`` chunk): that is how a resent message is recognised. Messages without an
id are always new.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tracechat.errors import InvalidInput
from tracechat.model.chat import ChatMessage, ChatToolCall, NewMessage, ToolCallFunction
from tracechat.model.ui_message import Trigger, UIFilePart, UIMessage, UIOtherPart, UIPart, UITextPart, UIToolPart

UI_ID = "ui_message_id"
_PARAGRAPH = "\n\n"


def ui_id(message: NewMessage) -> str | None:
    """The UI message a stored or new message belongs to, if any."""
    found = (message.metadata or {}).get(UI_ID)
    return found if isinstance(found, str) else None


def tagged(message_id: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {UI_ID: message_id, **(metadata or {})}


# -- request messages → NewMessage ------------------------------------------------------------


def to_new_messages(messages: Sequence[NewMessage | UIMessage]) -> list[NewMessage]:
    """Every message of a request, in order; a UI message may become several (an answer's
    steps: its calls, their results, its text). Raises ``InvalidInput`` for a message the
    assistant could not read: one without text (an assistant message may instead call tools)."""
    converted: list[NewMessage] = []
    for index, message in enumerate(messages):
        if isinstance(message, UIMessage):
            converted += _from_ui(index, message)
        else:
            calls = message.role == "assistant" and bool(message.tool_calls)
            _check_text(index, message.role, _has_text(message.content) or calls)
            converted.append(message)
    return converted


def _has_text(text: str | None) -> bool:
    return bool(text and text.strip())


def _check_text(index: int, role: str, readable: bool) -> None:
    if not readable:
        wanted = "text or tool calls" if role == "assistant" else "text"
        raise InvalidInput(f"messages[{index}]: this {role} message has no {wanted} (send content or a text part)")


def _from_ui(index: int, message: UIMessage) -> list[NewMessage]:
    if message.role == "assistant":
        # useChat keeps an answer that was stopped before any text: nothing in it to store
        return [m for step in _steps(message.parts) for m in _step_messages(message, step)]
    text = _text(message.parts)
    _check_text(index, message.role, text is not None)
    return [NewMessage(role=message.role, content=text, metadata=_metadata(message))]


def _text(parts: Sequence[UIPart]) -> str | None:
    return _PARAGRAPH.join(p.text for p in parts if isinstance(p, UITextPart) and _has_text(p.text)) or None


def _metadata(message: UIMessage) -> dict[str, Any] | None:
    """The UI message's id and metadata; a file's name and type (the analyst reads text only,
    and a file's bytes do not belong in a chat row)."""
    kept: dict[str, Any] = {}
    if message.id:
        kept[UI_ID] = message.id
    if message.metadata is not None:
        kept["ui_metadata"] = message.metadata
    files = [{"mediaType": p.mediaType, "filename": p.filename} for p in message.parts if isinstance(p, UIFilePart)]
    if files:
        kept["files"] = files
    return kept or None


def _steps(parts: Sequence[UIPart]) -> list[list[UIPart]]:
    """An answer's parts split at ``step-start``: one model call each."""
    steps: list[list[UIPart]] = [[]]
    for part in parts:
        if isinstance(part, UIOtherPart) and part.type == "step-start":
            steps.append([])
        else:
            steps[-1].append(part)
    return [step for step in steps if step]


def _step_messages(message: UIMessage, step: list[UIPart]) -> list[NewMessage]:
    """One model call as tracechat stores its own: the assistant's text and calls, then each
    call's result. Reasoning is not stored, and a call that never got a result is left out
    (a provider refuses a history with an unanswered call)."""
    answered = [(p, result) for p in step if isinstance(p, UIToolPart) and (result := _result(p)) is not None]
    text = _text(step)
    if text is None and not answered:
        return []
    metadata = _metadata(message)
    calls = [_call(part) for part, _ in answered]
    reply = NewMessage(role="assistant", content=text, tool_calls=calls or None, metadata=metadata)
    results = [
        NewMessage(role="tool", content=result, tool_call_id=part.toolCallId, metadata=metadata)
        for part, result in answered
    ]
    return [reply, *results]


def _call(part: UIToolPart) -> ChatToolCall:
    name = part.toolName if part.type == "dynamic-tool" and part.toolName else part.type.removeprefix("tool-")
    arguments = part.input if isinstance(part.input, str) else json.dumps(part.input or {})
    return ChatToolCall(id=part.toolCallId, function=ToolCallFunction(name=name, arguments=arguments))


def _result(part: UIToolPart) -> str | None:
    if part.state == "output-available":
        return json.dumps(part.output, default=str)
    if part.state == "output-error":
        return json.dumps({"error": part.errorText})
    if part.state == "output-denied":
        return json.dumps({"error": "the user denied this tool call"})
    return None


# -- what a turn stores -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """What a turn does to its chat before answering."""

    drop_after: int | None
    """Delete the chat's messages with a greater id first (``None``: delete nothing)."""
    store: list[NewMessage]
    """Then store these, in order."""
    history: list[ChatMessage]
    """What is left of the stored chat: the model reads it, then ``store``."""

    @property
    def asked(self) -> list[NewMessage]:
        """What this turn answers: the new messages, or the user message answered again."""
        return self.store or list(self.history[-1:])


def plan(stored: list[ChatMessage], incoming: list[NewMessage], trigger: Trigger) -> Plan:
    """Store only what the chat does not hold. ``regenerate-message`` answers the request's last
    user message again: the chat is cut back to end with it. A ``submit-message`` that ends with
    a user message the chat holds is useChat's edit (``sendMessage({messageId})``): the chat is
    cut back to before it and the message stored as sent now."""
    held = {ui_id(m) for m in stored} - {None}
    last_user = next((m for m in reversed(incoming) if m.role == "user"), None)
    if trigger == "regenerate-message" and last_user is not None:
        incoming = incoming[: _last_index(incoming, last_user) + 1]  # what followed is being redone
        if ui_id(last_user) in held:
            return _cut(stored, _end_of(stored, ui_id(last_user)), [])
    elif last_user is not None and last_user is incoming[-1] and ui_id(last_user) in held:
        edited = ui_id(last_user)
        return _cut(stored, _start_of(stored, edited), [m for m in incoming if ui_id(m) == edited])
    return Plan(None, [m for m in incoming if ui_id(m) not in held], stored)


def _cut(stored: list[ChatMessage], keep: int, store: list[NewMessage]) -> Plan:
    if keep == len(stored):
        return Plan(None, store, stored)
    return Plan(stored[keep - 1].id if keep else 0, store, stored[:keep])


def _last_index(messages: list[NewMessage], message: NewMessage) -> int:
    return max(i for i, m in enumerate(messages) if m is message)


def _start_of(stored: list[ChatMessage], message_id: str | None) -> int:
    return next(i for i, m in enumerate(stored) if ui_id(m) == message_id)


def _end_of(stored: list[ChatMessage], message_id: str | None) -> int:
    return max(i for i, m in enumerate(stored) if ui_id(m) == message_id) + 1
