"""API keys in the catalog's PostgreSQL, so every node of a scale-out deployment knows every
key: the ``KeyRing`` of ``auth.keys`` (same hashing, same once-a-second re-read) over a
table instead of ``keys.json``."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import psycopg

from tracechat.auth.keys import Clock, KeyFileError, KeyRing, StoredKey

log = logging.getLogger(__name__)

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


class PostgresKeyRing(KeyRing):
    """Keys in table ``tracechat_keys``; the secret's SHA-256 only, as in the file. As with the
    file, a ring that has held a key never falls back to open mode, and a catalog it cannot
    read keeps the keys read before in force (logged)."""

    def __init__(self, catalog_uri: str, *, clock: Clock = time.monotonic) -> None:
        from tracechat.store.iceberg import pgschema
        from tracechat.store.iceberg.store import libpq_uri

        self._uri = libpq_uri(catalog_uri)
        self._loaded: frozenset[str] = frozenset()
        with self._connect() as con:
            pgschema.migrate(con)
        super().__init__(Path(KEYS), clock=clock)

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self._uri, autocommit=True, connect_timeout=5)

    def _load(self) -> None:
        try:
            with self._connect() as con:
                row = con.execute(
                    f"SELECT count(*), coalesce(md5(string_agg(key_id, ',' ORDER BY key_id)), '') FROM {KEYS}"
                ).fetchone()
                stamp = (int(row[0]), hash(row[1])) if row is not None else None
                if stamp is not None and stamp == self._stamp:
                    return
                rows = con.execute(f"SELECT key_id, project, admin, secret_sha256, created_at FROM {KEYS}").fetchall()
        except psycopg.Error as exc:
            raise KeyFileError(f"the catalog's {KEYS} cannot be read ({exc})") from None
        keys = {row[0]: StoredKey(*row) for row in rows}
        if not keys and self._closed:
            log.error("%s holds no keys any more: every request is refused until a key is created", KEYS)
        self._keys, self._stamp, self._refused = keys, stamp, None
        self._loaded = frozenset(keys)
        self._closed = self._closed or bool(keys)

    def _save(self) -> None:
        with self._connect() as con, con.transaction():
            # only the keys revoked here: another node may have created one since the read
            revoked = sorted(self._loaded - self._keys.keys())
            con.execute(f"DELETE FROM {KEYS} WHERE key_id = ANY(%s)", [revoked])
            for key in self._keys.values():
                con.execute(
                    f"INSERT INTO {KEYS} VALUES (%s, %s, %s, %s, %s) ON CONFLICT (key_id) DO NOTHING",
                    [key.key_id, key.project, key.admin, key.secret_sha256, key.created_at],
                )
        self._stamp = None
