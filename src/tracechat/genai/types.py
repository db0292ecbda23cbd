"""The neutral shapes every convention is translated into."""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tracechat.model.span import Attributes, LogPayload, SpanEvent


class Kind(enum.Enum):
    """What a span is, for reading a trajectory."""

    AGENT = "agent"
    LLM = "llm"
    TOOL = "tool"
    HANDOFF = "handoff"
    COMPACTION = "compaction"
    WORKFLOW = "workflow"  # a container: workflow, chain, task, step, turn
    EMBEDDING = "embedding"  # embeddings, retrieval, rerank: not conversation
    GUARDRAIL = "guardrail"
    OTHER = "other"


@dataclass(slots=True)
class Media:
    modality: str | None = None
    mime_type: str | None = None
    uri: str | None = None
    data: bytes | None = None
    file_id: str | None = None


@dataclass(slots=True)
class Part:
    """One piece of a message. ``kind`` is text, reasoning, tool_call, tool_result or media."""

    kind: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    arguments: str | None = None
    media: Media | None = None
    arguments_written: bool = field(default=True, compare=False)
    """Whether ``arguments`` is text as recorded (the model's, as a request carries it), not
    the JSON this reader wrote of arguments recorded as a structure."""


@dataclass(slots=True)
class Message:
    role: str
    parts: list[Part] = field(default_factory=list)
    name: str | None = None
    key: tuple[str, str, tuple[str, ...], tuple[str, ...]] | None = field(default=None, repr=False, compare=False)
    """Set once by ``query.transcript.key``; messages shared between inputs keep it."""

    def texts(self, kind: str = "text") -> list[str]:
        return [p.text for p in self.parts if p.kind == kind and p.text]

    def text(self, kind: str = "text") -> str | None:
        found = self.texts(kind)
        return "\n\n".join(found) if found else None

    def of_kind(self, kind: str) -> list[Part]:
        return [p for p in self.parts if p.kind == kind]


@dataclass(slots=True)
class Feedback:
    name: str
    score: float | None = None
    label: str | None = None
    value: Any = None
    comment: str | None = None
    author: str | None = None
    source: str = "span"


T = TypeVar("T")
_MISSING = object()
_KEY_ANSWERS: dict[tuple[str, ...], dict[Hashable, Any]] = {}
"""Answers about attribute keys, by list of keys (``SpanFacts.about_keys``)."""
_KEY_ANSWERS_MAX = 4096


@dataclass(slots=True)
class SpanFacts:
    """What one span says, whatever convention said it. ``None`` means not recorded."""

    span_id: str
    parent_span_id: str | None
    name: str
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str | None
    attributes: Attributes
    events: tuple[SpanEvent, ...]
    logs: list[LogPayload]
    resource: Attributes
    kind: Kind = Kind.OTHER
    operation: str | None = None
    agent_name: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    response_id: str | None = None
    """The provider's id of the response (``gen_ai.response.id``): two spans that name one
    response record one call; two that name different ones are two calls."""
    provider: str | None = None
    input_messages: list[Message] | None = None
    output_messages: list[Message] | None = None
    system_instructions: str | None = None
    tool_definitions: list[Any] | None = None
    tool_name: str | None = None
    tool_call_id: str | None = None
    tool_arguments: str | None = None
    tool_result: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    finish_reason: str | None = None
    handoff_from: str | None = None
    handoff_to: str | None = None
    compaction_summary: str | None = None
    compaction_items_before: int | None = None
    compaction_items_after: int | None = None
    conversation_compacted: bool | None = None
    """A model call that says its conversation was compacted (``gen_ai.conversation.compacted``:
    by the provider while answering, or earlier, the compaction item being in its input)."""
    input_text: str | None = None
    output_text: str | None = None
    runs_asked_calls: bool = False
    """A tool step that runs the tool calls its model call asked for and names none of them
    (Haystack's ``ToolInvoker``): the calls are read from the request, and ran here."""
    graph_node: str | None = None
    """The graph node this span runs in (LangGraph's ``langgraph_node``)."""
    graph_depth: int | None = None
    """How deeply that graph is nested in others (1: a top-level graph's node)."""
    feedback: list[Feedback] = field(default_factory=list)
    key_answers: dict[Hashable, Any] | None = field(default=None, repr=False, compare=False)
    """The answers about this span's list of attribute keys (``about_keys``), once looked up."""

    def has(self, *prefixes: str) -> bool:
        """Whether any attribute key starts with one of ``prefixes`` (conventions skip spans
        that carry none of their keys)."""
        return self.about_keys(prefixes, lambda keys: any(key.startswith(prefixes) for key in keys))

    def about_keys(self, question: Hashable, answer: Callable[[tuple[str, ...]], T]) -> T:
        """What ``answer`` says of this span's attribute keys; ``question`` names what it
        asks. The spans of a trace carry the same keys again and again (every model call of
        an instrumentation the same ones), so each answer is worked out once per list of
        keys, not once per span (every convention scanning every key of every span was
        about 5% of a trajectory read); a span looks its list up once."""
        answers = self.key_answers
        if answers is None:
            keys = tuple(self.attributes)
            answers = _KEY_ANSWERS.get(keys)
            if answers is None:
                if len(_KEY_ANSWERS) >= _KEY_ANSWERS_MAX:
                    _KEY_ANSWERS.clear()  # bounded, whatever keys clients invent
                answers = _KEY_ANSWERS[keys] = {}
            self.key_answers = answers
        found = answers.get(question, _MISSING)
        if found is _MISSING:
            found = answers[question] = answer(tuple(self.attributes))
        return found  # type: ignore[no-any-return]

    def fill(self, name: str, value: Any) -> None:
        """Set a field unless a convention of higher precedence already did."""
        if value is not None and getattr(self, name) is None:
            setattr(self, name, value)

    @property
    def model(self) -> str | None:
        return self.response_model or self.request_model

    @property
    def duration_ms(self) -> int:
        return max(0, (self.end_ns - self.start_ns) // 1_000_000)
