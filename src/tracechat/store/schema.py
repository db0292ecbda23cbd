"""Tables of the DuckDB file, its schema version, and how an older file is brought forward.

Layout (see docs/storage.md for the reasoning):

- ``spans``: one row per span. Hot fields are columns. ``batch`` is the number of the commit
  that stored the row: rows are appended in batch order, so a batch range prunes a scan to
  a few row groups by their min/max statistics.
- ``payloads``: everything the client sent about each span (attributes, events, links,
  status, flags, trace state), losslessly as the span's own protobuf encoding, one row per
  commit and trace, compressed by us (``store/payloads.py``; schema 6, before it
  ``spans.raw``). Appended in batch order too.
- ``logs``: OTLP log records, linked to spans by ``trace_id``/``span_id``.
- ``scopes``: each distinct resource + instrumentation scope, stored once.
- ``chats`` / ``chat_messages``: the assistant's conversations (a chat and a conversation
  are one row) and their messages, with integer ids; deleting a chat only marks it.
- ``feedback``: feedback people and programs attached to a trace or a span through the API.
- ``traces``: the trace index, updated in the same commit as the spans: list views read only
  this table, and ``first_batch``/``last_batch`` locate a trace's rows without an index.
- ``sessions``: the session index (traces tied by a conversation id), updated in the same
  commit as the spans (``store/sessions.py``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator

import duckdb

from tracechat.errors import StoreVersionError
from tracechat.migration import MigrationStatus
from tracechat.store import payloads, sessions

log = logging.getLogger(__name__)

SCHEMA_VERSION = 6

_TEXT = "VARCHAR USING COMPRESSION dict_fsst"
"""Short, repetitive text (ids, names, models): dictionary + FSST. The database's default
(zstd, right for the ``raw`` histories) must decompress a whole vector of a column to read
one trace's rows from it; with these columns dictionary-coded, reading a 50-span trace takes
2.2 ms instead of 3.9 and the columns are smaller too (docs/benchmarks.md)."""

_SPAN_COLUMNS = f"""
    batch BIGINT NOT NULL,
    project {_TEXT} NOT NULL,
    trace_id {_TEXT} NOT NULL,
    span_id {_TEXT} NOT NULL,
    parent_span_id {_TEXT},
    name {_TEXT} NOT NULL,
    kind UTINYINT NOT NULL,
    start_ns BIGINT NOT NULL,
    end_ns BIGINT NOT NULL,
    status_code UTINYINT NOT NULL,
    status_message {_TEXT},
    operation {_TEXT},
    agent_name {_TEXT},
    request_model {_TEXT},
    response_model {_TEXT},
    provider {_TEXT},
    tool_name {_TEXT},
    conversation_id {_TEXT},
    input_tokens BIGINT,
    output_tokens BIGINT,
    cost DOUBLE,
    scope_id {_TEXT} NOT NULL,
"""
"""The columns of `spans` every schema has, in their order."""

SPANS_V5 = f"""
CREATE TABLE IF NOT EXISTS spans (
{_SPAN_COLUMNS}    raw BLOB NOT NULL,
    response_id {_TEXT}  -- last, where schema 5 adds it to an older file
);
"""
"""`spans` up to schema 5: the payload in ``raw``. The steps before 6 rewrite it this way."""

SPANS = f"""
CREATE TABLE IF NOT EXISTS spans (
{_SPAN_COLUMNS}    response_id {_TEXT}  -- last, where schema 5 added it to an older file
);
"""

PAYLOADS = f"""
CREATE TABLE IF NOT EXISTS payloads (
    batch BIGINT NOT NULL,
    project {_TEXT} NOT NULL,
    trace_id {_TEXT} NOT NULL,
    spans BLOB USING COMPRESSION uncompressed NOT NULL
);
"""
"""The spans' payloads, one row per trace and commit: their records zstd-compressed by us
(``store/payloads.py``), so DuckDB stores them as they are and a read decompresses its own
trace's bytes only (schema 6; before it, ``spans.raw``)."""

LOGS = f"""
CREATE TABLE IF NOT EXISTS logs (
    batch BIGINT NOT NULL,
    project {_TEXT} NOT NULL,
    trace_id {_TEXT},
    span_id {_TEXT},
    time_ns BIGINT NOT NULL,
    observed_ns BIGINT NOT NULL,
    severity_number INTEGER NOT NULL,
    severity_text {_TEXT},
    event_name {_TEXT},
    scope_id {_TEXT} NOT NULL,
    raw BLOB NOT NULL
);
"""

