"""Trace reads (trajectories, span lists, content): a few at a time, and cancelled when their
client leaves.

Building a trajectory is Python work under the GIL: sixty at once in sixty threads gave
each a sixtieth of the interpreter, kept /healthz and ingest waiting for a thread of the
same pool, and went on after their clients had given up (uvicorn keeps running a request
whose client disconnected). Here at most ``concurrency`` reads run; the others wait on the
event loop, where waiting costs nothing and can be cancelled. A read still waiting when its
client leaves never starts. One already in a thread is stopped through its ``ReadHandle``
(see ``tracechat.interrupts``): the DuckDB query it is in is interrupted, and it may start no
other; the same happens when it runs past ``timeout_s``, and then its client gets 504
read_timeout. Python work between two queries cannot be stopped; it runs to the next query.

Pure ASGI, for non-streaming routes: one task reads the connection on the application's
behalf, so the client leaving is seen while the request waits or runs.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracechat import interrupts
from tracechat.metrics import Metrics


class ReadCapacity:
    def __init__(
        self, app: ASGIApp, prefixes: tuple[str, ...], concurrency: int, timeout_s: float, metrics: Metrics
    ) -> None:
        self._app = app
        self._prefixes = prefixes
        self._metrics = metrics
        self._concurrency = concurrency
        self._timeout_s = timeout_s
        self._limiter: anyio.CapacityLimiter | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._prefixes):
            await self._app(scope, receive, send)
            return
        if self._limiter is None:  # made on the event loop that serves it
            self._limiter = anyio.CapacityLimiter(self._concurrency)
        answered = False
        handle = interrupts.ReadHandle(self._timeout_s)
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
                                handle.interrupt("client_left")  # before the cancel, which waits for the thread
                                group.cancel_scope.cancel()
                                await repeat_interrupts()
                            return
                        await to_app.send(message)

            async def repeat_interrupts() -> None:
                with anyio.CancelScope(shield=True):  # the read's thread is waited for, so this ends
                    while handle.open:
                        await anyio.sleep(0.05)
                        handle.repeat()

            async def deadline() -> None:
                # The time limit counts from the read's start, not from its wait for a turn.
                await anyio.sleep(self._timeout_s)
                handle.interrupt("timeout")
                await repeat_interrupts()

            group.start_soon(pump)
            try:
                with self._metrics.reads_in_progress.track_inprogress():
                    async with from_client, self._limiter:
                        group.start_soon(deadline)
                        with interrupts.bound(handle):
                            await self._app(scope, from_client.receive, relayed_send)
            finally:
                handle.close()  # also for a read cancelled while waiting: ends repeat_interrupts
                if handle.stopped and handle.reason is not None:
                    self._metrics.reads_interrupted.labels(handle.reason).inc()
            group.cancel_scope.cancel()
