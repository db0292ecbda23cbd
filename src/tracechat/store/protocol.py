"""What every span store promises. The HTTP and gRPC edges depend on this, not on DuckDB."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Protocol

from tracechat.model.records import IngestBatch, StoredCount
from tracechat.model.sessions import SessionEntry, SessionFilter, SessionSummary
from tracechat.model.stored import StoredLog, StoredSpan, StoredTrace, TraceIndexEntry
from tracechat.model.summaries import SpanMatch, StoredFeedback, TraceFilter
from tracechat.store.commits import TraceWatch


class SpanStore(Protocol):
    def submit(self, batch: IngestBatch) -> Future[StoredCount]:
        """Queue ``batch`` for the next group commit and return at once.

        The future resolves only after the transaction holding the whole batch has committed
        durably: a process killed after that loses none of it. Its result counts the spans
        and log records of the batch that were new (stored now, not before or by an earlier
        request of the same commit). It fails with
        ``StorageUnavailable`` (retryable) when the commit failed, and then nothing of the
        batch is stored. Raises ``Overloaded`` (retryable, nothing queued) when the write
        queue is full. A span already stored (same project, trace_id and span_id, as OTLP
        retries send) is stored once; so is a log record, of a trace or of none (same
        project, trace, resource and scope, and the same record bytes:
        ``store.sql.LOG_IDENTITY``).

        The conversation text of the batch (``list_traces``' ``where.text``) becomes
        searchable after the future resolves, by design not with it, and within about a
        second under a load the store keeps up with; a process killed before that loses
        none of it either: the search index catches up from the store when it starts.
        """
        ...

    def watch_trace(self, trace_id: str) -> TraceWatch:
        """Be woken by every commit that stores spans or log records of ``trace_id``, from now
        until the watch is closed: woken after the commit, so a read then sees what it stored,
        and before its requests are acknowledged. Commits of that id in any project wake it;
        the watcher reads its own project."""
        ...

    def trace(self, project: str, trace_id: str) -> TraceIndexEntry | None:
        """The trace index entry, or None when the project holds no such trace."""
        ...

    def read_trace(self, project: str, trace_id: str, max_spans: int | None = None) -> StoredTrace | None:
        """The trace's root span name, spans and logs in as few reads as the store can, or None.
        ``max_spans``: raise ``TraceTooLarge`` instead of reading a trace of more spans (the
        index knows the count before any payload is read)."""
        ...

    def read_span(self, project: str, trace_id: str, span_id: str) -> StoredTrace | None:
        """``read_trace`` of one span: the trace's root span name, the span (or no span when
        the trace has no such span) and the logs linked to it; None for an unknown trace."""
        ...

    def trace_spans(self, project: str, trace_id: str) -> list[StoredSpan]:
        """Every span of the trace, in start-time order; empty for an unknown trace."""
        ...

    def trace_logs(self, project: str, trace_id: str) -> list[StoredLog]:
        """Every log record linked to the trace, in time order."""
        ...

    def list_traces(
        self, project: str, where: TraceFilter, limit: int, offset: int
    ) -> tuple[list[tuple[Any, ...]], int]:
        """A page of the trace index (newest first) and the number of traces matching in all.
        Reads only the trace index and the search index, never spans.

        ``where.text`` matches a trace by its root span name (substring), trace id,
        conversation id, agents or models, or by the conversation text of any of its spans
        in the search index (every word, or a "quoted phrase", in one message, tool
        argument or tool result), only ever within ``project``; a text search considers at
        most the 50,000 newest traces whose text matches. The other conditions of
        ``where`` apply to text matches as to all, and the count is of traces matching all."""
        ...

    def list_sessions(
        self, project: str, where: SessionFilter, limit: int, offset: int
    ) -> tuple[list[SessionSummary], int]:
        """A page of the session index (the most recently active first) and the number of
        sessions matching in all. Reads only the session index, never spans or traces. A
        session's figures are those of every trace committed in it so far (the trace
        index's, summed); a trace is in the session its spans name first."""
        ...

    def session(self, project: str, session_id: str) -> SessionEntry | None:
        """The session's index entry and its trace ids, or None when the project has no
        such session."""
        ...

    def text_matches(self, project: str, text: str, trace_ids: list[str]) -> dict[str, list[SpanMatch]]:
        """For those of ``trace_ids`` in ``project`` whose conversation text matches ``text``
        (as in ``list_traces``): the matching spans, best first, a few per trace, each with
        the field that matched and a snippet of it. Reads only the search index; a trace
        without text matches is absent."""
        ...

    def add_feedback(self, project: str, feedback: StoredFeedback) -> None:
        """Store feedback; durable when this returns."""
        ...

    def feedback(self, project: str, trace_id: str) -> list[StoredFeedback]:
        """Feedback stored for the trace and its spans, oldest first."""
        ...

    def span_count(self, project: str | None = None) -> int:
        """Spans stored, in one project or in all."""
        ...

    def close(self) -> None:
        """Commit what is queued, stop the writer, close the file."""
        ...
