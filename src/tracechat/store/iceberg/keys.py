"""API keys in the catalog's PostgreSQL, so every node of a scale-out deployment knows every
key: the ``KeyRing`` of ``auth.keys`` (same hashing, same once-a-second re-read) over a
table instead of ``keys.json``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from tracechat.auth.keys import KeyRing, StoredKey

KEYS = "tracechat_keys"
DDL = f"""
CREATE TABLE IF NOT EXISTS {KEYS} (
    key_id text PRIMARY KEY,
    project text,
    admin boolean NOT NULL,
    secret_sha256 text NOT NULL,
    created_at double precision NOT NULL
)
"""
_SCHEMA_LOCK = 7_412_003


class PostgresKeyRing(KeyRing):
    """Keys in table ``tracechat_keys``; the secret's SHA-256 only, as in the file."""

    def __init__(self, catalog_uri: str) -> None:
        from tracechat.store.iceberg.store import libpq_uri

        self._uri = libpq_uri(catalog_uri)
        with self._connect() as con, con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(%s)", [_SCHEMA_LOCK])
            con.execute(DDL)
        super().__init__(Path(KEYS))

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self._uri, autocommit=True, connect_timeout=5)

    def _load(self) -> None:
        with self._connect() as con:
            stamp = con.execute(f"SELECT count(*), coalesce(max(created_at), 0) FROM {KEYS}").fetchone()
            if stamp is not None and (int(stamp[0]), int(stamp[1] * 1e9)) == self._stamp:
                return
            rows = con.execute(f"SELECT key_id, project, admin, secret_sha256, created_at FROM {KEYS}").fetchall()
        self._keys = {row[0]: StoredKey(*row) for row in rows}
        self._stamp = (int(stamp[0]), int(stamp[1] * 1e9)) if stamp is not None else None

    def _save(self) -> None:
        with self._connect() as con, con.transaction():
            for key in self._keys.values():
                con.execute(
                    f"INSERT INTO {KEYS} VALUES (%s, %s, %s, %s, %s) ON CONFLICT (key_id) DO NOTHING",
                    [key.key_id, key.project, key.admin, key.secret_sha256, key.created_at],
                )
        self._stamp = None