TABLES = (
    """
CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS scopes (
    scope_id VARCHAR PRIMARY KEY,
    resource BLOB NOT NULL,
    resource_schema_url VARCHAR NOT NULL,
    scope BLOB NOT NULL,
    scope_schema_url VARCHAR NOT NULL
);
"""
    + SPANS
    + PAYLOADS
    + LOGS
    + """CREATE TABLE IF NOT EXISTS traces (
    project VARCHAR NOT NULL,
    trace_id VARCHAR NOT NULL,
    first_batch BIGINT NOT NULL,
    last_batch BIGINT NOT NULL,
    start_ns BIGINT,
    end_ns BIGINT,
    span_count BIGINT NOT NULL,
    log_count BIGINT NOT NULL,
    root STRUCT(has_parent BOOLEAN, start_ns BIGINT, name VARCHAR, span_id VARCHAR, end_ns BIGINT),
    has_error BOOLEAN NOT NULL,
    input_tokens BIGINT,
    output_tokens BIGINT,
    agent_input_tokens BIGINT,
    agent_output_tokens BIGINT,
    cost DOUBLE,
    agent_cost DOUBLE,
    agents VARCHAR[] NOT NULL,
    models VARCHAR[] NOT NULL,
    conversation_id VARCHAR,
    PRIMARY KEY (project, trace_id)
);
-- DuckDB serves point lookups from a single-column index, not from the composite key, and
-- only for a statement whose sole predicate is on that column (store/sql.py: TRACE_ENTRY).
CREATE INDEX IF NOT EXISTS traces_by_trace_id ON traces (trace_id);
"""
)

CHAT_TABLES = """
CREATE SEQUENCE IF NOT EXISTS chat_message_ids START 1;
CREATE TABLE IF NOT EXISTS chats (
    id VARCHAR PRIMARY KEY,
    project VARCHAR NOT NULL,
    user_id VARCHAR NOT NULL,
    agent_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    trace_ids VARCHAR[] NOT NULL,
    created_at TIMESTAMP NOT NULL,  -- UTC
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    external_id VARCHAR,  -- a conversation id chosen by the client (seed 002), shown in its place
    message_count BIGINT NOT NULL DEFAULT 0  -- kept with the messages: counting them scans
);
CREATE TABLE IF NOT EXISTS agents (
    id VARCHAR PRIMARY KEY,
    project VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    system_prompt VARCHAR,
    model VARCHAR,
    allowed_tools VARCHAR[],
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_messages (
    id BIGINT PRIMARY KEY DEFAULT nextval('chat_message_ids'),
    chat_id VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    content VARCHAR,
    tool_calls VARCHAR,
    tool_call_id VARCHAR,
    metadata VARCHAR,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_messages_by_chat ON chat_messages (chat_id);
CREATE TABLE IF NOT EXISTS feedback (
    id VARCHAR PRIMARY KEY,
    project VARCHAR NOT NULL,
    trace_id VARCHAR NOT NULL,
    span_id VARCHAR,
    name VARCHAR NOT NULL,
    score DOUBLE,
    label VARCHAR,
    value VARCHAR,
    comment VARCHAR,
    author VARCHAR,
    created_at TIMESTAMP NOT NULL  -- UTC
);
CREATE INDEX IF NOT EXISTS feedback_by_trace_id ON feedback (trace_id);
"""


