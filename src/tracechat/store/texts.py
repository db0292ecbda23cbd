"""The conversation text of committed batches, as the search index takes it: work on the
batches' rows, run in the indexer's worker process (``store.textworker``).

Every model call repeats the conversation so far in its input; indexing each input whole
would index a trace's history once per call. ``NewTexts`` remembers, for recent traces,
which pieces of text it has handed out, and hands out only the new ones: each is found on
the first span that carried it. It runs in the worker so that only new text crosses the
pipe (measured: the repeated pieces, 5.4 per span, cost 49 µs a span to pickle and load).
"""

from __future__ import annotations

import logging
from collections import OrderedDict, defaultdict
from typing import Any, NamedTuple

from tracechat.genai.messages import shared_history
from tracechat.genai.registry import normalize, normalize_logs
from tracechat.genai.searchable import SpanText, span_texts
from tracechat.ingest.codec import decode_log_payload, decode_span_payload
from tracechat.model.records import SpanFields
from tracechat.model.stored import StoredLog, StoredSpan

log = logging.getLogger(__name__)

Rows = list[tuple[Any, ...]]
_NO_SCOPE = (b"", b"")  # resource and scope: the text is in the payload


class IndexedText(NamedTuple):  # a tuple: each one is pickled across the pipe, and tuples are cheap to
    project: str
    trace_id: str
    span_id: str | None
    field: str
    text: str
    start_ns: int


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


class NewTexts:
    """The pieces of text of each batch that its traces do not have in the index yet. Its
    memory must be dropped (a new instance) when the index drops what it was given."""

    def __init__(self) -> None:
        self._memory = TraceMemory()

    def of_batch(self, span_rows: Rows, log_rows: Rows) -> list[IndexedText]:
        is_new = self._memory.is_new
        return [t for t in batch_texts(span_rows, log_rows) if is_new(t.project, t.trace_id, t.field, t.text)]


def batch_texts(span_rows: Rows, log_rows: Rows) -> list[IndexedText]:
    """Every piece of text of the batch's spans (rows of ``sql.BATCH_SPANS``) and log
    records (``sql.BATCH_LOGS``): a trace's spans in start order, history repeats and all."""
    spans = [StoredSpan(row[0], row[1], SpanFields._make(row[2:-1]), row[-1], *_NO_SCOPE) for row in span_rows]
    logs = [StoredLog(*(row + _NO_SCOPE)) for row in log_rows]
    return [*_of_spans(spans), *_of_logs(logs)]


def _of_spans(spans: list[StoredSpan]) -> list[IndexedText]:
    by_trace: dict[tuple[str, str], list[StoredSpan]] = defaultdict(list)
    for span in spans:
        by_trace[(span.project, span.trace_id)].append(span)
    found: list[IndexedText] = []
    for (project, trace_id), of_trace in by_trace.items():
        of_trace.sort(key=lambda span: (span.fields.start_ns, span.fields.span_id))
        with shared_history():  # a trace's inputs repeat one another: parse each history once
            for span in of_trace:
                found.extend(
                    IndexedText(project, trace_id, span.fields.span_id, piece.field, piece.text, span.fields.start_ns)
                    for piece in _texts_of(span)
                )
    return found


def _of_logs(logs: list[StoredLog]) -> list[IndexedText]:
    by_span: dict[tuple[str, str, str | None], list[StoredLog]] = defaultdict(list)
    for record in logs:
        if record.trace_id is not None:
            by_span[(record.project, record.trace_id, record.span_id)].append(record)
    found: list[IndexedText] = []
    for (project, trace_id, span_id), records in by_span.items():
        start_ns = min(record.time_ns or record.observed_ns for record in records)
        found.extend(
            IndexedText(project, trace_id, span_id, piece.field, piece.text, start_ns)
            for piece in _texts_of_logs(span_id, records)
        )
    return found


def _texts_of(span: StoredSpan) -> list[SpanText]:
    # A span that cannot be read (a reader bug; it was valid protobuf when stored) must not
    # hold up the index for every span after it: it goes unindexed, and is logged.
    try:
        return span_texts(normalize(span.fields, decode_span_payload(span.raw), [], {}))
    except Exception:
        log.exception(
            "span %s of trace %s: its text could not be read for the index", span.fields.span_id, span.trace_id
        )
        return []


def _texts_of_logs(span_id: str | None, records: list[StoredLog]) -> list[SpanText]:
    try:
        return span_texts(normalize_logs(span_id, [decode_log_payload(record.raw) for record in records]))
    except Exception:
        log.exception("log records of span %s: their text could not be read for the index", span_id)
        return []
