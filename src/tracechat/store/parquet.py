"""Parquet export: hive-partitioned ``project=…/date=…``, each file sorted by trace id, so
DuckDB, ClickHouse, Trino or Spark read it as it is.

The store knows rows; what a ``raw`` payload means is the caller's business, passed in as
``decode_span`` / ``decode_log`` (each turns one payload into extra columns).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tracechat.errors import InvalidInput, StorageUnavailable
from tracechat.model.projects import path_component
from tracechat.store import payloads

PayloadColumns = Callable[[bytes, bytes, bytes], dict[str, Any]]
"""(raw payload, resource bytes, scope bytes) → extra columns of one exported row."""

_SPANS = """
SELECT s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind,
    make_timestamp_ns(s.start_ns) AS start_time, make_timestamp_ns(s.end_ns) AS end_time,
    (s.end_ns - s.start_ns) / 1e6 AS duration_ms, s.status_code, s.status_message, s.operation,
    s.agent_name, s.request_model, s.response_model, s.provider, s.tool_name, s.conversation_id,
    s.input_tokens, s.output_tokens, p.spans AS payloads, sc.resource, sc.scope
FROM spans s JOIN scopes sc USING (scope_id)
    JOIN payloads p ON p.batch = s.batch AND p.project = s.project AND p.trace_id = s.trace_id
WHERE s.project = $project AND make_timestamp_ns(s.start_ns)::DATE = $date
ORDER BY s.trace_id, s.start_ns, s.span_id
"""

_LOGS = """
SELECT l.trace_id, l.span_id, make_timestamp_ns(l.time_ns) AS time,
    make_timestamp_ns(l.observed_ns) AS observed_time, l.severity_number, l.severity_text,
    l.event_name, l.raw, sc.resource, sc.scope
FROM logs l JOIN scopes sc USING (scope_id)
WHERE l.project = $project AND make_timestamp_ns(greatest(l.time_ns, l.observed_ns))::DATE = $date
ORDER BY l.trace_id, l.time_ns
"""

_PARTITIONS = {
    "spans": "SELECT DISTINCT project, make_timestamp_ns(start_ns)::DATE FROM spans",
    "logs": "SELECT DISTINCT project, make_timestamp_ns(greatest(time_ns, observed_ns))::DATE FROM logs",
}


@dataclass(slots=True)
class ExportSummary:
    files: int = 0
    spans: int = 0
    log_records: int = 0


RowsWritten = Callable[[str, int], None]
"""Told (table, rows) after each chunk written: for progress."""

_COUNTS = """
SELECT (SELECT count(*) FROM spans WHERE $project IS NULL OR project = $project),
       (SELECT count(*) FROM logs WHERE $project IS NULL OR project = $project)
"""


def export_parquet(
    database: Path,
    out_dir: Path,
    *,
    decode_span: PayloadColumns,
    decode_log: PayloadColumns,
    project: str | None = None,
    rows_per_chunk: int = 20_000,
    on_rows: RowsWritten | None = None,
    on_totals: Callable[[int, int], None] | None = None,
) -> ExportSummary:
    """Export a file no process is writing (a stopped server's). ``on_totals`` is told how
    many spans and log records will be written, before any is."""
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as exc:
        raise StorageUnavailable(
            f"cannot open {database} for export ({exc}); if a server is using it, stop the server first "
            "or export through it (tracechat export --server URL)"
        ) from None
    try:
        con.execute("BEGIN TRANSACTION")
        if on_totals is not None:
            on_totals(*row_counts(con, project))
        return write_export(
            con,
            out_dir,
            decode_span=decode_span,
            decode_log=decode_log,
            project=project,
            rows_per_chunk=rows_per_chunk,
            on_rows=on_rows,
        )
    finally:
        con.close()


def row_counts(con: duckdb.DuckDBPyConnection, project: str | None) -> tuple[int, int]:
    """Spans and log records an export of ``project`` (None: every project) will write."""
    row = con.execute(_COUNTS, {"project": project}).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def write_export(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    *,
    decode_span: PayloadColumns,
    decode_log: PayloadColumns,
    project: str | None = None,
    rows_per_chunk: int = 20_000,
    on_rows: RowsWritten | None = None,
) -> ExportSummary:
    """Write every partition through ``con``. Consistent as of one moment when ``con`` is in
    one transaction (its snapshot): the caller opens and ends it."""
    summary = ExportSummary()
    for table, query, decode in (
        ("spans", _SPANS, decode_span),
        ("logs", _LOGS, decode_log),
    ):
        for part_project, day in con.execute(_PARTITIONS[table]).fetchall():
            if project is not None and part_project != project:
                continue
            target = _partition_file(out_dir, table, part_project, day)
            rows = _write_partition(
                con,
                query,
                {"project": part_project, "date": day},
                decode,
                target,
                rows_per_chunk,
                _told(on_rows, table),
            )
            summary.files += 1
            if table == "spans":
                summary.spans += rows
            else:
                summary.log_records += rows
    return summary


def _partition_file(out_dir: Path, table: str, project: str, day: date) -> Path:
    """Where one partition goes: always inside ``out_dir``, whatever name a project was
    stored under (names from before the project rule are percent-encoded)."""
    target = out_dir / table / f"project={path_component(project)}" / f"date={day.isoformat()}" / "part-0.parquet"
    if not target.resolve().is_relative_to(out_dir.resolve()):
        raise InvalidInput(f"project {project[:80]!r} would be exported outside {out_dir}")
    return target


def _told(on_rows: RowsWritten | None, table: str) -> Callable[[int], None] | None:
    if on_rows is None:
        return None
    tell = on_rows
    return lambda rows: tell(table, rows)


def _write_partition(
    con: duckdb.DuckDBPyConnection,
    query: str,
    params: dict[str, Any],
    decode: PayloadColumns,
    target: Path,
    rows_per_chunk: int,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    reader = con.sql(query, params=params).to_arrow_reader(rows_per_chunk)
    assert reader is not None
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for chunk in reader:
            table = _with_payload_columns(pa.Table.from_batches([chunk]), decode)
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema, compression="zstd")
            writer.write_table(table)
            rows += table.num_rows
            if on_chunk is not None:
                on_chunk(table.num_rows)
    finally:
        if writer is not None:
            writer.close()
    return rows


def _span_payloads(table: pa.Table) -> pa.Table:
    """The rows with their span's payload as ``raw``, out of their trace's payload row of
    the span's commit (``payloads``; the rows of a trace come together: each row is
    decompressed once)."""
    span_ids, chunks = table.column("span_id").to_pylist(), table.column("payloads").to_pylist()
    raws: list[bytes] = []
    last: bytes | None = None
    spans: dict[str, bytes] = {}
    for span_id, chunk in zip(span_ids, chunks, strict=True):
        if chunk != last:
            last, spans = chunk, {}
            for record in payloads.unpack(chunk):
                spans.setdefault(record[0], record[2])
        raws.append(spans[span_id])
    return table.drop_columns(["payloads"]).append_column("raw", pa.array(raws, pa.binary()))


def _with_payload_columns(table: pa.Table, decode: PayloadColumns) -> pa.Table:
    if "payloads" in table.column_names:
        table = _span_payloads(table)
    raws, resources, scopes = (table.column(n).to_pylist() for n in ("raw", "resource", "scope"))
    decoded = [decode(r, res, sc) for r, res, sc in zip(raws, resources, scopes, strict=True)]
    table = table.drop_columns(["raw", "resource", "scope"])
    for name in decoded[0] if decoded else ():
        table = table.append_column(name, pa.array([row[name] for row in decoded]))
    return table
