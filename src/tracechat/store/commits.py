"""Who wants to hear of a trace's next commit (``SpanStore.watch_trace``).

The writer publishes the trace ids each commit stored spans or log records of, after the
commit and before it acknowledges the requests; each watch of one of those traces is woken.
A watch only learns *that* its trace changed, and reads the trace again itself, so commits
that arrive while it reads coalesce into one wake-up. Trace ids are published without their
project: a watch reads its own project only, so another project's trace of the same id costs
it a read, never a look at the other project.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Self


class TraceWatch:
    """Woken by each commit of its trace; a context manager that stops watching at exit."""

    def __init__(self, feed: CommitFeed, trace_id: str) -> None:
        self.trace_id = trace_id
        self._feed = feed
        self._changed = threading.Event()

    def wait(self, timeout: float) -> bool:
        """Whether a commit stored spans or log records of the trace since the last ``wait``
        returned True (or since the watch began), waiting up to ``timeout`` seconds for one."""
        if not self._changed.wait(timeout):
            return False
        self._changed.clear()
        return True

    def close(self) -> None:
        self._feed.unsubscribe(self)

    def notify(self) -> None:
        self._changed.set()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class CommitFeed:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: dict[str, set[TraceWatch]] = {}

    @property
    def watched(self) -> bool:
        """Whether anyone watches: the writer collects a commit's trace ids only then."""
        return bool(self._watches)

    def subscribe(self, trace_id: str) -> TraceWatch:
        watch = TraceWatch(self, trace_id)
        with self._lock:
            self._watches.setdefault(trace_id, set()).add(watch)
        return watch

    def unsubscribe(self, watch: TraceWatch) -> None:
        with self._lock:
            watches = self._watches.get(watch.trace_id)
            if watches is not None:
                watches.discard(watch)
                if not watches:
                    del self._watches[watch.trace_id]

    def publish(self, trace_ids: Iterable[str]) -> None:
        with self._lock:
            woken = [w for trace_id in trace_ids for w in self._watches.get(trace_id, ())]
        for watch in woken:
            watch.notify()
