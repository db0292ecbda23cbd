from __future__ import annotations

import functools
import operator
import threading

import pytest

from tracechat.errors import Overloaded, StorageUnavailable
from tracechat.store.writer import GroupCommitWriter


def test_groups_what_is_queued_and_resolves_after_commit() -> None:
    release, entered = threading.Event(), threading.Event()
    groups: list[list[int]] = []

    def commit(items: list[int]) -> None:
        if not groups:
            entered.set()
            release.wait(10)
        groups.append(items)

    writer: GroupCommitWriter[int] = GroupCommitWriter(commit, max_queue_bytes=1000, max_commit_bytes=1000)
    futures = [writer.submit(0, 10)]
    assert entered.wait(10)
    futures += [writer.submit(i, 10) for i in range(1, 5)]
    assert not futures[-1].done()
    release.set()
    for future in futures:
        future.result(10)
    writer.close()
    assert groups[0] == [0]
    assert functools.reduce(operator.iadd, groups, []) == [0, 1, 2, 3, 4]
    assert len(groups) == 2  # everything queued behind the first commit went in one


def test_full_queue_refuses_at_once() -> None:
    release = threading.Event()
    writer: GroupCommitWriter[int] = GroupCommitWriter(
        lambda items: release.wait(10) and None, max_queue_bytes=100, max_commit_bytes=100
    )
    first = writer.submit(1, 60)
    while writer.queued_items:  # the writer took it and is committing
        threading.Event().wait(0.001)
    second = writer.submit(2, 60)
    with pytest.raises(Overloaded) as caught:
        writer.submit(3, 60)
    assert caught.value.retry_after is not None
    assert caught.value.retry_after >= 1
    release.set()
    first.result(10)
    second.result(10)
    writer.close()


def test_an_oversized_item_goes_through_an_empty_queue() -> None:
    writer: GroupCommitWriter[int] = GroupCommitWriter(lambda items: None, max_queue_bytes=10, max_commit_bytes=10)
    writer.submit(1, 500).result(10)
    writer.close()


def test_failed_commit_fails_every_future_in_the_group() -> None:
    def commit(items: list[int]) -> None:
        raise OSError("disk full")

    writer: GroupCommitWriter[int] = GroupCommitWriter(commit, max_queue_bytes=100, max_commit_bytes=100)
    future = writer.submit(1, 1)
    with pytest.raises(StorageUnavailable, match="disk full"):
        future.result(10)
    assert writer.stats.failed_commits == 1
    writer.close()


def test_close_commits_what_is_queued_then_refuses() -> None:
    committed: list[int] = []
    writer: GroupCommitWriter[int] = GroupCommitWriter(committed.extend, max_queue_bytes=100, max_commit_bytes=100)
    futures = [writer.submit(i, 1) for i in range(3)]
    writer.close()
    assert all(f.done() and f.exception() is None for f in futures)
    assert committed == [0, 1, 2]
    with pytest.raises(StorageUnavailable):
        writer.submit(9, 1)
