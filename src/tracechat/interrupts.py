"""Stopping a read that is already running in its thread.

A Python thread cannot be stopped, but the DuckDB query it waits in can: ``interrupt()`` on
the cursor running it makes that query raise at once. The API edge opens a ``ReadHandle``
for each trace read (``bound``); the store registers the cursor each read uses with the
handle of the request it serves (``attach``, through a context variable, which anyio hands
on to the worker thread); and when the client leaves or the read's time is up the edge calls
``interrupt``: the query running stops, and any later query of that read refuses to start;
the Python work of building the answer stops at its next ``check`` (one per span).
The store turns DuckDB's interruption into ``ReadInterrupted`` / ``ReadTimedOut``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, Protocol

from tracechat.errors import ReadInterrupted, ReadTimedOut

Reason = Literal["client_left", "timeout"]


class Interruptible(Protocol):
    def interrupt(self) -> None: ...


class ReadHandle:
    """One request's read: the cursors it runs on, and why it was stopped (if it was)."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.reason: Reason | None = None
        self.stopped = False  # the read itself gave up (its query raised or refused to start)
        self._lock = threading.Lock()
        self._cursors: list[Interruptible] = []
        self._open = True

    def attach(self, cursor: Interruptible) -> None:
        """Called by the store before a query; raises if the read was already stopped."""
        with self._lock:
            if self.reason is not None:
                raise self.error()
            if self._open and all(known is not cursor for known in self._cursors):
                self._cursors.append(cursor)

    def detach(self, cursor: Interruptible) -> None:
        """Called by the store when a read's queries are done: its thread's cursor may serve
        another request next, which this read's interruption must not reach."""
        with self._lock:
            self._cursors = [known for known in self._cursors if known is not cursor]

    def interrupt(self, reason: Reason) -> None:
        with self._lock:
            if self.reason is not None or not self._open:
                return
            self.reason = reason
            for cursor in self._cursors:
                cursor.interrupt()

    @property
    def open(self) -> bool:
        return self._open

    def repeat(self) -> None:
        """Interrupt again: one that landed between a query's registration and its start
        is lost (DuckDB interrupts only the query running), so the edge repeats it until the
        read is over."""
        with self._lock:
            if self.reason is not None and self._open:
                for cursor in self._cursors:
                    cursor.interrupt()

    def close(self) -> None:
        """The request is over: its thread's cursor may serve another request next."""
        with self._lock:
            self._open = False
            self._cursors.clear()

    def error(self) -> ReadInterrupted:
        """What the read raises once stopped (and records that it did stop)."""
        self.stopped = True
        if self.reason == "timeout":
            limit = f"{self.timeout_s:g} s (TRACECHAT_READ_TIMEOUT_S)"
            return ReadTimedOut(f"the read took longer than its limit of {limit}; narrow it or retry")
        return ReadInterrupted("the read was stopped: its client left")


_current: ContextVar[ReadHandle | None] = ContextVar("tracechat_read", default=None)


def current() -> ReadHandle | None:
    return _current.get()


def check() -> None:
    """A point where Python work of a read stops if the read was stopped (one per span)."""
    handle = _current.get()
    if handle is not None and handle.reason is not None:
        raise handle.error()


@contextmanager
def bound(handle: ReadHandle) -> Iterator[ReadHandle]:
    token = _current.set(handle)
    try:
        yield handle
    finally:
        _current.reset(token)
        handle.close()
