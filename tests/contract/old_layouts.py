"""Files as an older tracechat left them, made from a file of this build: the tests of the
migrations start from these."""

from __future__ import annotations

import duckdb

from tracechat.store import payloads
from tracechat.store.schema import SPANS_V5


def as_schema_5(con: duckdb.DuckDBPyConnection) -> None:
    """Give the file schema 5's layout: each span's payload back in ``spans.raw`` (from its
    ``payloads`` row, dropped after), the columns in schema 5's order and codecs, and the
    version 5."""
    raws = {
        (project, trace_id, span_id): raw
        for project, trace_id, chunk in con.execute("SELECT project, trace_id, spans FROM payloads").fetchall()
        for span_id, _, raw in reversed(payloads.unpack(chunk))  # the first record of a span wins
    }
    con.execute("ALTER TABLE spans RENAME TO spans_v6")
    con.execute(SPANS_V5)
    rows = con.execute("SELECT * FROM spans_v6 ORDER BY batch").fetchall()
    names = [d[0] for d in con.description or []]
    for row in rows:
        values = dict(zip(names, row, strict=True))
        values["raw"] = raws[values["project"], values["trace_id"], values["span_id"]]
        columns = ", ".join(values)
        con.execute(f"INSERT INTO spans ({columns}) VALUES ({', '.join('?' * len(values))})", list(values.values()))
    con.execute("DROP TABLE spans_v6")
    con.execute("DROP TABLE payloads")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
