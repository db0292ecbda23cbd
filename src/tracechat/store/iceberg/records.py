"""Chats, their messages and agents in the catalog's PostgreSQL, shared by every node.

``store.conversations`` writes its statements in the SQL DuckDB and PostgreSQL share; this
module gives it a cursor that takes them as written: ``$name`` parameters become psycopg's
``%(name)s`` (``?`` becomes ``%s``), and the one function spelled apart, DuckDB's
``list_append``, becomes ``array_append``. The tables are the DuckDB file's
(``store.schema.CHAT_TABLES``), column for column, in PostgreSQL's types.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import psycopg

from tracechat.store.iceberg.outage import catalog_reachable

DDL = """
CREATE SEQUENCE IF NOT EXISTS chat_message_ids START 1;
CREATE TABLE IF NOT EXISTS chats (
    id text PRIMARY KEY,
    project text NOT NULL,
    user_id text NOT NULL,
    agent_id text NOT NULL,
    title text NOT NULL,
    trace_ids text[] NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    deleted_at timestamp,
    external_id text,
    message_count bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS chats_by_project ON chats (project, updated_at);
CREATE TABLE IF NOT EXISTS agents (
    id text PRIMARY KEY,
    project text NOT NULL,
    name text NOT NULL,
    system_prompt text,
    model text,
    allowed_tools text[],
    created_at timestamp NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_messages (
    id bigint PRIMARY KEY DEFAULT nextval('chat_message_ids'),
    chat_id text NOT NULL,
    role text NOT NULL,
    content text,
    tool_calls text,
    tool_call_id text,
    metadata text,
    created_at timestamp NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_messages_by_chat ON chat_messages (chat_id, id);
"""
_NAMED = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def postgres_statement(query: str, positional: bool) -> str:
    """``query`` (DuckDB's spelling) as psycopg takes it."""
    query = query.replace("%", "%%").replace("list_append(", "array_append(")
    return query.replace("?", "%s") if positional else _NAMED.sub(r"%(\1)s", query)


class PostgresCursor:
    """A cursor of one connection that takes ``store.conversations``' statements."""

    def __init__(self, connection: psycopg.Connection[tuple[Any, ...]]) -> None:
        self._cursor = connection.cursor()

    def execute(self, query: str, parameters: Any = None) -> PostgresCursor:
        positional = isinstance(parameters, list | tuple)
        with catalog_reachable():  # the broken connection is replaced at the thread's next call
            self._cursor.execute(postgres_statement(query, positional), parameters)
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cursor.fetchall()


class PostgresRecords:
    """``store.cursors.CursorSource`` over PostgreSQL: a connection per thread (autocommit;
    the records open their own transactions with ``BEGIN``)."""

    def __init__(self, catalog_uri: str) -> None:
        from tracechat.store.iceberg import pgschema
        from tracechat.store.iceberg.store import libpq_uri

        self._uri = libpq_uri(catalog_uri)
        self._local = threading.local()
        self._connections: list[psycopg.Connection[tuple[Any, ...]]] = []
        self._lock = threading.Lock()
        with psycopg.connect(self._uri, autocommit=True) as con:
            pgschema.migrate(con)

    def cursor(self) -> PostgresCursor:
        connection: psycopg.Connection[tuple[Any, ...]] | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.broken:
            with catalog_reachable():
                connection = psycopg.connect(self._uri, autocommit=True, connect_timeout=5)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return PostgresCursor(connection)

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
