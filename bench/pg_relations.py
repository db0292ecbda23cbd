"""What the Iceberg store's PostgreSQL database holds, per relation: each table's heap, TOAST
and indexes (``pg_relation_size`` of each), its live and dead tuples, and bytes per span.

    .venv/bin/python bench/pg_relations.py --data-dir DIR [--vacuum]

DIR is a store kept by ``bench/iceberg_trajectory.py`` (its PostgreSQL cluster is started and
stopped here). ``--vacuum``: after the first table, ``VACUUM`` every table and show it again
(what is dead space, not data). Statistics are brought up to date (``ANALYZE``) first, so the
tuple counts are the table's and not a stale estimate.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.iceberg_trajectory import kept_catalog

_RELATIONS = """
SELECT c.relname, c.oid, c.reltoastrelid,
    pg_relation_size(c.oid) AS heap,
    coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) AS toast,
    pg_indexes_size(c.oid) AS indexes,
    pg_total_relation_size(c.oid) AS total,
    s.n_live_tup, s.n_dead_tup
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE n.nspname = 'public' AND c.relkind = 'r'
ORDER BY pg_total_relation_size(c.oid) DESC
"""

_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_relation_size(i.indexrelid), coalesce(s.idx_scan, 0)
FROM pg_index i LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid
WHERE i.indrelid = %s ORDER BY 2 DESC
"""


def relations(con: psycopg.Connection[tuple[Any, ...]], spans: int) -> dict[str, Any]:
    """Each table of the database with its parts, largest first, and the database's size."""
    con.execute("ANALYZE")
    tables = []
    for name, oid, _, heap, toast, indexes, total, live, dead in con.execute(_RELATIONS).fetchall():
        index_rows = con.execute(_INDEXES, [oid]).fetchall()
        tables.append(
            {
                "table": name,
                "live": live,
                "dead": dead,
                "heap": heap,
                "toast": toast,
                "indexes": {index: {"bytes": size, "scans": scans} for index, size, scans in index_rows},
                "indexes_total": indexes,
                "total": total,
                "per_span": round(total / spans, 1) if spans else None,
            }
        )
    found = con.execute("SELECT pg_database_size(current_database())").fetchone()
    database = int(found[0]) if found else 0
    return {
        "spans": spans,
        "database": database,
        "database_per_span": round(database / spans, 1) if spans else None,
        "tables_total": sum(t["total"] for t in tables),
        "tables": tables,
    }


def markdown(found: dict[str, Any]) -> str:
    lines = [
        "| relation | live / dead rows | heap | TOAST | indexes | total | B/span |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in found["tables"]:
        if t["total"] < 64 << 10 and not t["live"]:
            continue
        indexes = ", ".join(f"{name} {size['bytes'] >> 10} KiB" for name, size in t["indexes"].items())
        lines.append(
            f"| {t['table']} | {t['live']:,} / {t['dead']:,} | {t['heap'] >> 10} KiB | {t['toast'] >> 10} KiB"
            f" | {indexes} | {t['total'] >> 10} KiB | {t['per_span']} |"
        )
    database = f"{found['database'] >> 10} KiB | {found['database_per_span']}"
    lines.append(f"| database ({found['spans']:,} spans) | | | | | {database} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--vacuum", action="store_true")
    args = parser.parse_args()
    with kept_catalog(args.data_dir) as (_, dsn, _), psycopg.connect(dsn, autocommit=True) as con:
        found = con.execute("SELECT coalesce(sum(span_count), 0) FROM tracechat_traces").fetchone()
        spans = int(found[0]) if found else 0
        report = {"before": relations(con, spans)}
        print(markdown(report["before"]), flush=True)
        if args.vacuum:
            con.execute("VACUUM")
            report["after_vacuum"] = relations(con, spans)
            print(markdown(report["after_vacuum"]), flush=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
