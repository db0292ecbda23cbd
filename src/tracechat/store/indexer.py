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

A batch whose text cannot be read (a damaged row, the worker dying on it) holds up no other:
it is passed over and tried again alone after a backoff, and is dead after too many failures
(``store.textretry``, the Iceberg store's rule too). The batches passed over are committed to
the index with the progress past them (``search.Failing``), so a restart forgets none; a dead
one waits for an operator (``retry_dead``: ``tracechat maintain --retry-dead-text``). A
failure of the index itself (its commit: a full disk) is no batch's fault: everything since
the last commit is dropped and done again after ``_RETRY_S``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tracechat.store.search import Failing, SearchIndex
from tracechat.store.textretry import DEAD_SHOWN, DEFAULT_POLICY, DeadBatch, RetryPolicy, error_text
from tracechat.store.texts import Rows
from tracechat.store.textworker import TextWorker

log = logging.getLogger(__name__)

BatchReader = Callable[[int], tuple[Rows, Rows]]
"""The rows of spans and of log records a batch stored (``store.texts.batch_texts``)."""

_RETRY_S = 5.0
_BUSY_SHARE = 0.1
"""While ingest is saturated, the indexer works at most this share of the time."""


@dataclass(frozen=True, slots=True)
class _Step:
    batch: int | None
    """The batch to try (None: only a commit is due)."""
    retry: bool = False
    """A batch that failed before (not the next in order)."""


class Indexer:
    def __init__(
        self,
        index: SearchIndex,
        read_batch: BatchReader,
        committed: int,
        *,
        refresh_s: float,
        busy: Callable[[], bool] = lambda: False,
        retry: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        """``busy``: whether the writer is saturated (requests wait for it while it commits
        nearly all the time); the indexer then slows down. ``retry``: when a batch that
        failed is tried again, and given up on."""
        self._index = index
        self._read = read_batch
        self._refresh_s = refresh_s
        self._busy = busy
        self._policy = retry
        self._worker = TextWorker()
        self._warm_up()
        indexed = index.indexed_batch()
        self._committed = committed
        self._added = self._indexed = indexed
        self._failing = index.failing()
        """Batches whose text failed, as this thread knows them (committed or not)."""
        self._failing_changed = False
        self._waiting = self._unsettled(self._failing)
        """The batches that failed and are not dead, as last committed (``wait_indexed``)."""
        self.failed = 0
        """Attempts at a batch that failed (it backs off, or is dead)."""
        self.succeeded = 0
        """Attempts at a batch whose text was added."""
        self._last_commit = time.monotonic()
        self._cond = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="tracechat-indexer", daemon=True)
        self._thread.start()

    @property
    def indexed_batch(self) -> int:
        """The last batch in order whose text is searchable or passed over (``waiting``)."""
        return self._indexed

    @property
    def waiting(self) -> int:
        """Batches up to ``indexed_batch`` whose text failed and will be tried again."""
        return len(self._waiting)

    def dead(self) -> int:
        """Batches whose text was given up on (``textretry``): tried again only on ``retry_dead``."""
        with self._cond:
            return sum(1 for state in self._failing.values() if state.dead_at is not None)

    def dead_batches(self, limit: int = DEAD_SHOWN) -> list[DeadBatch]:
        """The dead batches, oldest first (at most ``limit``), with their last error."""
        with self._cond:
            dead = sorted((s.dead_at, b, s) for b, s in self._failing.items() if s.dead_at is not None)
        return [
            DeadBatch(str(batch), state.attempts, datetime.fromtimestamp(at, UTC).isoformat(), state.last_error)
            for at, batch, state in dead[:limit]
        ]

    def retry_dead(self, batches: Sequence[int] | None = None) -> int:
        """Give dead batches (``batches``, or all) their attempts again, to be tried at once
        (an operator's retry, once what made them fail is mended); how many."""
        now = time.time()
        with self._cond:
            chosen = [
                b for b, s in self._failing.items() if s.dead_at is not None and (batches is None or b in batches)
            ]
            for batch in chosen:
                self._failing[batch] = Failing(0, now, None, self._failing[batch].last_error)
            self._failing_changed = self._failing_changed or bool(chosen)
            self._cond.notify_all()
        return len(chosen)

    def committed(self, batch: int) -> None:
        """Told by the writer after each commit; returns at once."""
        with self._cond:
            self._committed = batch
            self._cond.notify()

    def wait_indexed(self, timeout: float) -> bool:
        """Wait until every batch committed so far is searchable (but the dead ones); False
        on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._committed
            while self._indexed < target or any(batch <= target for batch in self._waiting):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is left to do but wait: every batch committed so far tried,
        no failed one due, all of it committed to the index; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._indexed < self._committed or self._changed() or self._due(time.time()):
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
        while (step := self._next()) is not None:
            try:
                if step.batch is not None:
                    self._attempt(step.batch, step.retry)
                if self._changed() and time.monotonic() - self._last_commit >= self._refresh_s:
                    self._commit()
            except Exception:  # the index itself failed (a full disk): all since its last commit again
                log.exception("the search index could not commit; trying again in %.0f s", _RETRY_S)
                self._index.rollback()
                with self._cond:
                    self._added = self._indexed
                    self._failing = self._index.failing()
                    self._failing_changed = False
                # a new worker next time: it remembers the text just rolled back as indexed
                self._worker.stop()
                with self._cond:
                    self._cond.wait_for(lambda: self._closing, _RETRY_S)
        if self._changed():
            self._commit()

    def _changed(self) -> bool:
        return self._added > self._indexed or self._failing_changed

    def _next(self) -> _Step | None:
        """The next batch in order, else a failed one that is due, else a commit once it is
        due; None once closing."""
        with self._cond:
            while not self._closing:
                if self._added < self._committed:
                    return _Step(self._added + 1)
                now = time.time()
                due = self._due(now)
                if due is not None:
                    return _Step(due, retry=True)
                waits = [s.retry_at - now for s in self._failing.values() if s.dead_at is None]
                if self._changed():
                    commit_in = self._last_commit + self._refresh_s - time.monotonic()
                    if commit_in <= 0:
                        return _Step(None)
                    waits.append(commit_in)
                self._cond.wait(min(waits) if waits else None)
            return None

    def _due(self, now: float) -> int | None:
        """The oldest failed batch due again, if any (under ``_cond``)."""
        due = [b for b, s in self._failing.items() if s.dead_at is None and s.retry_at <= now]
        return min(due) if due else None

    def _attempt(self, batch: int, retry: bool) -> None:
        started = time.perf_counter()
        try:
            span_rows, log_rows = self._read(batch)
            texts = self._worker.texts(span_rows, log_rows) if span_rows or log_rows else []
        except Exception as exc:  # this batch's fault (a damaged row, a reader bug): it backs off
            self._worker.stop()  # it may be what failed
            self._record_failure(batch, exc)
        else:
            self._index.add(texts)
            self.succeeded += 1
            with self._cond:
                if self._failing.pop(batch, None) is not None:
                    self._failing_changed = True
        if not retry:
            self._added = batch
        self._pace(time.perf_counter() - started)

    def _record_failure(self, batch: int, error: Exception) -> None:
        message = error_text(error)
        with self._cond:
            before = self._failing.get(batch)
            verdict = self._policy.after_failure(before.attempts if before is not None else 0)
            now = time.time()
            dead_at = now if verdict.dead else None
            self._failing[batch] = Failing(verdict.attempts, now + verdict.retry_in_s, dead_at, message)
            self._failing_changed = True
        self.failed += 1
        if verdict.dead:
            log.error(
                "the text of batch %d is dead after %d failed attempts (%s): retry it with"
                " tracechat maintain --retry-dead-text once mended",
                batch,
                verdict.attempts,
                message,
            )
        else:
            log.warning("indexing the text of batch %d failed (attempt %d): %s", batch, verdict.attempts, message)

    def _commit(self) -> None:
        with self._cond:
            failing = dict(self._failing)
            self._failing_changed = False
        try:
            self._index.commit(self._added, failing)
        except BaseException:
            with self._cond:
                self._failing_changed = True
            raise
        self._last_commit = time.monotonic()
        with self._cond:
            self._indexed = self._added
            self._waiting = self._unsettled(failing)
            self._cond.notify_all()

    @staticmethod
    def _unsettled(failing: dict[int, Failing]) -> set[int]:
        return {batch for batch, state in failing.items() if state.dead_at is None}

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
