"""The chat rate limit's token bucket, on a clock the test moves."""

from __future__ import annotations

import pytest

from tracechat.auth.keys import Principal
from tracechat.chat.limits import RateLimited, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def _principal(key_id: str | None) -> Principal:
    return Principal(key_id=key_id, project="default", admin=False)


def test_a_burst_then_one_request_per_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=2, clock=clock)  # one token every 10 s
    alice = _principal("alice")
    limiter.check(alice)
    limiter.check(alice)
    with pytest.raises(RateLimited, match="retry in 10 s") as caught:
        limiter.check(alice)
    assert caught.value.retry_after == pytest.approx(10.0)
    assert caught.value.http_status == 429
    clock.now += 4.0
    with pytest.raises(RateLimited) as caught:
        limiter.check(alice)
    assert caught.value.retry_after == pytest.approx(6.0)  # the refused request took nothing
    clock.now += 6.0
    limiter.check(alice)  # exactly one token has come back
    with pytest.raises(RateLimited):
        limiter.check(alice)


def test_the_bucket_fills_only_to_its_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    bob = _principal("bob")
    limiter.check(bob)
    clock.now += 3600  # an hour idle earns no more than the burst
    for _ in range(3):
        limiter.check(bob)
    with pytest.raises(RateLimited) as caught:
        limiter.check(bob)
    assert caught.value.retry_after == pytest.approx(1.0)


def test_each_key_has_its_own_bucket_and_open_mode_shares_one() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=6, clock=clock)  # burst: a sixth of a minute's worth, at least 1
    limiter.check(_principal("alice"))
    limiter.check(_principal("bob"))
    with pytest.raises(RateLimited):
        limiter.check(_principal("alice"))
    limiter.check(_principal(None))
    with pytest.raises(RateLimited):
        limiter.check(_principal(None))


def test_a_rate_of_zero_limits_nothing() -> None:
    limiter = RateLimiter(per_minute=0, clock=Clock())
    for _ in range(100):
        limiter.check(_principal("alice"))
