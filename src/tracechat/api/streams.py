"""Streaming a turn to a client: the generator runs in worker threads, and when the response
ends, however it ends (the last chunk sent, the client gone, the server stopping), the
generator is closed at once. That stops the model call the turn is in the middle of and
stores what it had said so far while its store is open, never later from the garbage
collector. Each stage of the stream closes the one it reads, so closing the outermost
reaches the turn itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Mapping

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send


class TurnStream(StreamingResponse):
    def __init__(self, chunks: Generator[bytes, None, None], media_type: str, headers: Mapping[str, str]) -> None:
        super().__init__(_relay(chunks), media_type=media_type, headers=headers)
        self._chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Starlette never closes a body iterator it stopped reading: the client leaving
        # cancels this task in the middle of it.
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(self._chunks.close)


async def _relay(chunks: Generator[bytes, None, None]) -> AsyncIterator[bytes]:
    while (chunk := await run_in_threadpool(next, chunks, None)) is not None:
        yield chunk
