"""Group commit: one thread owns the write connection and commits many requests at once.

Callers ``submit`` an item and wait on the returned future. The writer drains whatever is
queued (up to ``max_commit_bytes``) into one transaction, and resolves every future of that
transaction only after it committed, with what the commit says of its item (how many of its
spans were new, say), or fails them all if it did not. A full queue refuses
at once with ``Overloaded`` so clients back off instead of piling up memory.

A caller may cancel its future while the item still waits in the queue (an asyncio request
whose client went away cancels the future it wrapped): the item is then withdrawn, never
committed, and the writer goes on. Once the writer has taken an item, its future can no
longer be cancelled, so resolving it cannot fail.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from tracechat.errors import Overloaded, StorageUnavailable, TracechatError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class _Pending(Generic[T, R]):
    item: T
    size: int
    future: Future[R] = field(default_factory=Future)


@dataclass(slots=True)
class WriterStats:
    commits: int = 0
    committed_items: int = 0
    failed_commits: int = 0
    commit_seconds_total: float = 0.0
    last_commit_seconds: float = 0.0


_LOAD_WINDOW_S = 1.0

CommitObserver = Callable[[float, int], None]
"""Told the duration (seconds) and item count of every successful commit."""


class GroupCommitWriter(Generic[T, R]):
    def __init__(
        self,
        commit: Callable[[list[T]], Sequence[R]],
        *,
        max_queue_bytes: int,
        max_commit_bytes: int,
        observer: CommitObserver | None = None,
        name: str = "tracechat-writer",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._commit = commit
        """Commits the items in one transaction; one result per item, in their order."""
        self._clock = clock
        self._max_queue_bytes = max_queue_bytes
        self._max_commit_bytes = max_commit_bytes
        self._observer = observer
        self._queue: deque[_Pending[T, R]] = deque()
        self._queued_bytes = 0
        self._cond = threading.Condition()
        self._closing = False
        self._recent: deque[tuple[float, float]] = deque()  # (end, seconds) of recent commits
        self.stats = WriterStats()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def queued_bytes(self) -> int:
        return self._queued_bytes

    @property
    def queued_items(self) -> int:
        return len(self._queue)

    @property
    def load(self) -> float:
        """The share of the last second the writer spent committing: near 1 when ingest
        is as fast as the store can take it."""
        since = self._clock() - _LOAD_WINDOW_S
        return min(1.0, sum(seconds for end, seconds in list(self._recent) if end > since) / _LOAD_WINDOW_S)

    def submit(self, item: T, size: int) -> Future[R]:
        """Queue ``item``; the future resolves once it is committed, with the commit's result for it.

        Raises ``Overloaded`` (nothing queued) when the queue is full. A single item larger
        than the whole queue is still taken when the queue is empty, so it can make progress.
        """
        pending: _Pending[T, R] = _Pending(item, size)
        with self._cond:
            if self._closing:
                raise StorageUnavailable("the server is shutting down", retry_after=5.0)
            if self._queued_bytes and self._queued_bytes + size > self._max_queue_bytes:
                raise Overloaded(
                    f"write queue is full ({self._queued_bytes} bytes waiting); retry later",
                    retry_after=self._retry_after(),
                )
            self._queue.append(pending)
            self._queued_bytes += size
            self._cond.notify()
        return pending.future

    def close(self, timeout: float | None = None) -> None:
        """Commit everything already queued, then stop the thread. New submits are refused."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(timeout)

    def _retry_after(self) -> float:
        stats = self.stats
        per_commit = stats.commit_seconds_total / stats.commits if stats.commits else 0.5
        return max(1.0, round(per_commit * 2, 1))

    def _run(self) -> None:
        while True:
            group = self._take_group()
            if group is None:
                return
            # a future cancelled while queued is withdrawn; the rest can no longer be cancelled
            live = [pending for pending in group if pending.future.set_running_or_notify_cancel()]
            if live:
                self._commit_group(live)

    def _take_group(self) -> list[_Pending[T, R]] | None:
        with self._cond:
            while not self._queue:
                if self._closing:
                    return None
                self._cond.wait()
            group: list[_Pending[T, R]] = []
            group_bytes = 0
            while self._queue and (not group or group_bytes + self._queue[0].size <= self._max_commit_bytes):
                pending = self._queue.popleft()
                group.append(pending)
                group_bytes += pending.size
            self._queued_bytes -= group_bytes
            return group

    def _commit_group(self, group: list[_Pending[T, R]]) -> None:
        started = self._clock()
        try:
            results = self._commit([pending.item for pending in group])
        except TracechatError as exc:
            self._fail(group, exc)
            return
        except Exception as exc:  # the store failed: nothing in this group is durable
            log.exception("commit of %d requests failed", len(group))
            self._fail(
                group,
                StorageUnavailable(f"the store could not commit: {exc}", retry_after=5.0),
            )
            return
        elapsed = self._clock() - started
        self.stats.commits += 1
        self.stats.committed_items += len(group)
        self.stats.commit_seconds_total += elapsed
        self.stats.last_commit_seconds = elapsed
        self._remember_load(started + elapsed, elapsed)
        if self._observer:
            self._observer(elapsed, len(group))
        for pending, result in zip(group, results, strict=True):
            pending.future.set_result(result)

    def _remember_load(self, now: float, elapsed: float) -> None:
        self._recent.append((now, elapsed))
        while self._recent and self._recent[0][0] <= now - _LOAD_WINDOW_S:
            self._recent.popleft()

    def _fail(self, group: list[_Pending[T, R]], error: Exception) -> None:
        self.stats.failed_commits += 1
        for pending in group:
            pending.future.set_exception(error)
