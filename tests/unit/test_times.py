"""Moments between the store's nanoseconds and the APIs' datetimes, exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tracechat.model.times import LATEST_NS, ns_of, time_of


def test_a_moment_is_rounded_to_its_nearest_microsecond_not_a_floats() -> None:
    # as a float of seconds this is ...40.0000104999, which rounds down to 10 µs
    assert time_of(1_795_000_000_000_010_549) == datetime(2026, 11, 18, 11, 6, 40, 11, tzinfo=UTC)
    assert time_of(1_795_000_000_000_010_499) == datetime(2026, 11, 18, 11, 6, 40, 10, tzinfo=UTC)


def test_a_half_microsecond_rounds_to_even() -> None:
    assert time_of(10_500).microsecond == 10
    assert time_of(11_500).microsecond == 12


def test_a_datetime_is_its_nanoseconds_and_back() -> None:
    moment = datetime(2026, 12, 2, 13, 0, 0, 123457, tzinfo=UTC)
    assert ns_of(moment) == 1_796_216_400_123_457_000
    assert time_of(ns_of(moment)) == moment


def test_a_moment_in_another_zone_is_the_same_instant() -> None:
    paris = datetime(2026, 12, 2, 14, 0, tzinfo=timezone(timedelta(hours=1)))
    assert ns_of(paris) == ns_of(datetime(2026, 12, 2, 13, 0, tzinfo=UTC))


def test_a_moment_without_a_zone_is_utc_not_the_servers_local_time() -> None:
    assert ns_of(datetime(2026, 12, 2, 13, 0)) == ns_of(datetime(2026, 12, 2, 13, 0, tzinfo=UTC))


def test_moments_the_store_cannot_hold_are_clamped_and_none_stays_none() -> None:
    assert ns_of(datetime(1969, 12, 31, tzinfo=UTC)) == 0
    assert ns_of(datetime(9999, 1, 1, tzinfo=UTC)) == LATEST_NS
    assert ns_of(None) is None
