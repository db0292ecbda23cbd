"""A node's own DuckDB file for chats and agents, when spans live elsewhere (``--store
iceberg``): the chat tables of ``store.schema`` and nothing else, so nothing that reads
spans can mistake it for a span store."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import duckdb

from tracechat.errors import StoreVersionError
from tracechat.store.schema import CHAT_TABLES

LOCAL_SCHEMA_VERSION = "1"


class CursorSource(Protocol):
    """What the chat and agent records need of a store: a DuckDB cursor for this thread."""

    def cursor(self) -> duckdb.DuckDBPyConnection: ...


class LocalDatabase:
    """``CursorSource`` over one DuckDB file holding the chat tables."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._con = duckdb.connect(str(path), config={"threads": 1, "memory_limit": "256MiB"})
        self._con.execute("CREATE TABLE IF NOT EXISTS local_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
        row = self._con.execute("SELECT value FROM local_meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._con.execute(CHAT_TABLES)
            self._con.execute("INSERT INTO local_meta VALUES ('schema_version', ?)", [LOCAL_SCHEMA_VERSION])
        elif row[0] != LOCAL_SCHEMA_VERSION:
            raise StoreVersionError(f"{path} has local schema {row[0]}; this build reads {LOCAL_SCHEMA_VERSION}")
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._con.cursor()
            self._local.cursor = cursor
            with self._lock:
                self._cursors.append(cursor)
        return cursor

    def close(self) -> None:
        with self._lock:
            for cursor in self._cursors:
                cursor.close()
            self._cursors.clear()
        self._local = threading.local()
        self._con.close()
