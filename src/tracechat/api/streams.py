"""Streaming a turn to a client: the generator runs in worker threads, and when the client
goes away it is closed at once, which stops the model call it is in the middle of."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator

from starlette.concurrency import run_in_threadpool


async def relay(chunks: Generator[bytes, None, None]) -> AsyncIterator[bytes]:
    try:
        while True:
            chunk = await run_in_threadpool(next, chunks, None)
            if chunk is None:
                return
            yield chunk
    finally:
        await run_in_threadpool(chunks.close)
