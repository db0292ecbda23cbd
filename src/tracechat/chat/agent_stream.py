"""Turn events → the agent chat stream of seed 002: ``start`` (the reply's id), ``delta``
(text as it comes), ``done`` (the stored assistant message), or ``error``."""

from __future__ import annotations

import json
from collections.abc import Generator
from contextlib import closing
from typing import Any

from tracechat.chat.assistant import Text, TurnEvent, TurnFinished, TurnStarted
from tracechat.model.chat import AgentMessage

MEDIA_TYPE = "text/event-stream"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def chunks(events: Generator[TurnEvent, None, None], conversation_id: str) -> Generator[dict[str, Any], None, None]:
    """The turn's events as seed 002 names them; closing them closes the turn at once."""
    with closing(events):
        try:
            for event in events:
                if isinstance(event, TurnStarted):
                    yield {"type": "start", "id": event.message_id, "conversation_id": conversation_id}
                elif isinstance(event, Text):
                    yield {"type": "delta", "content": event.text}
                elif isinstance(event, TurnFinished) and event.message is not None:
                    message = AgentMessage(**event.message.model_dump(), conversation_id=conversation_id)
                    yield {"type": "done", "message": message.model_dump(mode="json", exclude_none=True)}
        except Exception as exc:  # after the headers went out, errors travel in the stream
            yield {"type": "error", "error": str(getattr(exc, "message", exc))}


def encode(stream: Generator[dict[str, Any], None, None]) -> Generator[bytes, None, None]:
    with closing(stream):
        for chunk in stream:
            yield f"data: {json.dumps(chunk, default=str)}\n\n".encode()
