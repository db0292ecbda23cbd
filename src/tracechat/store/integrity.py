"""Whether the DuckDB file can be trusted, and what to say when it cannot.

- At open: a file shorter than its own block count says has lost its tail; nothing read
  from it can be trusted, so the store refuses to open (``StoreCorrupted``).
- After open, in the background: every column of every table is read once, which verifies
  each block's checksum; a damaged block marks the store corrupt (writes refused, /healthz
  and /metrics say why). A read or commit that meets one does the same.
- Across restarts: the number of the last commit that stored rows is kept beside the file
  (``CommitLedger``). If the WAL replay ends before it, acknowledged commits were lost (a
  WAL cut short or damaged): DuckDB replays what it can without a word, so we say it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import duckdb

from tracechat.errors import StoreCorrupted

log = logging.getLogger("tracechat.store")

HEADER_BYTES = 3 * 4096
"""DuckDB's file header and its two database headers, before the first block."""
_CORRUPTION = ("corrupt database file", "could not read enough bytes", "checksum")


def corruption_of(error: BaseException) -> str | None:
    """What an error from DuckDB says about a damaged file, or None if it says nothing."""
    text = str(error)
    return text.splitlines()[0][:300] if any(mark in text.lower() for mark in _CORRUPTION) else None


def invalidated(error: BaseException) -> bool:
    """Whether DuckDB gave up on the database after a fatal error (it must be reopened)."""
    return isinstance(error, duckdb.FatalException) or "invalidated" in str(error)


def check_file_size(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """``StoreCorrupted`` when the file is shorter than the blocks DuckDB says are in use.

    Not ``total_blocks``: that counts free blocks too, and DuckDB truncates free blocks off
    the end of the file at a checkpoint while still counting them (a healthy 210k-span
    store was refused on restart: 221 blocks counted, 213 in the file, 148 in use). The
    highest used block's id is at least ``used_blocks - 1``, so a file shorter than the
    used blocks has certainly lost its tail."""
    row = con.execute("SELECT block_size, used_blocks FROM pragma_database_size()").fetchone()
    if row is None:
        return
    expected = HEADER_BYTES + int(row[0]) * int(row[1])
    actual = path.stat().st_size
    if actual < expected:
        raise StoreCorrupted(
            f"{path} is {actual} bytes but its blocks need {expected}: the end of the file is missing "
            "(a copy cut short, or a damaged disk). Restore it from a backup; 'tracechat export' may "
            "still read what is left."
        )


def scan_everything(cursor: duckdb.DuckDBPyConnection) -> int:
    """Read every column of every table (each block's checksum is verified as it is read);
    raises DuckDB's error at the first damaged block. Returns the tables read.

    The query itself holds little (one aggregate a table); the memory it costs is DuckDB's
    block cache, which keeps every block read until the store's memory limit makes it evict:
    the limit is the bound, and reading in smaller pieces would not lower it."""
    tables = [row[0] for row in cursor.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    for table in tables:
        cursor.execute(f'SELECT bit_xor(hash(COLUMNS(*))) FROM "{table}"').fetchall()
    return len(tables)


class Verifier:
    """``scan_everything`` on a thread of its own, once, right after the store opens."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, path: Path, on_damage: Callable[[str], None]) -> None:
        self._cursor = cursor
        self._path = path
        self._on_damage = on_damage
        self._stopping = False
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tracechat-verify", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            tables = scan_everything(self._cursor)
            log.info("verified every block of %s (%d tables)", self._path, tables)
        except duckdb.Error as exc:
            damage = corruption_of(exc)
            if damage is not None:
                self._on_damage(damage)
            elif not self._stopping:
                log.warning("could not verify %s: %s", self._path, exc)
        finally:
            self.done.set()

    def stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(duckdb.Error):
            self._cursor.interrupt()
        self._thread.join(30)
        with contextlib.suppress(duckdb.Error):
            self._cursor.close()


class CommitLedger:
    """The number of the last commit that stored rows, in a file beside the database,
    overwritten in place after each such commit (no fsync: it guards against a WAL cut
    short by damage, not against the machine losing power)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.recorded = _read_number(path)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def record(self, batch: int) -> None:
        os.pwrite(self._fd, f"{batch:020d}\n".encode(), 0)

    def check_replay(self, last_batch: int, wal_bytes: int | None) -> None:
        """Log what a replay dropped: commits acknowledged before the stop that the file
        does not hold now."""
        if wal_bytes is not None:
            log.warning("replayed a write-ahead log of %d bytes left by an unclean stop", wal_bytes)
        if self.recorded is not None and last_batch < self.recorded:
            log.error(
                "ACKNOWLEDGED COMMITS LOST: the last commit stored before the stop was number %d, but the store "
                "holds commits up to %d only (%d commits missing): the write-ahead log was cut short or damaged, "
                "and DuckDB replayed what it could",
                self.recorded,
                last_batch,
                self.recorded - last_batch,
            )

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


def _read_number(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None
