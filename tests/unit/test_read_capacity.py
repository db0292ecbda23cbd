"""ReadCapacity called directly (no server): an interruption is repeated while the read's
thread runs and stops with it, the turn is given back, and the body reaches the application
one message at a time whatever the reader reads ahead."""

from __future__ import annotations

import asyncio
import threading

import anyio
import anyio.to_thread
import pytest
from starlette.types import Message, Receive, Scope, Send

from tracechat import interrupts
from tracechat.api.reads import ReadCapacity
from tracechat.errors import ReadInterrupted
from tracechat.metrics import Metrics

SCOPE: Scope = {"type": "http", "method": "POST", "path": "/agents/traces/chat", "headers": []}


class Cursor:
    """Counts the interruptions that reach it."""

    def __init__(self) -> None:
        self.interrupts = 0

    def interrupt(self) -> None:
        self.interrupts += 1


class Connection:
    """uvicorn's side of one request: the body messages, then ``http.disconnect`` once the
    answer is sent or ``leave()`` is called."""

    def __init__(self, *bodies: bytes) -> None:
        self._messages: list[Message] = [
            {"type": "http.request", "body": body, "more_body": n < len(bodies) - 1} for n, body in enumerate(bodies)
        ]
        self._over = anyio.Event()
        self.sent: list[Message] = []
        self.given = 0  # body messages handed out so far

    async def receive(self) -> Message:
        if self._messages:
            self.given += 1
            return self._messages.pop(0)
        await self._over.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self._over.set()

    def leave(self) -> None:
        self._over.set()


def _timers() -> list[asyncio.TimerHandle]:
    """The timers still pending on this event loop (CPython's asyncio keeps them in a heap)."""
    scheduled: list[asyncio.TimerHandle] = getattr(asyncio.get_running_loop(), "_scheduled")  # noqa: B009
    return [timer for timer in scheduled if not timer.cancelled()]


async def _answer(send: Send, body: bytes = b"{}") -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def test_a_read_past_its_limit_is_interrupted_again_and_again_until_its_thread_ends() -> None:
    metrics = Metrics()
    cursor = Cursor()
    seen: list[interrupts.ReadHandle] = []

    def read() -> None:
        handle = interrupts.current()
        assert handle is not None
        seen.append(handle)
        handle.attach(cursor)
        for _ in range(1000):  # the query, until three interruptions have reached it
            if cursor.interrupts >= 3:
                return
            threading.Event().wait(0.01)
        pytest.fail("the interruption was not repeated")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await anyio.to_thread.run_sync(read)
        await _answer(send)

    async def main() -> int:
        connection = Connection(b"")
        capacity = ReadCapacity(app, ("/agents/traces",), concurrency=1, timeout_s=0.01, metrics=metrics)
        await capacity(SCOPE, connection.receive, connection.send)
        after = cursor.interrupts
        await anyio.sleep(0.2)  # four repeat periods: none come once the read is over
        assert cursor.interrupts == after
        assert _timers() == []  # nor are any left waiting (the deadline's or the repeats')
        return after

    assert anyio.run(main) >= 3
    assert seen[0].reason == "timeout"


def test_a_read_whose_client_leaves_is_cancelled_interrupted_and_gives_its_turn_back() -> None:
    metrics = Metrics()
    cursor = Cursor()
    attached = threading.Event()
    after_the_thread: list[str] = []

    def read() -> None:
        handle = interrupts.current()
        assert handle is not None
        handle.attach(cursor)
        attached.set()
        for _ in range(1000):
            if cursor.interrupts >= 2:  # the first and one repeat
                raise handle.error()  # as the store does when its query was interrupted
            threading.Event().wait(0.01)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await anyio.to_thread.run_sync(read)
        except ReadInterrupted:
            after_the_thread.append("interrupted")
            await anyio.sleep(0)  # the cancellation waited for the thread, and lands here
            after_the_thread.append("not cancelled")
        await _answer(send)

    async def main() -> None:
        capacity = ReadCapacity(app, ("/agents/traces",), concurrency=1, timeout_s=60, metrics=metrics)
        leaving = Connection(b"")
        async with anyio.create_task_group() as group:
            group.start_soon(capacity, SCOPE, leaving.receive, leaving.send)
            while not attached.is_set():
                await anyio.sleep(0.01)
            leaving.leave()
        assert leaving.sent == []
        # the one turn is free again: the next read runs at once
        quick = Connection(b"")

        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            await _answer(send, b"next")

        capacity._app = answer
        with anyio.fail_after(10):
            await capacity(SCOPE, quick.receive, quick.send)
        assert quick.sent[-1]["body"] == b"next"

    anyio.run(main)
    assert after_the_thread == ["interrupted"]
    assert cursor.interrupts >= 2
    assert metrics.registry.get_sample_value("tracechat_api_reads_abandoned_total") == 1
    client_left = {"reason": "client_left"}
    assert metrics.registry.get_sample_value("tracechat_api_reads_interrupted_total", client_left) == 1


def test_the_body_reaches_the_application_in_order_one_message_at_a_time() -> None:
    connection = Connection(b"a", b"b", b"c", b"d")
    received: list[bytes] = []
    read_ahead: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            for _ in range(5):
                await anyio.sleep(0)  # a slow reader of its body: the relay may run ahead
            message = await receive()
            received.append(message["body"])
            read_ahead.append(connection.given - len(received))
            if not message.get("more_body", False):
                break
        await _answer(send, b"".join(received))

    async def main() -> None:
        capacity = ReadCapacity(app, ("/agents/traces",), concurrency=2, timeout_s=60, metrics=Metrics())
        await capacity(SCOPE, connection.receive, connection.send)
        assert _timers() == []  # the time limit's timer goes with the read

    anyio.run(main)
    assert received == [b"a", b"b", b"c", b"d"]
    assert max(read_ahead) <= 1  # never more than one message read ahead of the application
    assert connection.sent[-1]["body"] == b"abcd"
