"""Ingest rows → Arrow tables, done in the caller's thread before a batch is queued, so the
writer thread spends its time in DuckDB (which releases the GIL) and not in Python."""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass

import pyarrow as pa

from tracechat.model.records import IngestBatch, LogColumns, ScopeRecord, SpanColumns, StoredCount

SPAN_SCHEMA = pa.schema(
    [
        ("project", pa.string()),
        ("trace_id", pa.string()),
        ("span_id", pa.string()),
        ("parent_span_id", pa.string()),
        ("name", pa.string()),
        ("kind", pa.uint8()),
        ("start_ns", pa.int64()),
        ("end_ns", pa.int64()),
        ("status_code", pa.uint8()),
        ("status_message", pa.string()),
        ("operation", pa.string()),
        ("agent_name", pa.string()),
        ("request_model", pa.string()),
        ("response_model", pa.string()),
        ("provider", pa.string()),
        ("tool_name", pa.string()),
        ("conversation_id", pa.string()),
        ("response_id", pa.string()),
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("cost", pa.float64()),
        ("scope_id", pa.string()),
        ("raw", pa.binary()),
    ]
)

LOG_SCHEMA = pa.schema(
    [
        ("project", pa.string()),
        ("trace_id", pa.string()),
        ("span_id", pa.string()),
        ("time_ns", pa.int64()),
        ("observed_ns", pa.int64()),
        ("severity_number", pa.int32()),
        ("severity_text", pa.string()),
        ("event_name", pa.string()),
        ("scope_id", pa.string()),
        ("raw", pa.binary()),
    ]
)

SCOPE_SCHEMA = pa.schema(
    [
        ("scope_id", pa.string()),
        ("resource", pa.binary()),
        ("resource_schema_url", pa.string()),
        ("scope", pa.binary()),
        ("scope_schema_url", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class StagedBatch:
    spans: pa.Table | None
    logs: pa.Table | None
    scopes: pa.Table
    size_bytes: int
    payloads: pa.Table | None = None
    """The spans' payloads by trace (``store.payloads.by_trace``), for the stores that keep
    them apart from the span rows (DuckDB's, from schema 6); None for the others."""


def stage(batch: IngestBatch) -> StagedBatch:
    return StagedBatch(
        spans=_columns_table(batch.spans, SPAN_SCHEMA) if len(batch.spans) else None,
        logs=_columns_table(batch.logs, LOG_SCHEMA) if len(batch.logs) else None,
        scopes=_scopes_table(list(batch.scopes.values())),
        size_bytes=batch.size_bytes,
    )


def _columns_table(columns: SpanColumns | LogColumns, schema: pa.Schema) -> pa.Table:
    arrays = [pa.array(getattr(columns, f.name), type=f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _scopes_table(scopes: list[ScopeRecord]) -> pa.Table:
    arrays = [pa.array([getattr(s, f.name) for s in scopes], type=f.type) for f in SCOPE_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=SCOPE_SCHEMA)


def concat(tables: list[pa.Table | None]) -> pa.Table | None:
    present = [t for t in tables if t is not None]
    return pa.concat_tables(present) if present else None


def span_keys(spans: pa.Table) -> Iterable[Hashable]:
    """What makes a span one: its project, trace id and span id."""
    return zip(
        spans.column("project").to_pylist(),
        spans.column("trace_id").to_pylist(),
        spans.column("span_id").to_pylist(),
        strict=True,
    )


def stored_counts(
    group: list[StagedBatch],
    new_spans: Collection[Hashable] | None,
    new_logs: Collection[Hashable] | None,
    log_keys: Callable[[StagedBatch], Iterable[Hashable]],
) -> list[StoredCount]:
    """What a commit of ``group`` stored of each request: ``new_spans`` / ``new_logs`` are
    the keys of the rows it stored (``span_keys``, ``log_keys`` of a request), None when it stored every
    staged row of that kind (then each request counts its own, and no key is looked at). A
    row sent in two requests of the group counts for the first."""
    counted: set[Hashable] = set()

    def count(rows: pa.Table | None, new: Collection[Hashable] | None, keys: Iterable[Hashable]) -> int:
        if rows is None:
            return 0
        if new is None:
            return int(rows.num_rows)
        found = 0
        for key in keys:
            if key in new and key not in counted:
                counted.add(key)
                found += 1
        return found

    return [
        StoredCount(
            count(g.spans, new_spans, span_keys(g.spans) if new_spans is not None and g.spans is not None else ()),
            count(g.logs, new_logs, log_keys(g) if new_logs is not None and g.logs is not None else ()),
        )
        for g in group
    ]
