"""The schema on a real DuckDB file, without the store around it: a new file is made whole,
an older one is brought forward one committed step at a time, a step that fails half-way is
rolled back (the file stays as it was before that step, usable on the same connection), and
progress is reported while a statement runs."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pytest

from tests.contract.old_layouts import as_schema_5
from tracechat.errors import StoreVersionError
from tracechat.migration import MigrationStatus
from tracechat.store import payloads, schema
from tracechat.store.schema import SCHEMA_VERSION, ensure_schema, watching

LOGGER = "tracechat.store.schema"
TABLES = {
    "meta",
    "scopes",
    "spans",
    "payloads",
    "logs",
    "traces",
    "sessions",
    "chats",
    "agents",
    "chat_messages",
    "feedback",
}


class RecordedStatus(MigrationStatus):
    """The real status, also keeping every call the migration made on it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, float]] = []

    def begin(self, steps: int) -> None:
        self.calls.append(("begin", steps))
        super().begin(steps)

    def at_step(self, index: int) -> None:
        self.calls.append(("at_step", index))
        super().at_step(index)

    def within_step(self, fraction: float) -> None:
        self.calls.append(("within_step", fraction))
        super().within_step(fraction)

    def finish(self) -> None:
        self.calls.append(("finish", 0))
        super().finish()


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _version(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert row is not None
    return str(row[0])


def _file_at(path: Path, version: int) -> duckdb.DuckDBPyConnection:
    """A file made by this build in schema 5's layout (payloads in ``spans.raw``), one span
    stored, then marked as schema ``version``."""
    con = duckdb.connect(str(path))
    ensure_schema(con)
    as_schema_5(con)
    con.execute(
        "INSERT INTO spans (batch, project, trace_id, span_id, name, kind, start_ns, end_ns, status_code,"
        " scope_id, raw) VALUES (1, 'p', 't1', 's1', 'root', 1, 10, 20, 0, 'scope', '\\x01'::BLOB)"
    )
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    return con


def _spans(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """(batch, project, trace id, span id, payload) of every span, wherever the file's
    schema keeps the payload."""
    columns = {row[0] for row in con.execute("DESCRIBE spans").fetchall()}
    if "raw" in columns:
        return con.execute("SELECT batch, project, trace_id, span_id, raw FROM spans").fetchall()
    spans = con.execute("SELECT batch, project, trace_id, span_id FROM spans").fetchall()
    raws = {
        (batch, project, trace_id, span_id): raw
        for batch, project, trace_id, chunk in con.execute(
            "SELECT batch, project, trace_id, spans FROM payloads"
        ).fetchall()
        for span_id, _, raw in payloads.unpack(chunk)
    }
    return [(*span, raws[span]) for span in spans]


def test_a_new_file_gets_every_table_at_the_current_version(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    status = RecordedStatus()
    with duckdb.connect(str(tmp_path / "new.duckdb")) as con, caplog.at_level(logging.WARNING, logger=LOGGER):
        ensure_schema(con, status)
        assert _tables(con) >= TABLES
        assert _version(con) == str(SCHEMA_VERSION)
        ensure_schema(con, status)  # at the current version: nothing to do
        assert _version(con) == str(SCHEMA_VERSION)
    assert status.calls == []  # neither made nor checked is a migration
    assert caplog.records == []


def test_an_older_file_is_brought_forward_step_by_step_telling_the_status(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with _file_at(tmp_path / "old.duckdb", 2) as con:
        status = RecordedStatus()
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            ensure_schema(con, status)
        assert _version(con) == str(SCHEMA_VERSION)
        assert _spans(con) == [(1, "p", "t1", "s1", b"\x01")]
        steps = SCHEMA_VERSION - 2
        assert [c for c in status.calls if c[0] != "within_step"] == [
            ("begin", steps),
            *(("at_step", index) for index in range(steps)),
            ("finish", 0),
        ]
        assert status.finished
        assert not status.active
        assert status.percent == 100
        assert [r.getMessage() for r in caplog.records if r.name == LOGGER] == [
            f"bringing the database from schema {step} to {step + 1} (a large store takes minutes)"
            for step in range(2, SCHEMA_VERSION)
        ]
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)


def test_a_step_failing_half_way_is_rolled_back(tmp_path: Path) -> None:
    with _file_at(tmp_path / "v2.duckdb", 2) as con:
        # schema 2 -> 3 rewrites spans and logs, then indexes chat messages: without that table
        # it fails after the rewrite, which must not stay half-done
        con.execute("DROP INDEX chat_messages_by_chat")
        con.execute("DROP TABLE chat_messages")
        before = _tables(con)
        status = RecordedStatus()
        with pytest.raises(duckdb.CatalogException, match="chat_messages"):
            ensure_schema(con, status)
        assert _tables(con) == before  # no spans_v2 left, spans as it was
        assert "spans_v2" not in _tables(con)
        assert _spans(con) == [(1, "p", "t1", "s1", b"\x01")]
        assert _version(con) == "2"
        assert not status.finished
        # the connection is usable, and once the table is back the migration goes through
        con.execute(
            "CREATE TABLE chat_messages (id BIGINT, chat_id VARCHAR, role VARCHAR, content VARCHAR,"
            " tool_calls VARCHAR, tool_call_id VARCHAR, metadata VARCHAR, created_at TIMESTAMP)"
        )
        ensure_schema(con)
        assert _version(con) == str(SCHEMA_VERSION)
        assert _spans(con) == [(1, "p", "t1", "s1", b"\x01")]


def test_the_steps_before_a_failing_one_stay_committed(tmp_path: Path) -> None:
    with _file_at(tmp_path / "v2.duckdb", 2) as con:
        # schema 3 -> 4 makes the session index from the trace index: without it, it fails
        con.execute("DROP TABLE sessions")
        con.execute("DROP TABLE traces")
        status = RecordedStatus()
        with pytest.raises(duckdb.CatalogException, match="traces"):
            ensure_schema(con, status)
        assert _version(con) == "3"  # the 2 -> 3 step is kept
        assert "sessions" not in _tables(con)  # what 3 -> 4 made before failing is not
        assert [c for c in status.calls if c[0] != "within_step"] == [
            ("begin", SCHEMA_VERSION - 2),
            ("at_step", 0),
            ("at_step", 1),
        ]
        assert "spans_v2" not in _tables(con)


def test_versions_this_build_cannot_read_are_refused_saying_why(tmp_path: Path) -> None:
    with _file_at(tmp_path / "newer.duckdb", SCHEMA_VERSION + 1) as con:
        with pytest.raises(StoreVersionError) as newer:
            ensure_schema(con)
        assert newer.value.message == (
            f"the database was written by a newer tracechat (schema {SCHEMA_VERSION + 1}; this build reads up to "
            f"{SCHEMA_VERSION}): upgrade tracechat or point --data-dir elsewhere"
        )
        con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
        status = RecordedStatus()
        with pytest.raises(StoreVersionError) as unknown:
            ensure_schema(con, status)
        assert unknown.value.message == "no migration from schema 0; export with an older tracechat first"
        assert status.calls == []
        assert _version(con) == "0"


def test_a_file_with_tables_but_no_version_is_not_ours(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "foreign.duckdb")) as con:
        con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
        with pytest.raises(StoreVersionError) as foreign:
            ensure_schema(con)
        assert foreign.value.message == (
            "the database has no schema version; it was not written by tracechat (or an older build "
            "killed during its first start: if it holds nothing, delete it)"
        )
        con.execute("CREATE SCHEMA other")
        con.execute("CREATE TABLE other.meta (key VARCHAR, value VARCHAR)")
    with duckdb.connect(str(tmp_path / "elsewhere.duckdb")) as con:
        con.execute("CREATE SCHEMA other")
        con.execute("CREATE TABLE other.meta (key VARCHAR, value VARCHAR)")  # not in main: a new file
        ensure_schema(con)
        assert _version(con) == str(SCHEMA_VERSION)


def test_progress_of_the_running_statement_reaches_the_status(tmp_path: Path) -> None:
    status = RecordedStatus()
    status.begin(1)
    with duckdb.connect(str(tmp_path / "busy.duckdb")) as con:
        with watching(con, status, every_s=0.005):
            # long statements until the poller has seen one under way (DuckDB estimates
            # progress after the statement has run a little while); bounded, not timed
            for _ in range(60):
                con.execute("SELECT sum(hash(i)) FROM range(20000000) t(i)").fetchall()
                if any(0 < f < 1 for name, f in status.calls if name == "within_step"):
                    break
        fractions = [f for name, f in status.calls if name == "within_step"]
        assert any(0 < f < 1 for f in fractions), fractions
        assert all(0 <= f <= 1 for f in fractions)  # a share, not a percentage
        assert 0 < status.percent < 100
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
        assert con.execute("SELECT current_setting('enable_progress_bar_print')").fetchone() == (True,)


def test_a_first_start_that_fails_leaves_no_tables(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "odd.duckdb")) as con:
        # a table of that name but not that shape: indexing it fails after most tables exist
        con.execute("CREATE TABLE chat_messages (x INTEGER)")
        with pytest.raises(duckdb.BinderException, match="chat_id"):
            ensure_schema(con)
        assert _tables(con) == {"chat_messages"}  # usable, and nothing half-made stays
        con.execute("DROP TABLE chat_messages")
        ensure_schema(con)
        assert _version(con) == str(SCHEMA_VERSION)


def test_a_long_migration_step_reports_progress_within_the_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ensure_schema`` watches its own steps: the share of the statement running inside a
    step reaches the status given (the poller of ``watching`` reads that status, not another)."""
    status = RecordedStatus()
    last = max(step for step in schema.MIGRATIONS if step not in schema._REPORTS_PROGRESS)  # watched
    real = schema.MIGRATIONS[last]

    def long_step(con: duckdb.DuckDBPyConnection, progress: schema.Progress) -> None:
        # statements long enough for the poller (every 0.25 s) to see one under way; bounded
        for _ in range(40):
            con.execute("SELECT sum(hash(i)) FROM range(100000000) t(i)").fetchall()
            if any(0 < f < 1 for name, f in status.calls if name == "within_step"):
                break
        real(con, progress)

    monkeypatch.setitem(schema.MIGRATIONS, last, long_step)
    with _file_at(tmp_path / "long.duckdb", last) as con:
        ensure_schema(con, status)
        assert _version(con) == str(SCHEMA_VERSION)
    fractions = [f for name, f in status.calls if name == "within_step"]
    assert any(0 < f < 1 for f in fractions), status.calls
    assert status.calls[0] == ("begin", SCHEMA_VERSION - last)
    assert status.calls[-1] == ("finish", 0)


def test_the_payload_migration_moves_spans_in_ranges_of_about_the_batch_size() -> None:
    """Schema 5 → 6 moves payloads a range of batches at a time (a batch larger than the size
    is a range of its own); after a range is given the next starts empty, at the next batch."""
    counts = [(1, 60), (2, 50), (3, 30), (4, 200), (5, 10)]
    assert list(schema._batch_ranges(counts, 100)) == [(1, 1, 60), (2, 3, 80), (4, 4, 200), (5, 5, 10)]
