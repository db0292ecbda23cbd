"""A streamed turn is closed the moment its response ends, however it ends: the turn then
stores what it had said while the store is open. Left to the garbage collector, it ran after
the server had closed its store and raised from a finalizer."""

from __future__ import annotations

import inspect
import time
from collections.abc import Generator
from typing import Any

import anyio
import pytest
from starlette.requests import ClientDisconnect

from tracechat.api.streams import TurnStream
from tracechat.chat import agent_stream, ui_stream
from tracechat.chat.assistant import Text, TurnEvent, TurnStarted


class _Turn:
    """A turn that talks until it is closed; the test keeps a reference to it, so only an
    explicit close (not the last reference going) can end it."""

    def __init__(self) -> None:
        self.said = 0
        self.closed_after: int | None = None
        self.events = self._events()

    def _events(self) -> Generator[TurnEvent, None, None]:
        try:
            yield TurnStarted("msg_1", "chat_1", "0" * 32, "analyst")
            while True:
                time.sleep(0.005)
                self.said += 1
                yield Text("word ")
        finally:
            self.closed_after = self.said


def _streams(turn: _Turn) -> dict[str, Generator[bytes, None, None]]:
    return {
        "ui": ui_stream.encode(ui_stream.chunks(turn.events)),
        "agent": agent_stream.encode(agent_stream.chunks(turn.events, "conv_1")),
    }


async def _serve(response: TurnStream, *, spec_version: str, sent_before_leaving: int) -> int:
    bodies = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal bodies
        if message["type"] == "http.response.body":
            bodies += 1
            if spec_version == "2.4" and bodies > sent_before_leaving:
                raise OSError("the client closed the connection")  # how ASGI 2.4 servers say it

    async def receive() -> dict[str, Any]:
        while bodies < sent_before_leaving:  # ASGI 2.0: the server reports the disconnect
            await anyio.sleep(0.001)
        return {"type": "http.disconnect"}

    scope = {"type": "http", "asgi": {"spec_version": spec_version}}
    if spec_version == "2.4":  # the disconnect surfaces as ClientDisconnect
        with pytest.raises(ClientDisconnect):
            await response(scope, receive, send)  # type: ignore[arg-type]
    else:
        await response(scope, receive, send)  # type: ignore[arg-type]
    return bodies


@pytest.mark.parametrize("spec_version", ["2.0", "2.4"])
@pytest.mark.parametrize("kind", ["ui", "agent"])
def test_a_client_leaving_closes_the_turn_before_the_response_returns(spec_version: str, kind: str) -> None:
    turn = _Turn()
    response = TurnStream(_streams(turn)[kind], media_type="text/event-stream", headers={})
    bodies = anyio.run(lambda: _serve(response, spec_version=spec_version, sent_before_leaving=3))
    assert bodies >= 3
    assert inspect.getgeneratorstate(turn.events) == inspect.GEN_CLOSED
    assert turn.closed_after is not None
    assert turn.closed_after >= 1  # it had talked, then was stopped


@pytest.mark.parametrize("kind", ["ui", "agent"])
def test_closing_a_stream_closes_every_stage_down_to_the_turn(kind: str) -> None:
    turn = _Turn()
    stream = _streams(turn)[kind]
    next(stream), next(stream)
    stream.close()
    assert inspect.getgeneratorstate(turn.events) == inspect.GEN_CLOSED
    assert turn.closed_after == 1
