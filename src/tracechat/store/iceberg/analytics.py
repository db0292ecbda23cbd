"""The assistant's statistics tools (``store.analytics.TraceAnalytics``) on the Iceberg store:
the same SQL, run by DuckDB over a ``spans`` view of the Parquet files pyiceberg plans and a
``traces`` relation of the shared trace index's rows. No rule is restated here.

Every question names a project and a start (``$project``, ``$since``). The trace index says
which of the project's traces have a span that ends at or after it and where the earliest of
them starts: the ``spans`` view covers the files of the days from there on, so every span a
question reads (a model call since then, and the agents and tools enclosing it, which may
have started before) is in it. A span stored twice (a race between receivers) is read once.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from tracechat.store.analytics import TraceAnalytics
from tracechat.store.iceberg import tables
from tracechat.store.iceberg.traceindex import TRACES

if TYPE_CHECKING:
    from tracechat.store.iceberg.store import IcebergStore

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
            if _reads(query, "spans"):
                self._spans(cursor, project, since)
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

    def _spans(self, cursor: duckdb.DuckDBPyConnection, project: str, since: int) -> None:
        """``spans``: the project's spans in the files of every day a trace that ends since
        then has spans in, each span once."""
        with self._iceberg.index.connection() as con:
            bounds = con.execute(
                f"SELECT min(start_ns), max(span_seq) FROM {TRACES}"
                " WHERE project = %s AND span_count > 0 AND end_ns >= %s",
                [project, since],
            ).fetchone()
        start, seq = bounds if bounds is not None else (None, None)
        source = "planned"
        if start is None:
            cursor.register(source, tables.SPAN_ARROW.empty_table())
        else:
            files = self._iceberg.span_files(project, int(start), int(seq or 0))
            if isinstance(files, pa.Table):
                cursor.register(source, files)
            elif files:
                source = f"read_parquet([{', '.join(_literal(f) for f in files)}])"
            else:
                cursor.register(source, tables.SPAN_ARROW.empty_table())
        columns = ", ".join(_SPAN_COLUMNS)
        cursor.execute(
            f"CREATE TEMP VIEW spans AS SELECT {columns} FROM {source} WHERE project = {_literal(project)}"
            " QUALIFY row_number() OVER (PARTITION BY trace_id, span_id ORDER BY batch) = 1"
        )


def _reads(query: str, relation: str) -> bool:
    return re.search(rf"\b(FROM|JOIN)\s+{relation}\b", query) is not None