# The statements the functions below run, kept here as the tables are: DuckDB reads SQL
# keywords and identifiers in any case, so a statement spelled in the function body was two
# equivalent mutants (upper and lower case) for the mutation run (docs/testing.md).
_BEGIN = "BEGIN TRANSACTION"
_COMMIT = "COMMIT"
_ROLLBACK = "ROLLBACK"
_HAS_META = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'"
_VERSION = "SELECT value FROM meta WHERE key = 'schema_version'"
_SET_VERSION = "UPDATE meta SET value = ? WHERE key = 'schema_version'"
_FIRST_VERSION = "INSERT INTO meta VALUES ('schema_version', ?)"
_PROGRESS_ON = ("SET enable_progress_bar = true", "SET enable_progress_bar_print = false")
_PROGRESS_OFF = ("RESET enable_progress_bar", "RESET enable_progress_bar_print")
_REWRITTEN = (("spans", SPANS_V5), ("logs", LOGS))
"""The tables schema 3 rewrites with their short text columns dictionary-coded."""
_SCHEMA_3_INDEXES = (
    "CREATE INDEX IF NOT EXISTS feedback_by_trace_id ON feedback (trace_id)",
    "CREATE INDEX IF NOT EXISTS chat_messages_by_chat ON chat_messages (chat_id)",
    "ALTER TABLE chats ADD COLUMN IF NOT EXISTS message_count BIGINT DEFAULT 0",
    "UPDATE chats SET message_count = n FROM"
    " (SELECT chat_id, count(*) AS n FROM chat_messages GROUP BY chat_id) m WHERE chats.id = m.chat_id",
)
_EMPTY_SESSIONS = "DELETE FROM sessions"
_EMPTY_PAYLOADS = "DELETE FROM payloads"
_SPANS_PER_BATCH = "SELECT batch, count(*) FROM spans GROUP BY batch ORDER BY batch"
_OLD_PAYLOADS = (
    "SELECT batch, project, trace_id, span_id, scope_id, raw FROM spans WHERE batch BETWEEN $first AND $last"
)
_MOVED = "moved_payloads"
_INSERT_MOVED = f"INSERT INTO payloads SELECT batch, project, trace_id, spans FROM {_MOVED} ORDER BY batch"
_DROP_RAW = "ALTER TABLE spans DROP COLUMN raw"
_MIGRATION_ROWS = 100_000

Progress = Callable[[float], None]
"""Told how far a step is (0 to 1), by a step that knows (``MigrationStatus.within_step``)."""
Migration = Callable[[duckdb.DuckDBPyConnection, Progress], None]


def _add_chats(con: duckdb.DuckDBPyConnection, _: Progress) -> None:
    con.execute(CHAT_TABLES)


def _to_schema_3(con: duckdb.DuckDBPyConnection, _: Progress) -> None:
    """Rewrite ``spans`` and ``logs`` with their short text columns dictionary-coded (see
    ``_TEXT``); rows keep their order, which the batch ranges of the trace index rely on.
    Index feedback by trace id and chat messages by chat; keep each chat's message count."""
    for table, ddl in _REWRITTEN:
        con.execute(f"ALTER TABLE {table} RENAME TO {table}_v2")
        con.execute(ddl)
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {table}_v2")  # insertion order is kept
        con.execute(f"DROP TABLE {table}_v2")
    for statement in _SCHEMA_3_INDEXES:
        con.execute(statement)


def _add_sessions(con: duckdb.DuckDBPyConnection, _: Progress) -> None:
    """The session index, filled from the trace index (which has every trace's conversation id)."""
    con.execute(sessions.TABLE)
    con.execute(_EMPTY_SESSIONS)  # (a file marked older by hand may have the table)
    con.execute(sessions.BACKFILL)


def _add_response_ids(con: duckdb.DuckDBPyConnection, _: Progress) -> None:
    """``response_id``: the provider's id of a model call's response, which tells two
    parallel calls with equal usage apart from one call recorded twice (``sql.recorded_again``).
    Added last (no rewrite of the table); spans stored before have none, and are counted as
    before. (A file brought from schema 2 has it already: its spans were rewritten then.)"""
    con.execute(f"ALTER TABLE spans ADD COLUMN IF NOT EXISTS response_id {_TEXT}")


def _to_payloads(con: duckdb.DuckDBPyConnection, progress: Progress) -> None:
    """Schema 6: the spans' payloads move from ``spans.raw`` (compressed by DuckDB, a
    2,048-row vector at a time) to ``payloads``, one zstd frame per trace and commit batch
    (``store/payloads.py``), read and written about ``_MIGRATION_ROWS`` spans at a time in
    batch order (the order reads prune by); then ``spans.raw`` is dropped. Progress is the
    share of spans moved."""
    con.execute(PAYLOADS)
    con.execute(_EMPTY_PAYLOADS)  # (a file marked older by hand may have rows)
    counts = con.execute(_SPANS_PER_BATCH).fetchall()
    total = sum(count for _, count in counts) or 1
    moved = 0
    for first, last, rows in _batch_ranges(counts, _MIGRATION_ROWS):
        table = con.sql(_OLD_PAYLOADS, params={"first": first, "last": last}).to_arrow_table()
        con.register(_MOVED, payloads.of_stored(table))
        try:
            con.execute(_INSERT_MOVED)
        finally:
            con.unregister(_MOVED)
        moved += rows
        progress(moved / total)
    con.execute(_DROP_RAW)


