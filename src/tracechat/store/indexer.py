"""Keeps the search index in step with the store, on a thread of its own.

The writer tells the indexer the number of every batch it committed. The indexer reads
that batch's spans and log records back, has a worker process pull their conversation
text out (``store.texts``: through the same conventions a trajectory is read with), adds
the text to the index, then commits the index together with the number of the last batch
it holds, at most every ``refresh_s`` seconds. Acknowledgements never wait for it: the
index trails the store by that interval plus the work, and on start it indexes every batch
committed after the one it recorded, so a crash costs it nothing but time.

The reading is about 50 µs of Python per span. In a process of its own it does not hold
the server's GIL, which the threads decoding requests and the writer need (measured at
5k spans/s in one process: the indexer held the GIL for two thirds of the time any thread
did, and each batch took three to five times as long as alone).

The worker hands out only the text a trace does not have in the index yet
(``store.texts.NewTexts``): every model call repeats the history in its input.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from tracechat.store.search import SearchIndex
from tracechat.store.texts import Rows
from tracechat.store.textworker import TextWorker

log = logging.getLogger(__name__)

BatchReader = Callable[[int], tuple[Rows, Rows]]
"""The rows of spans and of log records a batch stored (``store.texts.batch_texts``)."""

_RETRY_S = 5.0
_BUSY_SHARE = 0.1
"""While ingest is saturated, the indexer works at most this share of the time."""


class Indexer:
    def __init__(
        self,
        index: SearchIndex,
        read_batch: BatchReader,
        committed: int,
        *,
        refresh_s: float,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        """``busy``: whether the writer is saturated (requests wait for it while it commits
        nearly all the time); the indexer then slows down."""
        self._index = index
        self._read = read_batch
        self._refresh_s = refresh_s
        self._busy = busy
        self._worker = TextWorker()
        self._warm_up()
        indexed = index.indexed_batch()
        self._committed = committed
        self._added = self._indexed = indexed
        self._last_commit = time.monotonic()
        self._cond = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="tracechat-indexer", daemon=True)
        self._thread.start()

    @property
    def indexed_batch(self) -> int:
        """The last batch whose text is searchable."""
        return self._indexed

    def committed(self, batch: int) -> None:
        """Told by the writer after each commit; returns at once."""
        with self._cond:
            self._committed = batch
            self._cond.notify()

    def wait_indexed(self, timeout: float) -> bool:
        """Wait until every batch committed so far is searchable; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._committed
            while self._indexed < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    def close(self) -> None:
        """Stop after the batch in hand; what was indexed is committed, the rest is indexed
        at the next start."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()
        self._worker.stop()
        self._index.close()

    # -- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while (batch := self._next()) is not None:
            try:
                if batch > self._added:
                    self._add(batch)
                if self._added > self._indexed and time.monotonic() - self._last_commit >= self._refresh_s:
                    self._commit()
            except Exception:  # the index or the worker failed (a full disk, a killed process): retry
                log.exception("the search index could not take batch %d; retrying in %.0f s", batch, _RETRY_S)
                self._index.rollback()
                self._added = self._indexed
                # a new worker next time: this one may be what failed, and it remembers the
                # text just rolled back as indexed
                self._worker.stop()
                time.sleep(_RETRY_S)
        if self._added > self._indexed:
            self._commit()

    def _next(self) -> int | None:
        """The next batch to add, or the last one added when a commit of it is due; None
        once closing."""
        with self._cond:
            while not self._closing:
                if self._added < self._committed:
                    return self._added + 1
                if self._added == self._indexed:
                    self._cond.wait()
                    continue
                due = self._last_commit + self._refresh_s - time.monotonic()
                if due <= 0:
                    return self._added
                self._cond.wait(due)
            return None

    def _add(self, batch: int) -> None:
        started = time.perf_counter()
        span_rows, log_rows = self._read(batch)
        texts = self._worker.texts(span_rows, log_rows) if span_rows or log_rows else []
        self._index.add(texts)
        self._added = batch
        self._pace(time.perf_counter() - started)

    def _commit(self) -> None:
        self._index.commit(self._added)
        self._last_commit = time.monotonic()
        with self._cond:
            self._indexed = self._added
            self._cond.notify_all()

    def _warm_up(self) -> None:
        """Start the worker now (0.3 s to start it and import the readers), so that the
        first spans after a start are as fresh as any later ones."""
        try:
            self._worker.texts([], [])
        except Exception:  # the thread starts another one when it first needs it
            log.exception("the search indexer's worker process did not start")
            self._worker.stop()

    def _pace(self, worked: float) -> None:
        """Give way to ingest. Reading text takes a core from the threads decoding requests
        and from the writer; while the writer is saturated, acknowledging requests comes
        first, and the index falls behind until the load eases. Below that it indexes at
        full speed: its text stays fresh."""
        if self._busy():
            time.sleep(worked * (1 - _BUSY_SHARE) / _BUSY_SHARE)
