"""What the assistant loop asks of a model: given the conversation and the tool definitions,
stream reasoning, text and tool calls, then usage. Providers translate their wire formats
into these events; the built-in analyst produces them directly."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    id: str
    name: str
    arguments: str


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost: float = 0.0
    model: str = ""
    api_calls_count: int = 0

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_creation_input_tokens += other.cache_creation_input_tokens
        self.cache_read_input_tokens += other.cache_read_input_tokens
        self.cost += other.cost
        self.api_calls_count += other.api_calls_count
        self.model = other.model or self.model


FinishReason = Literal["stop", "length", "content-filter", "tool-calls", "error", "other"]
"""Why a model call or a turn ended, in the AI SDK's words (its ``finishReason``)."""


@dataclass(frozen=True, slots=True)
class Stopped:
    """Why the provider says the call ended (it ran out of tokens, a filter stopped it, …)."""

    reason: FinishReason


ModelEvent = ReasoningDelta | TextDelta | ToolCallRequest | Stopped | Usage


@dataclass(slots=True)
class ModelRequest:
    """OpenAI-shaped conversation (roles system, user, assistant with ``tool_calls``, tool)."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)


class ChatModel(Protocol):
    name: str
    provider: str

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        """Events of one model call (a ``Stopped`` when the provider says why it ended), ending
        with one ``Usage``."""
        ...
