"""A process killed during the very first start of a store (while the schema is being made)
leaves a file the next start opens: the schema is created in one transaction."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tracechat.store.duck import DuckDBStore
from tracechat.store.schema import SCHEMA_VERSION

# A real process, SIGKILLed by itself just before its n-th statement on the new file.
_KILL_BEFORE_STATEMENT = """
import os, signal, sys
import duckdb
from tracechat.store.schema import ensure_schema

class KilledBefore:
    def __init__(self, con, n):
        self.con, self.n, self.count = con, n, 0
    def execute(self, *args):
        self.count += 1
        if self.count == self.n:
            os.kill(os.getpid(), signal.SIGKILL)
        return self.con.execute(*args)

con = duckdb.connect(sys.argv[1])
ensure_schema(KilledBefore(con, int(sys.argv[2])))
print("finished")
"""

STATEMENTS = 7
"""Statements of a first start: the version probe, BEGIN, three DDL scripts (spans, sessions, chats), the version, COMMIT."""


def _first_start_killed_at(path: Path, statement: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _KILL_BEFORE_STATEMENT, str(path), str(statement)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("statement", range(2, STATEMENTS + 1))
def test_a_kill_during_the_first_start_leaves_a_store_that_starts(tmp_path: Path, statement: int) -> None:
    path = tmp_path / "tracechat.duckdb"
    killed = _first_start_killed_at(path, statement)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    store = DuckDBStore(path)
    try:
        version = store.cursor().execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert version == (str(SCHEMA_VERSION),)
        tables = {row[0] for row in store.cursor().execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert {"spans", "logs", "traces", "chats", "chat_messages", "feedback", "agents"} <= tables
    finally:
        store.close()


def test_the_statement_count_is_what_a_first_start_runs(tmp_path: Path) -> None:
    """Past the last statement the child finishes: the kills above cover every gap."""
    path = tmp_path / "tracechat.duckdb"
    finished = _first_start_killed_at(path, STATEMENTS + 1)
    assert finished.returncode == 0, finished.stderr
    assert "finished" in finished.stdout
    with duckdb.connect(str(path)) as con:
        assert con.execute("SELECT value FROM meta").fetchone() == (str(SCHEMA_VERSION),)