def _batch_ranges(counts: list[tuple[int, int]], rows: int) -> Iterator[tuple[int, int, int]]:
    """(first batch, last batch, spans) ranges of about ``rows`` spans from (batch, spans)
    pairs in batch order; a batch larger than that is a range of its own."""
    start: int | None = None
    held = 0
    last = 0
    for batch, count in counts:
        if start is not None and held + count > rows:
            yield start, last, held
            start, held = None, 0
        start = batch if start is None else start
        held += count
        last = batch
    if start is not None:
        yield start, last, held


MIGRATIONS: dict[int, Migration] = {
    1: _add_chats,
    2: _to_schema_3,
    3: _add_sessions,
    4: _add_response_ids,
    5: _to_payloads,
}
"""``MIGRATIONS[n]`` brings a file from schema ``n`` to ``n + 1``."""
_REPORTS_PROGRESS = {5}
"""Steps of many statements that tell their progress themselves (for the others, the
running statement's progress is polled: ``watching``)."""


def ensure_schema(con: duckdb.DuckDBPyConnection, status: MigrationStatus | None = None) -> None:
    """Create the tables of a new file, or check (and migrate) an existing one, telling
    ``status`` how far the migration is."""
    version = _stored_version(con)
    if version is None:
        _create(con)
        return
    if version > SCHEMA_VERSION:
        raise StoreVersionError(
            f"the database was written by a newer tracechat (schema {version}; this build reads up to "
            f"{SCHEMA_VERSION}): upgrade tracechat or point --data-dir elsewhere"
        )
    missing = [step for step in range(version, SCHEMA_VERSION) if step not in MIGRATIONS]
    if missing:
        raise StoreVersionError(f"no migration from schema {missing[0]}; export with an older tracechat first")
    if version == SCHEMA_VERSION:
        return
    status = status or MigrationStatus()
    status.begin(SCHEMA_VERSION - version)
    for index, step in enumerate(range(version, SCHEMA_VERSION)):
        status.at_step(index)
        log.warning("bringing the database from schema %d to %d (a large store takes minutes)", step, step + 1)
        with contextlib.nullcontext() if step in _REPORTS_PROGRESS else watching(con, status):
            con.execute(_BEGIN)
            try:
                MIGRATIONS[step](con, status.within_step)
                con.execute(_SET_VERSION, [str(step + 1)])
            except BaseException:
                con.execute(_ROLLBACK)
                raise
            con.execute(_COMMIT)
    status.finish()


@contextlib.contextmanager
def watching(con: duckdb.DuckDBPyConnection, status: MigrationStatus, every_s: float = 0.25) -> Iterator[None]:
    """Poll the progress of the statement running on ``con`` (DuckDB answers that from
    another thread) into ``status`` while the block runs."""
    for setting in _PROGRESS_ON:
        con.execute(setting)
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(every_s):
            with contextlib.suppress(duckdb.Error):
                done = con.query_progress()
                if done >= 0:
                    status.within_step(done / 100)

    poller = threading.Thread(target=poll, name="migration-progress", daemon=True)
    poller.start()
    try:
        yield
    finally:
        stop.set()
        poller.join()
        for setting in _PROGRESS_OFF:
            con.execute(setting)


def _create(con: duckdb.DuckDBPyConnection) -> None:
    """Every table and the schema version in one transaction: a process killed during its
    very first start leaves an empty file, never tables without a version (which no later
    start could tell from a foreign file)."""
    con.execute(_BEGIN)
    try:
        con.execute(TABLES)
        con.execute(sessions.TABLE)
        con.execute(CHAT_TABLES)
        con.execute(_FIRST_VERSION, [str(SCHEMA_VERSION)])
    except BaseException:
        con.execute(_ROLLBACK)
        raise
    con.execute(_COMMIT)


def _stored_version(con: duckdb.DuckDBPyConnection) -> int | None:
    has_meta = con.execute(_HAS_META).fetchone()
    if not has_meta or not has_meta[0]:
        return None
    row = con.execute(_VERSION).fetchone()
    if row is None:
        raise StoreVersionError(
            "the database has no schema version; it was not written by tracechat (or an older build "
            "killed during its first start: if it holds nothing, delete it)"
        )
    return int(row[0])
