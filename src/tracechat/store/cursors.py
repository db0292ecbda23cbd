"""The cursors the chat, agent and statistics records take, whichever database holds them."""

from __future__ import annotations

from typing import Any, Protocol

import duckdb


class SqlCursor(Protocol):
    """The part of a DB-API cursor the chat and agent records use: ``$name`` parameters,
    as DuckDB takes them (``store.iceberg.records`` maps them for PostgreSQL)."""

    def execute(self, query: str, parameters: Any = None) -> SqlCursor: ...

    def fetchone(self) -> tuple[Any, ...] | None: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...


class CursorSource(Protocol):
    """What the chat and agent records need of a store: a cursor for this thread."""

    def cursor(self) -> SqlCursor: ...


class DuckCursorSource(Protocol):
    """What the trace statistics need: a DuckDB cursor for this thread on the spans."""

    def cursor(self) -> duckdb.DuckDBPyConnection: ...
