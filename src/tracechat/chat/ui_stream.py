"""Turn events → the Vercel AI SDK UI message stream (protocol v1), so ``useChat`` and other
AI SDK clients render an answer unchanged: ``start``, ``start-step``,
``reasoning-start|delta|end``, ``text-start|delta|end``, ``tool-input-available``,
``tool-output-available``, ``finish-step``, ``finish`` (``finishReason``; usage in
``messageMetadata``), ``error``, then ``[DONE]``. Parts left open are closed before a tool
call, a step end or an error. No ``finish`` follows an ``error``: ``useChat`` stops reading
at the error."""

from __future__ import annotations

import json
import uuid
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import asdict
from typing import Any

from tracechat.chat.assistant import (
    Reasoning,
    StepFinished,
    StepStarted,
    Text,
    ToolInput,
    ToolOutput,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)

HEADERS = {"x-vercel-ai-ui-message-stream": "v1", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
MEDIA_TYPE = "text/event-stream"

Chunk = dict[str, Any]


class _Parts:
    """Which reasoning or text part is open, so it can be closed at the right moment."""

    def __init__(self) -> None:
        self.kind: str | None = None
        self.id = ""

    def switch(self, kind: str) -> Iterator[Chunk]:
        if self.kind == kind:
            return
        yield from self.close()
        self.kind, self.id = kind, f"{kind[0]}_{uuid.uuid4().hex[:16]}"
        yield {"type": f"{kind}-start", "id": self.id}

    def close(self) -> Iterator[Chunk]:
        if self.kind is not None:
            yield {"type": f"{self.kind}-end", "id": self.id}
            self.kind = None


def chunks(events: Generator[TurnEvent, None, None]) -> Generator[Chunk, None, None]:
    """The turn's chunks; closing them closes the turn at once (see ``api.streams``)."""
    parts = _Parts()
    with closing(events):
        try:
            for event in events:
                yield from _chunks_of(event, parts)
        except Exception as exc:  # after the headers went out, errors travel in the stream
            yield from parts.close()
            yield {"type": "error", "errorText": str(getattr(exc, "message", exc))}


def _chunks_of(event: TurnEvent, parts: _Parts) -> Iterator[Chunk]:
    if isinstance(event, TurnStarted):
        yield {"type": "start", "messageId": event.message_id, "messageMetadata": _turn(event)}
    elif isinstance(event, StepStarted):
        yield {"type": "start-step"}
    elif isinstance(event, Reasoning):
        yield from parts.switch("reasoning")
        yield {"type": "reasoning-delta", "id": parts.id, "delta": event.text}
    elif isinstance(event, Text):
        yield from parts.switch("text")
        yield {"type": "text-delta", "id": parts.id, "delta": event.text}
    elif isinstance(event, ToolInput):
        yield from parts.close()
        yield {
            "type": "tool-input-available",
            "toolCallId": event.call_id,
            "toolName": event.name,
            "input": event.arguments,
        }
    elif isinstance(event, ToolOutput):
        yield {"type": "tool-output-available", "toolCallId": event.call_id, "output": event.output}
    elif isinstance(event, StepFinished):
        yield from parts.close()
        yield {"type": "finish-step"}
    elif isinstance(event, TurnFinished):
        yield from parts.close()
        usage = asdict(event.usage)
        yield {
            "type": "finish",
            "finishReason": event.finish_reason,
            "messageMetadata": {**_turn(event), "usage": usage},
        }


def _turn(event: TurnStarted | TurnFinished) -> dict[str, str]:
    """What the start and finish chunks say of the turn: its chat, and its own trace."""
    return {"chatId": event.chat_id, "traceId": event.trace_id, "traceProject": event.trace_project}


def encode(stream: Generator[Chunk, None, None]) -> Generator[bytes, None, None]:
    """Server-Sent Events: one ``data:`` line per chunk, ``[DONE]`` at the end."""
    with closing(stream):
        for chunk in stream:
            yield f"data: {json.dumps(chunk, default=str)}\n\n".encode()
    yield b"data: [DONE]\n\n"
