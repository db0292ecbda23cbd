"""Chats (conversation threads) and their messages, as the chat APIs show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Role = Literal["user", "assistant", "system", "tool"]
DEFAULT_TITLE = "New Conversation"


class ToolCallFunction(BaseModel):
    name: str
    arguments: str = Field(description="JSON text of the arguments, as the model wrote them.")


class ChatToolCall(BaseModel):
    """A tool call in the OpenAI ``tool_calls`` shape."""

    id: str
    type: Literal["function"] = "function"
    function: ToolCallFunction


class NewMessage(BaseModel):
    role: Role
    content: str | None = None
    tool_calls: list[ChatToolCall] | None = None
    tool_call_id: str | None = None
    metadata: dict[str, Any] | None = None


class ChatMessage(NewMessage):
    id: int
    created_at: datetime


class ChatPublic(BaseModel):
    id: str = Field(description="UUID of the chat.")
    user_id: str = Field(description="UUID of the owning user (derived from the API key).")
    title: str
    messages: list[ChatMessage]
    trace_ids: list[str] = Field(description="Trace ids of the assistant's turns in this chat, oldest first.")
    created_at: datetime
    updated_at: datetime


class ChatItem(BaseModel):
    """A chat in a list: no messages."""

    id: str
    user_id: str
    title: str
    message_count: int
    trace_ids: list[str]
    created_at: datetime
    updated_at: datetime


class ChatList(BaseModel):
    chats: list[ChatItem]
    total: int = Field(description="Chats not deleted, in all.")
    limit: int
    offset: int


class AgentPublic(BaseModel):
    id: str
    name: str
    system_prompt: str | None
    model: str | None = Field(description="None: the default model.")
    allowed_tools: list[str] | None = Field(description="None: every tool.")
    built_in: bool
    created_at: datetime | None


class AgentList(BaseModel):
    agents: list[AgentPublic]


class AgentMessage(ChatMessage):
    conversation_id: str


class HistoryMeta(BaseModel):
    total: int = Field(description="Messages in the requested range (conversation, before, after).")
    has_more: bool = Field(description="Older messages in the range than the ones returned.")


class AgentHistory(BaseModel):
    messages: list[AgentMessage]
    meta: HistoryMeta
