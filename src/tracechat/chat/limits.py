"""Per-key request rate limit for the chat endpoints (a token bucket per key): an assistant
turn costs model calls, so one key cannot take the service for itself."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from tracechat.auth.keys import Principal
from tracechat.errors import Overloaded


class RateLimited(Overloaded):
    code = "rate_limited"


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        """What it measures refills by (seconds); a test may set its own."""
        self._rate = per_minute / 60.0
        self._capacity = float(burst if burst is not None else max(1, per_minute // 6))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, principal: Principal) -> None:
        """Take one request from the caller's bucket, or raise ``RateLimited`` (429)."""
        if self._rate <= 0:
            return
        key = principal.key_id or "open-mode"
        now = self.clock()
        with self._lock:
            tokens, updated = self._buckets.get(key, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - updated) * self._rate)
            if tokens < 1:
                wait = (1 - tokens) / self._rate
                self._buckets[key] = (tokens, now)
                raise RateLimited(
                    f"too many chat requests for this key; retry in {math.ceil(wait)} s", retry_after=wait
                )
            self._buckets[key] = (tokens - 1, now)
