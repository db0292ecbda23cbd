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

Per request this is a read the server makes every time, so it costs what it must and no
more: one plain asyncio task (the reader), a one-message hand-over between it and the
application, a turn taken at once when one is free, and the time limit as a timer of the
event loop, not a task that sleeps.
"""

from __future__ import annotations

import asyncio

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracechat import interrupts
from tracechat.metrics import Metrics

REPEAT_S = 0.05
"""How often an interruption is repeated until the read is over (``ReadHandle.repeat``)."""


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
        limiter = self._limiter
        handle = interrupts.ReadHandle(self._timeout_s)
        loop = asyncio.get_running_loop()
        deadline: asyncio.TimerHandle | None = None
        with anyio.CancelScope() as cancelled:  # cancelled when the client leaves
            read = _Read(receive, send, handle, cancelled, loop, self._metrics)
            reader = loop.create_task(read.pump())
            try:
                with self._metrics.reads_in_progress.track_inprogress():
                    try:
                        limiter.acquire_nowait()  # a free turn is taken without a pass of the loop
                    except anyio.WouldBlock:
                        await limiter.acquire()
                    try:
                        # The time limit counts from the read's start, not from its wait for a turn.
                        deadline = loop.call_later(self._timeout_s, read.time_up)
                        with interrupts.bound(handle):
                            await self._app(scope, read.receive, read.send)
                    finally:
                        limiter.release()
            finally:
                if deadline is not None:
                    deadline.cancel()
                handle.close()  # also for a read cancelled while waiting: ends the repeats
                if handle.stopped and handle.reason is not None:
                    self._metrics.reads_interrupted.labels(handle.reason).inc()
                read.finish(reader)
        read.raise_failure()


class _Read:
    """One read's connection: the reader task's side and the application's."""

    def __init__(
        self,
        receive: Receive,
        send: Send,
        handle: interrupts.ReadHandle,
        cancelled: anyio.CancelScope,
        loop: asyncio.AbstractEventLoop,
        metrics: Metrics,
    ) -> None:
        self._receive = receive
        self._send = send
        self._handle = handle
        self._cancelled = cancelled
        self._loop = loop
        self._metrics = metrics
        self.answered = False
        # One message of read-ahead: a request with no body (GET) is never asked for its
        # only message, and the reader must get past it to see the client leave.
        self._ahead: asyncio.Queue[Message] = asyncio.Queue(maxsize=1)
        self._failure: BaseException | None = None

    async def pump(self) -> None:
        # Hands each message on as the application asks (no further read-ahead), then keeps
        # reading: the next message is the client leaving or the answer done.
        try:
            while True:
                message = await self._receive()
                if message["type"] == "http.disconnect":
                    if not self.answered:
                        self._metrics.reads_abandoned.inc()
                        self._handle.interrupt("client_left")  # before the cancel, which waits for the thread
                        self._cancelled.cancel()
                        self._repeat_soon()
                    return
                await self._ahead.put(message)  # waits while the one read ahead is not taken
        except asyncio.CancelledError:
            raise
        except BaseException as failure:  # the connection's receive failed: the read fails with it
            self._failure = failure
            self._cancelled.cancel()

    async def receive(self) -> Message:
        return await self._ahead.get()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.answered = True
        await self._send(message)

    def time_up(self) -> None:
        self._handle.interrupt("timeout")
        self._repeat_soon()

    def _repeat_soon(self) -> None:
        """Interrupts again every ``REPEAT_S`` until the read is over (its thread is waited
        for, so that ends)."""
        self._loop.call_later(REPEAT_S, self._repeat)

    def _repeat(self) -> None:
        if self._handle.open:
            self._handle.repeat()
            self._repeat_soon()

    def finish(self, reader: asyncio.Task[None]) -> None:
        if not reader.done():
            reader.cancel()  # it waits in receive() or for room: nothing to undo

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure
