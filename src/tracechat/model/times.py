"""Moments as the store keeps them, integer nanoseconds since 1970 in UTC (64 bits), and as
the APIs show them, datetimes. The conversions are integer arithmetic: through a float of
seconds (``ns / 1e9``) a moment of 2026 is only good to about a quarter of a microsecond, so
rounding it to a datetime's microsecond was one off now and then, and the trace list and the
trajectory could disagree about when a span started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import overload

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_NS = 2**63 - 1
_MICROSECOND = timedelta(microseconds=1)


def time_of(ns: int) -> datetime:
    """The moment ``ns`` nanoseconds after 1970, to the nearest microsecond (half to even, as
    ``datetime.fromtimestamp`` rounds)."""
    micros, rest = divmod(ns, 1000)
    if rest > 500 or (rest == 500 and micros % 2):
        micros += 1
    return EPOCH + timedelta(microseconds=micros)


@overload
def ns_of(moment: datetime) -> int: ...
@overload
def ns_of(moment: None) -> None: ...
def ns_of(moment: datetime | None) -> int | None:
    """Nanoseconds since 1970 of a moment (None stays None), clamped to what the store can hold
    (a moment before 1970 or after 2262 is the nearest one it can); a moment without a zone is
    UTC, not the server's local time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    ns = (moment - EPOCH) // _MICROSECOND * 1000
    return min(max(0, ns), LATEST_NS)
