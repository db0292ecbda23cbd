"""The agent trajectory of one trace: the response of ``POST /agents/traces/chat``.

Each message has a ``type`` and exactly one entry of that name; the others are left out
of the JSON. Inside an entry, values that were not recorded are ``null``, never invented.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

MessageType = Literal[
    "agent_start", "user_message", "assistant_message", "tool_call", "agent_handoff", "context_compacted"
]
ENTRY_TYPES: tuple[str, ...] = get_args(MessageType)


class Feedback(BaseModel):
    id: str | None = Field(default=None, description="Id of stored feedback; null for feedback read from spans.")
    name: str
    score: float | None = None
    label: str | None = None
    value: Any = None
    comment: str | None = None
    author: str | None = None
    span_id: str | None = None
    created_at: datetime | None = None
    source: str = Field(default="api", description="api, or the span convention it was read from.")


class AgentStart(BaseModel):
    model: str | None = None
    system_instructions: str | None = None
    tool_definitions: str | None = Field(default=None, description="JSON text of the tool definitions.")


class UserMessage(BaseModel):
    text: str | None = None
    content_refs: list[str] = Field(default_factory=list)


class RequestedToolCall(BaseModel):
    id: str | None = None
    name: str | None = None


class AssistantMessage(BaseModel):
    """One model call, whatever it produced: ``text`` is null for a call that only asked
    for tools (its calls are in ``tool_calls``)."""

    text: str | None = None
    model: str | None = None
    reasoning_content: str | None = None
    reasoning_tokens: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    duration_ms: int | None = None
    content_refs: list[str] = Field(default_factory=list)
    tool_calls: list[RequestedToolCall] | None = Field(
        default=None, description="Extension: the tools this call asked for, in the order asked."
    )
    finish_reason: str | None = Field(default=None, description="Extension: why the model stopped, as recorded.")


class ToolCall(BaseModel):
    tool_name: str | None = None
    tool_call_id: str | None = None
    tool_arguments: str | None = Field(default=None, description="JSON text, as the model or tool received it.")
    tool_result: str | None = None
    duration_ms: int | None = None
    content_refs: list[str] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Extension: the span's status message when the tool failed.")


class AgentHandoff(BaseModel):
    model_config = ConfigDict(extra="allow")
    from_agent: str | None = None
    to_agent: str | None = None


class ContextCompacted(BaseModel):
    compaction_summary: str | None = None
    compaction_items_before: int | None = None
    compaction_items_after: int | None = None


def _unset(value: object) -> bool:
    return value is None


class AgentChatMessage(BaseModel):
    """One entry of the trajectory: the entry ``type`` names is set, the others are left out,
    and so is ``feedback`` unless it was asked for."""

    # Left out field by field (``exclude_if``), each being None: a serializer wrapping every
    # message to drop them cost more than the rest of encoding a trajectory.
    type: MessageType
    span_id: str
    agent_name: str | None = None
    started_at: datetime
    agent_start: AgentStart | None = Field(default=None, exclude_if=_unset)
    user_message: UserMessage | None = Field(default=None, exclude_if=_unset)
    assistant_message: AssistantMessage | None = Field(default=None, exclude_if=_unset)
    tool_call: ToolCall | None = Field(default=None, exclude_if=_unset)
    agent_handoff: AgentHandoff | None = Field(default=None, exclude_if=_unset)
    context_compacted: ContextCompacted | None = Field(default=None, exclude_if=_unset)
    feedback: list[Feedback] | None = Field(default=None, exclude_if=_unset)

    @property
    def entry(self) -> BaseModel:
        value = getattr(self, self.type)
        assert isinstance(value, BaseModel)
        return value


class AgentChatTrajectory(BaseModel):
    trace_id: str
    root_span_name: str | None = None
    provider: str | None = None
    total_duration_ms: int | None = Field(
        default=None,
        description="Wall-clock duration of the root span (of the whole trace when it has no single root).",
    )
    messages: list[AgentChatMessage] = Field(default_factory=list)
    feedback: list[Feedback] | None = None
