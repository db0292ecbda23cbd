"""The assistant's statistics tools (``store.analytics.TraceAnalytics``) on the Iceberg store:
the same SQL, run by DuckDB over a ``spans`` view of Parquet files and a ``traces`` relation
of the shared trace index's rows. No rule is restated here.

Every question names a project and a start (``$project``, ``$since``). The trace index says
which of the project's traces have a span that ends at or after it, and each row lists the
data files that hold its spans: the ``spans`` view covers the union of those files (each
once), so every span a question reads (a model call since then, and the agents and tools
enclosing it, which may have started before) is in it, and nothing is planned, whatever the
manifests. Rows without lists (indexed before the index kept them, until ``maintain`` lists
them) are read as a trace read reads them (``store.span_sources``): the project's files of
the days from the earliest of them on are planned with pyiceberg. A listed file gone
(maintenance replaced it past its grace period) makes the question plan every row, on fresh
metadata. A span stored twice (a race between receivers) is read once.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from tracechat.store.analytics import TraceAnalytics
from tracechat.store.iceberg import tables
from tracechat.store.iceberg.store import SpanSources, span_sources
from tracechat.store.iceberg.traceindex import TRACES

if TYPE_CHECKING:
    from tracechat.store.iceberg.store import IcebergStore

log = logging.getLogger(__name__)

_SPAN_COLUMNS = [f.name for f in tables.SPAN_ARROW if f.name not in ("raw", "resource", "scope", "kind", "start_time")]
_ROOT = pa.struct(
    [("has_parent", pa.bool_()), ("start_ns", pa.int64()), ("name", pa.string()), ("span_id", pa.string()),
     ("end_ns", pa.int64())]
)  # fmt: skip
_TRACES = pa.schema(
    [
        ("project", pa.string()),
        ("trace_id", pa.string()),
        ("start_ns", pa.int64()),
        ("end_ns", pa.int64()),
        ("span_count", pa.int64()),
        ("root", _ROOT),
        ("has_error", pa.bool_()),
        ("agents", pa.list_(pa.string())),
        ("models", pa.list_(pa.string())),
    ]
)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class IcebergAnalytics(TraceAnalytics):
    """``TraceAnalytics`` whose statements run over a cursor with those two relations."""

    def __init__(self, store: IcebergStore) -> None:
        self._iceberg = store

    def _rows(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        project: str = params["project"]
        since: int = params["since"]
        cursor = self._iceberg.scan_cursor()
        try:
            if _reads(query, "traces"):
                self._traces(cursor, project, since)
            if not _reads(query, "spans"):
                result = cursor.execute(query, params)
            else:
                try:
                    self._spans(cursor, project, since)
                    result = cursor.execute(query, params)
                except (OSError, duckdb.IOException) as exc:  # a listed file gone: maintenance replaced it
                    log.info("a listed span file could not be read (%s): planning instead", exc)
                    self._spans(cursor, project, since, plan=True, fresh=True)
                    result = cursor.execute(query, params)
            names = [d[0] for d in result.description or ()]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        finally:
            cursor.close()

    def _traces(self, cursor: duckdb.DuckDBPyConnection, project: str, since: int) -> None:
        """``traces``: the index rows of the project's traces started since then."""
        with self._iceberg.index.connection() as con:
            found = con.execute(
                f"SELECT project, trace_id, start_ns, end_ns, span_count, root_has_parent, root_start_ns, root_name,"
                f" root_span_id, root_end_ns, has_error, agents, models FROM {TRACES}"
                " WHERE project = %s AND start_ns >= %s",
                [project, since],
            ).fetchall()
        traces = pa.Table.from_pylist(
            [
                {
                    "project": row[0],
                    "trace_id": row[1],
                    "start_ns": row[2],
                    "end_ns": row[3],
                    "span_count": row[4],
                    "root": None if row[5] is None else dict(zip(_ROOT.names, row[5:10], strict=True)),
                    "has_error": row[10],
                    "agents": row[11],
                    "models": row[12],
                }
                for row in found
            ],
            schema=_TRACES,
        )
        cursor.register("index_rows", traces)
        cursor.execute("CREATE TEMP VIEW traces AS SELECT * FROM index_rows")

    def _spans(
        self, cursor: duckdb.DuckDBPyConnection, project: str, since: int, *, plan: bool = False, fresh: bool = False
    ) -> None:
        """``spans``: the project's spans in the files of every trace that ends since then,
        each span once. The files are those the traces' index rows list, and planned for rows
        without lists (``store.span_sources``, the rule of a trace's read). ``plan``: every
        row planned (what a listed file gone falls back to, and a benchmark's baseline);
        ``fresh``: on metadata loaded now."""
        rows = self._iceberg.index.active_rows(project, since)
        sources = span_sources(rows) if not plan else SpanSources((), tuple(rows))
        parts: list[str] = []
        files: list[str] = []
        if sources.listed:
            listed = self._iceberg.listed_span_files(sources.listed, _SPAN_COLUMNS)
            if isinstance(listed, pa.Table):
                cursor.register("listed", listed)
                parts.append("SELECT * FROM listed")
            else:
                files.extend(listed)
        if sources.unlisted:
            start = min(row.start_ns or 0 for row in sources.unlisted)
            seq = max(row.span_seq for row in sources.unlisted)
            planned = self._iceberg.span_files(project, start, seq, fresh=fresh)
            if isinstance(planned, pa.Table):
                cursor.register("planned", planned)
                parts.append("SELECT * FROM planned")
            else:
                files.extend(planned)
        if files:
            parts.append(f"SELECT * FROM read_parquet([{', '.join(_literal(f) for f in dict.fromkeys(files))}])")
        if not parts:
            cursor.register("nothing", tables.SPAN_ARROW.empty_table())
            parts.append("SELECT * FROM nothing")
        columns = ", ".join(_SPAN_COLUMNS)
        source = " UNION ALL ".join(f"SELECT {columns} FROM ({part})" for part in parts)
        cursor.execute(
            f"CREATE OR REPLACE TEMP VIEW spans AS SELECT {columns} FROM ({source}) WHERE project = {_literal(project)}"
            " QUALIFY row_number() OVER (PARTITION BY trace_id, span_id ORDER BY batch) = 1"
        )


def _reads(query: str, relation: str) -> bool:
    return re.search(rf"\b(FROM|JOIN)\s+{relation}\b", query) is not None
