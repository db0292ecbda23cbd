"""Trace reads (trajectories, span lists, content): a few at a time, and cancelled when their
client leaves.

Building a trajectory is Python work under the GIL: sixty at once in sixty threads gave
each a sixtieth of the interpreter, kept /healthz and ingest waiting for a thread of the
same pool, and went on after their clients had given up (uvicorn keeps running a request
whose client disconnected). Here at most ``concurrency`` reads run; the others wait on the
event loop, where waiting costs nothing and can be cancelled. A read still waiting when its
client leaves never starts; one already in a thread finishes there (Python threads cannot
be stopped) and its answer is dropped.

Pure ASGI, for non-streaming routes: one task reads the connection on the application's
behalf, so the client leaving is seen while the request waits or runs.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracechat.metrics import Metrics


class ReadCapacity:
    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...], concurrency: int, metrics: Metrics) -> None:
        self._app = app
        self._prefixes = prefixes
        self._metrics = metrics
        self._concurrency = concurrency
        self._limiter: anyio.CapacityLimiter | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._prefixes):
            await self._app(scope, receive, send)
            return
        if self._limiter is None:  # made on the event loop that serves it
            self._limiter = anyio.CapacityLimiter(self._concurrency)
        answered = False
        # One message of read-ahead: a request with no body (GET) is never asked for its
        # only message, and the pump must get past it to see the client leave.
        to_app, from_client = anyio.create_memory_object_stream[Message](1)

        async def relayed_send(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True
            await send(message)

        async with anyio.create_task_group() as group:

            async def pump() -> None:
                # Hands each message on as the application asks (no further read-ahead),
                # then keeps reading: the next message is the client leaving or the answer done.
                async with to_app:
                    while True:
                        message = await receive()
                        if message["type"] == "http.disconnect":
                            if not answered:
                                self._metrics.reads_abandoned.inc()
                                group.cancel_scope.cancel()
                            return
                        await to_app.send(message)

            group.start_soon(pump)
            with self._metrics.reads_in_progress.track_inprogress():
                async with from_client, self._limiter:
                    await self._app(scope, from_client.receive, relayed_send)
            group.cancel_scope.cancel()
