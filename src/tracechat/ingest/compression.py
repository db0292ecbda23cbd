"""Request body decompression, bounded in output size, gzip members and time (no zip bombs).

Linear in the body: zlib is fed a window that starts small for each member and doubles while
the member needs more, so what a finished member hands back (``unused_data``, a copy) is at
most twice that member's size plus a small constant. Feeding the whole rest of the body to
each member instead copied it once per member: 300,000 empty gzip members (6 MB) took 23 s.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable

from tracechat.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

_GZIP = 16 + zlib.MAX_WBITS
_WBITS = {"gzip": _GZIP, "x-gzip": _GZIP, "deflate": zlib.MAX_WBITS}
SUPPORTED = ("identity", "gzip", "deflate")
MAX_MEMBERS = 100
MAX_SECONDS = 10.0
_FIRST_WINDOW = 512
_LARGEST_WINDOW = 1 << 20


def decompress(
    body: bytes,
    content_encoding: str | None,
    limit: int,
    *,
    max_members: int = MAX_MEMBERS,
    max_seconds: float = MAX_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """The decoded body. ``PayloadTooLarge`` as soon as it would pass ``limit`` bytes or take
    more than ``max_seconds``; ``InvalidInput`` for bad data, trailing bytes after the
    stream, an empty body, or more than ``max_members`` gzip members."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity"):
        _check_size(len(body), limit)
        return body
    wbits = _WBITS.get(encoding)
    if wbits is None:
        raise UnsupportedMediaType(
            f"Content-Encoding {content_encoding!r} is not supported; use one of {', '.join(SUPPORTED)}"
        )
    if not body:
        raise InvalidInput(f"request body is empty, which is not valid {encoding} data")
    budget = _Budget(limit, max_members, clock() + max_seconds, max_seconds, clock)
    try:
        return _inflate(memoryview(body), wbits, budget)
    except zlib.error as exc:
        if encoding == "deflate":  # some clients send raw deflate, without the zlib header
            budget = _Budget(limit, max_members, clock() + max_seconds, max_seconds, clock)
            try:
                return _inflate(memoryview(body), -zlib.MAX_WBITS, budget)
            except zlib.error:
                pass  # report what was wrong with it as zlib data
        raise InvalidInput(f"request body is not valid {encoding} data: {exc}") from None


class _Budget:
    def __init__(
        self, limit: int, max_members: int, deadline: float, seconds: float, clock: Callable[[], float]
    ) -> None:
        self.limit = limit
        self.max_members = max_members
        self.deadline = deadline
        self.seconds = seconds
        self.clock = clock
        self.produced = 0

    def take(self, chunk: bytes) -> None:
        self.produced += len(chunk)
        _check_size(self.produced, self.limit)
        if self.clock() > self.deadline:
            raise PayloadTooLarge(f"request body took more than {self.seconds:g} s to decompress")


def _inflate(view: memoryview, wbits: int, budget: _Budget) -> bytes:
    parts: list[bytes] = []
    position = members = 0
    while position < len(view):  # gzip allows several members one after another
        members += 1
        if members > budget.max_members:
            raise InvalidInput(f"request body has more than {budget.max_members} gzip members")
        position = _member(view, position, zlib.decompressobj(wbits), budget, parts)
        if position < len(view) and wbits != _GZIP:
            raise InvalidInput(f"request body has {len(view) - position} bytes after the end of the deflate stream")
    return b"".join(parts)


def _member(view: memoryview, position: int, inflater: zlib._Decompress, budget: _Budget, parts: list[bytes]) -> int:
    """Inflate one member starting at ``position``; the position just after it."""
    window = _FIRST_WINDOW
    while not inflater.eof:
        if position >= len(view):
            raise zlib.error("compressed data is truncated")
        fed = view[position : position + window]
        position += len(fed)
        # One more byte than the limit allows tells "too large" from "exactly the limit";
        # output stopped short there leaves input in unconsumed_tail, but take() raises first.
        chunk = inflater.decompress(fed, budget.limit - budget.produced + 1)
        budget.take(chunk)
        parts.append(chunk)
        window = min(window * 2, _LARGEST_WINDOW)
    return position - len(inflater.unused_data)


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise PayloadTooLarge(f"request body is larger than the limit of {limit} bytes after decompression")
