"""A trajectory as OpenAI chat messages: ``{"messages": [...], "tools": [...]}``, the body
of a Chat Completions request (and a line of a fine-tuning file).

The mapping (docs/trajectories.md has the table): the instructions of each ``agent_start``
→ a ``system`` message; ``user_message`` → ``user``; ``assistant_message`` → ``assistant``
with its ``tool_calls`` (arguments from the ``tool_call`` entry of the same id); each
``tool_call`` → a ``tool`` message with its result. Entries the format has no place for
(hand-offs, compaction, a tool call no model call asked for, a user turn with no text) are
left out and named in ``omitted``; values the trace did not record are absent."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tracechat.model.trajectory import AgentChatMessage
from tracechat.query.formats.tools import offered_tools


class FunctionCall(BaseModel):
    name: str | None = None
    arguments: str | None = Field(default=None, description="JSON text, as recorded; absent when not recorded.")


class ChatToolCall(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = None
    tool_calls: list[ChatToolCall] | None = None
    tool_call_id: str | None = None


class Omitted(BaseModel):
    span_id: str
    type: str
    reason: str


class OpenAIChat(BaseModel):
    """A trajectory as an OpenAI Chat Completions conversation."""

    messages: list[ChatMessage]
    tools: list[Any] | None = Field(
        default=None, description="Function tools offered to the model (OpenAI shape); absent when none recorded."
    )
    metadata: dict[str, str] = Field(description="Where the conversation comes from: trace_id or session_id.")
    omitted: list[Omitted] | None = Field(
        default=None, description="Trajectory entries this format has no place for, by span."
    )


def to_openai(messages: list[AgentChatMessage], metadata: dict[str, str]) -> OpenAIChat:
    """The conversation of ``messages`` (a trace's or a session's) as OpenAI chat messages."""
    arguments = {m.tool_call.tool_call_id: m.tool_call.tool_arguments for m in messages if m.tool_call is not None}
    asked: set[str] = set()
    out: list[ChatMessage] = []
    omitted: list[Omitted] = []
    for message in messages:
        converted, reason = _convert(message, arguments, asked)
        out.extend(converted)
        if reason is not None:
            omitted.append(Omitted(span_id=message.span_id, type=message.type, reason=reason))
    tools = offered_tools(messages)
    return OpenAIChat(messages=out, tools=tools or None, metadata=metadata, omitted=omitted or None)


def _convert(
    message: AgentChatMessage, arguments: dict[str | None, str | None], asked: set[str]
) -> tuple[list[ChatMessage], str | None]:
    if message.agent_start is not None:
        text = message.agent_start.system_instructions
        return ([ChatMessage(role="system", content=text)] if text else []), None
    if message.user_message is not None:
        if message.user_message.text is None:
            return [], "no text recorded (only referenced content)"
        return [ChatMessage(role="user", content=message.user_message.text)], None
    if message.assistant_message is not None:
        entry = message.assistant_message
        calls = [
            ChatToolCall(id=c.id, function=FunctionCall(name=c.name, arguments=arguments.get(c.id)))
            for c in entry.tool_calls or []
            if c.id is not None
        ]
        asked.update(c.id for c in calls)
        return [ChatMessage(role="assistant", content=entry.text, tool_calls=calls or None)], None
    if message.tool_call is not None:
        call = message.tool_call
        if call.tool_call_id is None or call.tool_call_id not in asked:
            return [], "no model call in the trajectory asked for this tool call"
        content = call.tool_result if call.tool_result is not None else call.error
        return [ChatMessage(role="tool", tool_call_id=call.tool_call_id, content=content)], None
    return [], f"OpenAI chat messages have no {message.type}"
