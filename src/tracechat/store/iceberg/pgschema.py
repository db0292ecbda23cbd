"""The versions of the tables tracechat keeps in the catalog's PostgreSQL (the trace and
session index, the batch ledger, feedback, API keys, chats and agents, the text index),
and the ordered migrations between them.

``migrate`` runs at every start of whatever opens them (a store, the key ring, the chat
records, ``tracechat maintain``, ``tracechat keys``): in one transaction, under an advisory
lock, so of nodes starting at once the first applies what is missing and the others then
find it applied. A database whose version is newer than this build's is refused: a node of
an older release must not write rows a newer layout reads otherwise.

A database made before versioning (the tables, no ``tracechat_schema``) is at version 0:
migration 1 is that layout with ``IF NOT EXISTS`` throughout, so it adopts the tables as
they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import psycopg

from tracechat.errors import StoreVersionError
from tracechat.store.iceberg import fulltext, keys, records, textindex, traceindex

SCHEMA_TABLE: Final = "tracechat_schema"
LOCK: Final = 7_412_005
"""The advisory lock held (for the transaction) while the version is read and migrations run."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: Final = (
    Migration(
        1,
        "trace index, sessions, batch ledger, feedback, API keys, chats and agents",
        (traceindex.DDL, keys.DDL, records.DDL),
    ),
    Migration(2, "full-text index of conversation text", (fulltext.DDL,)),
    Migration(3, "queue of committed batches for the text indexer", (textindex.DDL,)),
    Migration(4, "the data files of each trace, and the files maintenance retired", (traceindex.FILES_DDL,)),
    Migration(
        5,
        "backoff and a dead state for text batches that keep failing; the log record ids of each trace",
        (textindex.DEAD_LETTER_DDL, traceindex.LOG_IDS_DDL),
    ),
    Migration(6, "the ids of log records that name no trace", (traceindex.TRACELESS_LOGS_DDL,)),
)
LATEST: Final = MIGRATIONS[-1].version

_VERSION_DDL = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def current_version(con: psycopg.Connection[tuple[Any, ...]]) -> int:
    """The version the database is at (0: before versioning, or empty)."""
    exists = con.execute("SELECT to_regclass(%s) IS NOT NULL", [SCHEMA_TABLE]).fetchone()
    if not exists or not exists[0]:
        return 0
    found = con.execute(f"SELECT coalesce(max(version), 0) FROM {SCHEMA_TABLE}").fetchone()
    return int(found[0]) if found else 0


def migrate(con: psycopg.Connection[tuple[Any, ...]], migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring the database to the last of ``migrations`` (this build's) in one transaction;
    the version it is at. Raises ``StoreVersionError`` for a database a newer build migrated."""
    latest = migrations[-1].version
    with con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        con.execute(_VERSION_DDL)
        version = current_version(con)
        if version > latest:
            raise StoreVersionError(
                f"the PostgreSQL tables are at schema version {version}, newer than this tracechat's "
                f"({latest}): run the release that migrated them, or a newer one"
            )
        for migration in migrations:
            if migration.version <= version:
                continue
            for statement in migration.statements:
                con.execute(statement)
            con.execute(
                f"INSERT INTO {SCHEMA_TABLE} (version, description) VALUES (%s, %s)",
                [migration.version, migration.description],
            )
    return latest
