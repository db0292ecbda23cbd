"""A clock tests move by hand, for code that takes one (``KeyRing``'s reload interval)."""

from __future__ import annotations


class ManualClock:
    """Seconds as ``time.monotonic`` gives them, but standing still until ``advance``."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
