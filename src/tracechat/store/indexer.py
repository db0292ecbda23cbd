"""Keeps the search index in step with the store, on a thread of its own.

The writer tells the indexer the number of every batch it committed. The indexer reads
that batch's spans and log records back, pulls their conversation text out
(``genai.searchable``, through the same conventions a trajectory is read with) and adds it
to the index, then commits the index together with the number of the last batch it holds,
at most every ``refresh_s`` seconds. Acknowledgements never wait for it: the index trails
the store by that interval plus the work, and on start it indexes every batch committed
after the one it recorded, so a crash costs it nothing but time.

Every model call repeats the conversation so far in its input; indexing each input whole
would index a trace's history once per call. The indexer remembers, for recent traces,
which pieces of text it has indexed, and adds only the new ones: each is found on the
first span that carried it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator

from tracechat.genai.messages import shared_history
from tracechat.genai.registry import normalize, normalize_logs
from tracechat.genai.searchable import SpanText, span_texts
from tracechat.ingest.codec import decode_log_payload, decode_span_payload
from tracechat.model.stored import StoredLog, StoredSpan
from tracechat.store.search import IndexedText, SearchIndex

log = logging.getLogger(__name__)

BatchReader = Callable[[int], tuple[list[StoredSpan], list[StoredLog]]]
"""The spans and log records (payloads only, no resource or scope) a batch stored."""

_RETRY_S = 5.0
_SLICE_S = 0.005
_BUSY_SHARE = 0.1
"""While the writer is saturated, the indexer works at most this share of the time."""


class TraceMemory:
    """Which pieces of text recent traces already have in the index. Bounded: a trace
    forgotten (or all of them, after a restart) may have some history indexed again, which
    costs a little space and no correctness."""

    def __init__(self, traces: int = 10_000) -> None:
        self._traces = traces
        self._seen: OrderedDict[tuple[str, str], set[int]] = OrderedDict()

    def is_new(self, project: str, trace_id: str, field: str, text: str) -> bool:
        key = (project, trace_id)
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = set()
            if len(self._seen) > self._traces:
                self._seen.popitem(last=False)
        else:
            self._seen.move_to_end(key)
        digest = hash((field, text))
        if digest in seen:
            return False
        seen.add(digest)
        return True


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
        self._slice_started = time.perf_counter()
        self._memory = TraceMemory()
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
        self._index.close()

    # -- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while (batch := self._next()) is not None:
            try:
                if batch > self._added:
                    self._add(batch)
                if self._added > self._indexed and time.monotonic() - self._last_commit >= self._refresh_s:
                    self._commit()
            except Exception:  # the index (not a span) failed, e.g. a full disk: retry later
                log.exception("the search index could not take batch %d; retrying in %.0f s", batch, _RETRY_S)
                self._index.rollback()
                self._added = self._indexed
                self._memory = TraceMemory()  # it remembers text just rolled back as indexed
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
        spans, logs = self._read(batch)
        self._index.add(self._span_texts(spans))
        self._index.add(self._log_texts(logs))
        self._added = batch

    def _commit(self) -> None:
        self._index.commit(self._added)
        self._last_commit = time.monotonic()
        with self._cond:
            self._indexed = self._added
            self._cond.notify_all()

    def _span_texts(self, spans: list[StoredSpan]) -> Iterator[IndexedText]:
        by_trace: dict[tuple[str, str], list[StoredSpan]] = defaultdict(list)
        for span in spans:
            by_trace[(span.project, span.trace_id)].append(span)
        for (project, trace_id), of_trace in by_trace.items():
            of_trace.sort(key=lambda span: (span.start_ns, span.span_id))
            with shared_history():  # a trace's inputs repeat one another: parse each history once
                for span in of_trace:
                    for piece in _texts_of(span):
                        if self._memory.is_new(project, trace_id, piece.field, piece.text):
                            yield IndexedText(project, trace_id, span.span_id, piece.field, piece.text, span.start_ns)
            self._pace()

    def _pace(self) -> None:
        """Give way to ingest. Indexing is Python work that takes the GIL and a core from the
        threads decoding requests and from the writer; while the writer is saturated,
        acknowledging requests comes first, and the index falls behind until the load eases.
        Below that it indexes at full speed: its text stays fresh."""
        worked = time.perf_counter() - self._slice_started
        if worked < _SLICE_S:
            return
        if self._busy():
            time.sleep(worked * (1 - _BUSY_SHARE) / _BUSY_SHARE)
        self._slice_started = time.perf_counter()

    def _log_texts(self, logs: list[StoredLog]) -> Iterator[IndexedText]:
        by_span: dict[tuple[str, str, str | None], list[StoredLog]] = defaultdict(list)
        for record in logs:
            if record.trace_id is not None:
                by_span[(record.project, record.trace_id, record.span_id)].append(record)
        for (project, trace_id, span_id), records in by_span.items():
            start_ns = min(record.time_ns or record.observed_ns for record in records)
            for piece in _texts_of_logs(span_id, records):
                if self._memory.is_new(project, trace_id, piece.field, piece.text):
                    yield IndexedText(project, trace_id, span_id, piece.field, piece.text, start_ns)


def _texts_of(span: StoredSpan) -> list[SpanText]:
    # A span that cannot be read (a reader bug; it was valid protobuf when stored) must not
    # hold up the index for every span after it: it goes unindexed, and is logged.
    try:
        return span_texts(normalize(span, decode_span_payload(span.raw), [], {}))
    except Exception:
        log.exception("span %s of trace %s: its text could not be read for the index", span.span_id, span.trace_id)
        return []


def _texts_of_logs(span_id: str | None, records: list[StoredLog]) -> list[SpanText]:
    try:
        return span_texts(normalize_logs(span_id, [decode_log_payload(record.raw) for record in records]))
    except Exception:
        log.exception("log records of span %s: their text could not be read for the search index", span_id)
        return []
