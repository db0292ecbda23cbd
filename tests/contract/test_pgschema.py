"""The versions of tracechat's tables in PostgreSQL (store.iceberg.pgschema): a database of the
layout before versioning is adopted and upgraded with its rows kept, nodes starting at once
migrate it once, a failed migration leaves nothing behind, and a newer schema is refused."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.postgres import PostgresServer
from tracechat.errors import StoreVersionError
from tracechat.model.summaries import TraceFilter
from tracechat.store.iceberg import fulltext, keys, pgschema, records, traceindex
from tracechat.store.iceberg.keys import PostgresKeyRing
from tracechat.store.iceberg.records import PostgresRecords
from tracechat.store.iceberg.store import IcebergStore


def _versions(dsn: str) -> list[int]:
    with psycopg.connect(dsn) as con:
        return [row[0] for row in con.execute(f"SELECT version FROM {pgschema.SCHEMA_TABLE} ORDER BY version")]


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as con:
        rows = con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def test_a_new_database_gets_every_migration_in_order(postgres: PostgresServer) -> None:
    dsn = postgres.create_database()
    with psycopg.connect(dsn, autocommit=True) as con:
        assert pgschema.migrate(con) == pgschema.LATEST
        assert pgschema.migrate(con) == pgschema.LATEST  # the next start finds nothing to do
    assert _versions(dsn) == [m.version for m in pgschema.MIGRATIONS] == list(range(1, pgschema.LATEST + 1))
    assert {traceindex.TRACES, traceindex.SESSIONS, keys.KEYS, "chats", fulltext.TEXTS} <= _tables(dsn)


def test_the_layout_before_versioning_is_upgraded_with_its_rows(postgres: PostgresServer, tmp_path: Path) -> None:
    dsn = postgres.create_database()
    with psycopg.connect(dsn, autocommit=True) as con:  # what a node of the release before wrote
        for statement in (traceindex.DDL, keys.DDL, records.DDL):
            con.execute(statement)
        con.execute(
            f"INSERT INTO {traceindex.TRACES} (project, trace_id, span_count, start_ns) VALUES ('p', 't', 1, 5)"
        )
        con.execute(f"INSERT INTO {keys.KEYS} VALUES ('k1', 'p', false, 'abc', 1.0)")
    assert pgschema.SCHEMA_TABLE not in _tables(dsn)
    store = IcebergStore(dsn, (tmp_path / "warehouse").as_uri())
    try:
        assert _versions(dsn) == list(range(1, pgschema.LATEST + 1))
        assert fulltext.TEXTS in _tables(dsn)
        rows, total = store.list_traces("p", TraceFilter(), 10, 0)
        assert (total, rows[0][0]) == (1, "t")
        assert store.list_traces("p", TraceFilter(text="anything"), 10, 0)[1] == 0  # the text index answers
    finally:
        store.close()
    with psycopg.connect(dsn) as con:
        assert con.execute(f"SELECT key_id FROM {keys.KEYS}").fetchall() == [("k1",)]


def test_nodes_starting_at_once_migrate_once(postgres: PostgresServer) -> None:
    """Two connections run a slow migration at the same moment: the advisory lock makes the
    second wait and then find it applied (without it, both create the table and one fails)."""
    dsn = postgres.create_database()
    slow = (
        pgschema.Migration(1, "slow", ("CREATE TABLE once (id int)", "SELECT pg_sleep(0.5)")),
        pgschema.Migration(2, "then", ("INSERT INTO once VALUES (1)",)),
    )
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def node() -> None:
        with psycopg.connect(dsn, autocommit=True) as con:
            start.wait()
            try:
                pgschema.migrate(con, slow)
            except BaseException as exc:
                failures.append(exc)

    threads = [threading.Thread(target=node) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _versions(dsn) == [1, 2]
    with psycopg.connect(dsn) as con:
        assert con.execute("SELECT count(*) FROM once").fetchone() == (1,)


def test_stores_opened_at_once_on_a_new_database(postgres: PostgresServer, tmp_path: Path) -> None:
    dsn = postgres.create_database()
    warehouse = (tmp_path / "warehouse").as_uri()
    start = threading.Barrier(3)
    opened: list[Any] = []
    failures: list[BaseException] = []

    def node(make: Any) -> None:
        start.wait()
        try:
            opened.append(make())
        except BaseException as exc:
            failures.append(exc)

    makers = [lambda: IcebergStore(dsn, warehouse), lambda: PostgresRecords(dsn), lambda: PostgresKeyRing(dsn)]
    threads = [threading.Thread(target=node, args=(make,)) for make in makers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for thing in opened:
        if hasattr(thing, "close"):
            thing.close()
    assert failures == []
    assert _versions(dsn) == list(range(1, pgschema.LATEST + 1))


def test_a_failed_migration_leaves_the_database_as_it_was(postgres: PostgresServer) -> None:
    dsn = postgres.create_database()
    broken = (
        pgschema.Migration(1, "fine", ("CREATE TABLE kept_only_with_two (id int)",)),
        pgschema.Migration(2, "broken", ("SELECT no_such_function()",)),
    )
    with psycopg.connect(dsn, autocommit=True) as con, pytest.raises(psycopg.errors.UndefinedFunction):
        pgschema.migrate(con, broken)
    assert "kept_only_with_two" not in _tables(dsn)
    with psycopg.connect(dsn) as con:
        assert pgschema.current_version(con) == 0


def test_a_newer_schema_is_refused_by_every_opener(postgres: PostgresServer, tmp_path: Path) -> None:
    dsn = postgres.create_database()
    with psycopg.connect(dsn, autocommit=True) as con:
        pgschema.migrate(con)
        con.execute(
            f"INSERT INTO {pgschema.SCHEMA_TABLE} (version, description) VALUES (%s, 'from a newer release')",
            [pgschema.LATEST + 1],
        )
    for opener in (
        lambda: IcebergStore(dsn, (tmp_path / "warehouse").as_uri()),
        lambda: PostgresRecords(dsn),
        lambda: PostgresKeyRing(dsn),
    ):
        with pytest.raises(StoreVersionError, match=f"schema version {pgschema.LATEST + 1}, newer than"):
            opener()
