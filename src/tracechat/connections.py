"""What one client connection may hold of an HTTP listener: bounded header bytes and read
times, and a cap on open connections per listener that leaves descriptors for the others.

uvicorn (with httptools) has none of these: a connection that sends nothing stays open for
ever, headers are buffered without bound, and every accepted connection takes a descriptor
from the one process-wide budget the gRPC listener and the store share. ``guarded_protocol``
adds them to uvicorn's own protocol class, one subclass per listener.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("tracechat")

END_OF_HEADERS = b"\r\n\r\n"
RESERVED_DESCRIPTORS = 128
"""Kept for everything that is not a client connection: the DuckDB file and its WAL, the
search index's segments, log files, the listening sockets, gRPC's internal pipes."""


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_connections: int = 1000
    max_header_bytes: int = 64 * 1024
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0


def guarded_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """A uvicorn protocol class for one listener (``uvicorn.Config(http=...)``)."""

    class Listener(GuardedProtocol):
        pass

    Listener.limits = limits
    Listener.idle = OrderedDict()
    return Listener


class GuardedProtocol(HttpToolsProtocol):
    limits: ClassVar[ConnectionLimits]
    idle: ClassVar[OrderedDict[GuardedProtocol, None]]
    """This listener's connections with no request running, longest idle first."""
    evicted: ClassVar[int] = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_headers = True
        self._header_bytes = 0
        self._tail = b""
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections and not self._evict_one():
            transport.close()  # every connection is busy with a request: this one waits outside
            return
        self._become_idle()
        self._arm(self.limits.header_timeout_s, self._headers_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self.idle.pop(self, None)
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_headers and not self._headers_fit(data):
            self._refuse_headers()
            return
        if not self._in_headers and self._timer is not None:
            self._arm(self.limits.body_timeout_s, self._body_too_slow)
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        if self._timer is None:  # a keep-alive connection's next request: uvicorn's idle timer is off
            self._arm(self.limits.header_timeout_s, self._headers_too_slow)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._header_bytes = 0
        self._tail = b""
        self.idle.pop(self, None)
        self._arm(self.limits.body_timeout_s, self._body_too_slow)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_headers = True
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._become_idle()  # uvicorn's keep-alive timer closes it if nothing more comes

    # -- the limits ------------------------------------------------------------------------

    def _headers_fit(self, data: bytes) -> bool:
        """Count the bytes of the request line and headers, not of a body in the same read."""
        limit = self.limits.max_header_bytes
        if self._header_bytes + len(data) <= limit:
            self._header_bytes += len(data)
            self._tail = (self._tail + data)[-3:]
            return True
        end = (self._tail + data).find(END_OF_HEADERS)
        return end != -1 and self._header_bytes - len(self._tail) + end + len(END_OF_HEADERS) <= limit

    def _refuse_headers(self) -> None:
        limit = self.limits.max_header_bytes
        message = f"request line and headers are larger than the limit of {limit} bytes"
        log.warning("closing a connection from %s: %s", _peer(self.client), message)
        self._answer_and_close(431, "Request Header Fields Too Large", "request_header_fields_too_large", message)

    def _headers_too_slow(self) -> None:
        self._timer = None
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is running; its response ends the wait
        self._answer_and_close(408, "Request Timeout", "request_timeout", "no request headers in time")

    def _body_too_slow(self) -> None:
        self._timer = None
        if self.flow.read_paused:  # the application is not reading: the client is not the slow one
            self._arm(self.limits.body_timeout_s, self._body_too_slow)
            return
        log.warning("closing a connection from %s: request body stalled", _peer(self.client))
        self.transport.close()

    def _evict_one(self) -> bool:
        for connection in self.idle:
            type(self).evicted += 1
            if self.evicted % 1000 == 1:  # the first, then every thousandth: a flood is one line a while
                log.warning(
                    "%d connections open on one listener (its limit): closing the longest idle ones (%d so far)",
                    self.limits.max_connections,
                    self.evicted,
                )
            connection.transport.close()
            self.idle.pop(connection, None)
            return True
        return False

    def _answer_and_close(self, status: int, phrase: str, code: str, message: str) -> None:
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        head = (
            f"HTTP/1.1 {status} {phrase}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        if not self.transport.is_closing():
            self.transport.write(head.encode() + body)
            self.transport.close()

    # -- timers ----------------------------------------------------------------------------

    def _become_idle(self) -> None:
        self.idle.pop(self, None)
        self.idle[self] = None

    def _arm(self, delay: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "an unknown peer"


@dataclass(frozen=True, slots=True)
class DescriptorBudget:
    limit: int
    per_listener: int


def descriptor_budget(wanted_per_listener: int, listeners: int = 3) -> DescriptorBudget:
    """Raise the soft descriptor limit to the hard one if that is needed and allowed, then
    size each listener's connection cap so that all of them and the reserve fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted_per_listener * listeners + RESERVED_DESCRIPTORS
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d to %d: %s", soft, target, exc)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return DescriptorBudget(needed if soft == resource.RLIM_INFINITY else soft, wanted_per_listener)
    per_listener = max(1, (soft - RESERVED_DESCRIPTORS) // listeners)
    log.warning(
        "open-file limit %d cannot hold %d connections per listener; each listener keeps at most %d "
        "(raise it with ulimit -n, or set TRACECHAT_MAX_CONNECTIONS)",
        soft,
        wanted_per_listener,
        per_listener,
    )
    return DescriptorBudget(soft, per_listener)
