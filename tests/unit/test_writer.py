from __future__ import annotations

import functools
import logging
import operator
import threading
from collections.abc import Callable

import pytest

from tracechat.errors import Overloaded, StorageUnavailable, TracechatError
from tracechat.store.writer import GroupCommitWriter

WAIT = 10  # seconds; only ever reached when the writer is broken


class FakeClock:
    """The writer's clock, moved only by the test (commits "take" exactly what they are told)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Gate:
    """A commit function the test drives: records each group, can hold the first one until
    released, can take a set time on the fake clock, can raise."""

    def __init__(
        self, clock: FakeClock | None = None, seconds: float = 0.0, error: Exception | None = None, hold: bool = True
    ) -> None:
        self.clock, self.seconds, self.error = clock, seconds, error
        self.entered, self.release = threading.Event(), threading.Event()
        if not hold:
            self.release.set()
        self.groups: list[list[int]] = []

    def __call__(self, items: list[int]) -> list[int]:
        self.groups.append(list(items))
        self.entered.set()
        assert self.release.wait(WAIT)
        if self.clock is not None:
            self.clock.now += self.seconds
        if self.error is not None:
            raise self.error
        return [item * 10 for item in items]


def _writer(
    commit: Callable[[list[int]], list[int]], queue: int = 1000, group: int = 1000, **kw: object
) -> GroupCommitWriter[int, int]:
    return GroupCommitWriter(commit, max_queue_bytes=queue, max_commit_bytes=group, **kw)  # type: ignore[arg-type]


def _busy(writer: GroupCommitWriter[int, int], gate: Gate) -> None:
    """Wait until the writer holds its first group inside the commit (the queue is empty)."""
    assert gate.entered.wait(WAIT)
    assert writer.queued_items == 0


def test_groups_what_is_queued_and_resolves_after_commit() -> None:
    gate = Gate()
    writer = _writer(gate)
    futures = [writer.submit(0, 10)]
    _busy(writer, gate)
    futures += [writer.submit(i, 10) for i in range(1, 5)]
    assert not any(f.done() for f in futures)
    gate.release.set()
    assert [future.result(WAIT) for future in futures] == [0, 10, 20, 30, 40]  # each item's own result
    writer.close()
    assert gate.groups == [[0], [1, 2, 3, 4]]  # everything queued behind the first commit went in one
    assert writer.stats.commits == 2
    assert writer.stats.committed_items == 5


def test_a_group_stops_at_the_commit_size_cap() -> None:
    gate = Gate()
    writer = _writer(gate, queue=1000, group=100)
    futures = [writer.submit(0, 40)]
    _busy(writer, gate)
    futures += [writer.submit(i, 40) for i in range(1, 6)]
    futures.append(writer.submit(6, 20))
    assert writer.queued_bytes == 5 * 40 + 20
    gate.release.set()
    for future in futures:
        future.result(WAIT)
    writer.close()
    # 40 + 40 = 80 fits, a third 40 would make 120 > 100; 40 + 20 = 60 fits, exactly at the cap is fine
    assert gate.groups == [[0], [1, 2], [3, 4], [5, 6]]
    assert writer.queued_bytes == 0


def test_a_group_may_fill_the_cap_exactly() -> None:
    gate = Gate()
    writer = _writer(gate, queue=1000, group=100)
    futures = [writer.submit(0, 1)]
    _busy(writer, gate)
    futures += [writer.submit(i, 50) for i in range(1, 4)]
    gate.release.set()
    for future in futures:
        future.result(WAIT)
    writer.close()
    assert gate.groups == [[0], [1, 2], [3]]


def test_full_queue_refuses_at_once_and_queues_nothing() -> None:
    gate = Gate()
    writer = _writer(gate, queue=100, group=100)
    first = writer.submit(1, 60)
    _busy(writer, gate)
    second = writer.submit(2, 40)  # 40 <= 100: fits
    assert writer.queued_bytes == 40
    writer.submit(3, 60)  # 40 + 60 = 100: exactly full still fits
    with pytest.raises(Overloaded, match="100 bytes waiting") as caught:
        writer.submit(4, 1)
    assert caught.value.retry_after == 1.0  # no commit measured yet: twice a guessed half second
    assert writer.queued_items == 2
    assert writer.queued_bytes == 100
    gate.release.set()
    first.result(WAIT)
    second.result(WAIT)
    writer.close()
    assert gate.groups == [[1], [2, 3]]


@pytest.mark.parametrize(
    ("commit_seconds", "retry_after"),
    [(1.26, 2.5), (3.0, 6.0), (0.3, 1.0), (0.5, 1.0)],
)
def test_retry_after_is_twice_the_mean_commit_time_at_least_a_second(commit_seconds: float, retry_after: float) -> None:
    clock = FakeClock()
    gate = Gate(clock, seconds=commit_seconds, hold=False)
    writer = _writer(gate, queue=10, group=10, clock=clock)
    writer.submit(0, 1).result(WAIT)
    writer.submit(1, 1).result(WAIT)
    assert writer.stats.commits == 2
    assert writer.stats.commit_seconds_total == pytest.approx(2 * commit_seconds)
    assert writer.stats.last_commit_seconds == pytest.approx(commit_seconds)
    gate.release.clear()
    gate.entered.clear()
    held = writer.submit(2, 10)
    _busy(writer, gate)
    writer.submit(3, 10)
    with pytest.raises(Overloaded) as caught:
        writer.submit(4, 1)
    assert caught.value.retry_after == retry_after
    gate.release.set()
    held.result(WAIT)
    writer.close()


def test_load_is_the_share_of_the_last_second_spent_committing() -> None:
    clock = FakeClock()
    gate = Gate(clock, seconds=0.25, hold=False)
    writer = _writer(gate, clock=clock)
    assert writer.load == 0.0
    writer.submit(0, 1).result(WAIT)
    assert writer.load == pytest.approx(0.25)
    writer.submit(1, 1).result(WAIT)
    assert writer.load == pytest.approx(0.5)
    gate.seconds = 2.0
    writer.submit(2, 1).result(WAIT)
    assert writer.load == 1.0  # capped; the two short commits fell out of the window
    clock.now += 0.999
    assert writer.load == 1.0
    clock.now += 0.002
    assert writer.load == 0.0
    writer.close()


def test_the_observer_is_told_each_commit() -> None:
    clock = FakeClock()
    seen: list[tuple[float, int]] = []
    gate = Gate(clock, seconds=0.5)
    writer = _writer(gate, clock=clock, observer=lambda seconds, items: seen.append((seconds, items)))
    futures = [writer.submit(0, 1)]
    _busy(writer, gate)
    futures += [writer.submit(1, 1), writer.submit(2, 1)]
    gate.release.set()
    for future in futures:
        future.result(WAIT)
    writer.close()
    assert seen == [(0.5, 1), (0.5, 2)]


def test_an_oversized_item_goes_through_an_empty_queue() -> None:
    gate = Gate()
    writer = _writer(gate, queue=10, group=10)
    big = writer.submit(1, 500)
    _busy(writer, gate)
    second = writer.submit(2, 500)  # the queue is empty again: taken as well
    with pytest.raises(Overloaded):
        writer.submit(3, 1)
    gate.release.set()
    big.result(WAIT)
    second.result(WAIT)
    writer.close()
    assert gate.groups == [[1], [2]]


def test_failed_commit_fails_every_future_in_the_group(caplog: pytest.LogCaptureFixture) -> None:
    gate = Gate(error=OSError("disk full"))
    writer = _writer(gate)
    futures = [writer.submit(0, 1)]
    _busy(writer, gate)
    futures += [writer.submit(i, 1) for i in range(1, 4)]
    with caplog.at_level(logging.ERROR, logger="tracechat.store.writer"):
        gate.release.set()
        errors = [future.exception(WAIT) for future in futures]
        writer.close()
    assert gate.groups == [[0], [1, 2, 3]]
    assert all(isinstance(error, StorageUnavailable) for error in errors)
    assert all("disk full" in str(error) for error in errors)
    assert errors[1] is errors[2] is errors[3]  # one error for the one failed transaction
    assert errors[0].retry_after == 5.0  # type: ignore[union-attr]
    assert writer.stats.failed_commits == 2
    assert writer.stats.commits == 0
    assert writer.stats.committed_items == 0
    assert [r.getMessage() for r in caplog.records] == ["commit of 1 requests failed", "commit of 3 requests failed"]


def test_a_tracechat_error_from_the_store_reaches_the_callers_as_it_is(caplog: pytest.LogCaptureFixture) -> None:
    refusal = Overloaded("the store is compacting", retry_after=7.0)
    gate = Gate(error=refusal)
    writer = _writer(gate)
    futures = [writer.submit(0, 1)]
    _busy(writer, gate)
    futures += [writer.submit(1, 1), writer.submit(2, 1)]
    with caplog.at_level(logging.ERROR, logger="tracechat.store.writer"):
        gate.release.set()
        errors = [future.exception(WAIT) for future in futures]
    assert all(error is refusal for error in errors)
    assert isinstance(refusal, TracechatError)
    assert writer.stats.failed_commits == 2
    assert caplog.records == []  # a known refusal is not a store failure to log with a traceback
    gate.error = None
    writer.submit(3, 1).result(WAIT)  # and the writer goes on
    writer.close()


def test_a_cancelled_caller_does_not_stop_the_writer() -> None:
    gate = Gate()
    writer = _writer(gate)
    first = writer.submit(0, 1)
    _busy(writer, gate)
    cancelled = writer.submit(1, 1)
    kept = writer.submit(2, 1)
    assert cancelled.cancel()  # still queued: a caller may withdraw it
    assert not first.cancel()  # taken by the writer: too late
    gate.release.set()
    first.result(WAIT)
    kept.result(WAIT)
    writer.submit(3, 1).result(WAIT)
    assert writer._thread.is_alive()
    writer.close()
    assert gate.groups == [[0], [2], [3]]  # the withdrawn item was never committed
    assert writer.stats.committed_items == 3


def test_a_group_wholly_cancelled_commits_nothing() -> None:
    gate = Gate()
    writer = _writer(gate)
    first = writer.submit(0, 1)
    _busy(writer, gate)
    withdrawn = [writer.submit(1, 1), writer.submit(2, 1)]
    assert all(f.cancel() for f in withdrawn)
    gate.release.set()
    first.result(WAIT)
    writer.submit(3, 1).result(WAIT)
    writer.close()
    assert gate.groups == [[0], [3]]
    assert writer.stats.commits == 2


def test_close_commits_what_is_queued_then_refuses() -> None:
    gate = Gate()
    writer = _writer(gate, queue=100, group=100)
    futures = [writer.submit(0, 1)]
    _busy(writer, gate)
    futures += [writer.submit(i, 1) for i in range(1, 3)]
    closer = threading.Thread(target=writer.close)
    closer.start()
    while not writer._closing:  # close() has said so before it joins
        threading.Event().wait(0.001)
    with pytest.raises(StorageUnavailable, match=r"^the server is shutting down$") as caught:
        writer.submit(9, 1)
    assert caught.value.retry_after == 5.0
    gate.release.set()
    closer.join(WAIT)
    assert not closer.is_alive()
    assert all(f.done() and f.exception() is None for f in futures)
    assert functools.reduce(operator.iadd, gate.groups, []) == [0, 1, 2]
    assert not writer._thread.is_alive()


def test_close_gives_up_after_its_timeout_when_a_commit_hangs() -> None:
    gate = Gate()
    writer = _writer(gate)
    held = writer.submit(0, 1)
    _busy(writer, gate)
    writer.close(timeout=0.05)  # returns although the commit has not finished
    assert writer._thread.is_alive()
    assert not held.done()
    gate.release.set()
    held.result(WAIT)
    writer.close()


def test_the_writer_thread_is_named_and_does_not_keep_the_process_alive() -> None:
    writer = _writer(Gate(hold=False))
    assert (writer._thread.name, writer._thread.daemon) == ("tracechat-writer", True)
    writer.close()
    named = _writer(Gate(hold=False), name="spans-writer")
    assert named._thread.name == "spans-writer"
    named.close()
