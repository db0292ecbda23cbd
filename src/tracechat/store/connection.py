"""The store's DuckDB connection: a cursor per reader thread, and what is done when DuckDB
reports damage or gives up on the database.

- Damage (a checksum that does not match, a block past the end of the file) marks the
  connection ``problem``: the store then takes no more writes, and /healthz says why.
- An invalidated database (DuckDB's answer to a failed checkpoint or WAL write: every
  statement after fails) is reopened: what was committed comes back from the file and its
  WAL. Each thread's cursor on the old connection is dropped and made anew on its next use.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import duckdb

from tracechat.errors import StorageUnavailable, StoreCorrupted
from tracechat.store.integrity import corruption_of, invalidated

log = logging.getLogger("tracechat.store")

Config = dict[str, str | bool | int | float | list[str]]


class StoreConnection:
    def __init__(self, path: Path, config: Config, on_reopen: Callable[[], None] = lambda: None) -> None:
        self.path = path
        self._config = config
        self._on_reopen = on_reopen
        self.con = duckdb.connect(str(path), config=config)
        self.generation = 0
        """How many times the database was reopened: a cursor of an older one is stale."""
        self.lock = threading.RLock()
        """Held by the writer around a commit and by a reopen, so neither sees half the other."""
        self.problem: str | None = None
        """Why nothing more is written (a damaged file), or None."""
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the current connection."""
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None or getattr(self._local, "generation", None) != self.generation:
            cursor = self.con.cursor()
            self._local.cursor = cursor
            self._local.generation = self.generation
            with self._cursors_lock:
                self._cursors.append(cursor)
        return cursor

    def current_cursor(self) -> duckdb.DuckDBPyConnection | None:
        """The cursor this thread made last, if any (not made anew)."""
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        return cursor

    def mark_corrupt(self, damage: str) -> None:
        if self.problem is None:
            self.problem = damage
            log.error(
                "THE STORE IS DAMAGED (%s): %s; no more writes are taken. Restore the file from a backup, or "
                "export what still reads ('tracechat export') into a new store.",
                self.path,
                damage,
            )

    def failed(self, error: duckdb.Error, generation: int) -> Exception:
        """The error to raise for what DuckDB raised during work begun at ``generation``,
        after acting on it; ``error`` itself when it says nothing about the file."""
        damage = corruption_of(error)
        if damage is not None:
            self.mark_corrupt(damage)
            return StoreCorrupted(f"the store is damaged: {damage}")
        if invalidated(error):
            self.reopen(generation)
            return StorageUnavailable(
                "the database was invalidated by a fatal error and has been reopened; retry", retry_after=1.0
            )
        return error

    def reopen(self, generation: int) -> None:
        with self.lock:
            if generation != self.generation:
                return  # another thread reopened it already
            log.error("DuckDB invalidated %s after a fatal error; reopening it", self.path)
            self._close_cursors()
            with contextlib.suppress(duckdb.Error):
                self.con.close()
            self.con = duckdb.connect(str(self.path), config=self._config)
            self.generation += 1
            self._on_reopen()
            log.warning("reopened %s", self.path)

    def close(self) -> None:
        self._close_cursors()
        self._local = threading.local()
        self.con.close()

    def _close_cursors(self) -> None:
        with self._cursors_lock:
            old = self._cursors[:]
            self._cursors.clear()
        for cursor in old:
            with contextlib.suppress(duckdb.Error):
                cursor.close()
