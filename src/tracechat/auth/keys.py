"""API keys and the principal a request acts as.

A key is an id and a secret. The secret is shown once, at creation; the file keeps only its
SHA-256 (secrets are 256 random bits, so a slow password hash adds nothing) and compares in
constant time. Clients present a key in the ``Authorization`` header (HTTP) or metadata
(gRPC), either as ``Bearer <key_id>.<secret>`` or as ``Basic base64(<key_id>:<secret>)``.

A server that starts with no keys at all is in open mode: every request acts as an admin
(the server refuses to start so on anything but loopback). Once it has keys it stays closed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tracechat.auth.keyfile import KeyFileError, StoredKey, decode_key_file, encode_key_file
from tracechat.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from tracechat.model.projects import ANALYST_SUFFIX, analyst_project, valid_project

__all__ = [
    "ANALYST_SUFFIX",
    "OPEN",
    "KeyFileError",
    "KeyRing",
    "NewKey",
    "Principal",
    "StoredKey",
    "analyst_project",
]

log = logging.getLogger(__name__)
KEY_PREFIX = "tck_"
RELOAD_INTERVAL_S = 1.0
_GONE = (-1, -1)
"""The state of a file that cannot be looked at, as ``(st_mtime_ns, st_size)`` never is."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: one project's key, an admin key, or anyone (open mode)."""

    key_id: str | None
    project: str | None
    admin: bool

    def can_access(self, project: str) -> bool:
        return self.admin or (self.project is not None and project in (self.project, analyst_project(self.project)))

    def check_access(self, project: str) -> None:
        if not self.can_access(project):
            raise PermissionDenied(f"this key may not access project {project!r}")


OPEN = Principal(key_id=None, project=None, admin=True)


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    secret: str
    project: str | None
    admin: bool

    @property
    def token(self) -> str:
        """What a client sends after ``Bearer``."""
        return f"{self.key_id}.{self.secret}"

    @property
    def basic(self) -> str:
        """What a client sends after ``Basic``."""
        return base64.b64encode(f"{self.key_id}:{self.secret}".encode()).decode()


def parse_authorization(header: str | None) -> tuple[str, str] | None:
    """``(key_id, secret)`` from an Authorization value, or None when there is none."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        key_id, sep, secret = value.partition(".")
    elif scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("the Basic credentials are not base64 of key_id:secret") from None
        key_id, sep, secret = decoded.partition(":")
    else:
        raise Unauthenticated("use 'Authorization: Bearer <key_id>.<secret>' or Basic credentials")
    if not sep or not key_id or not secret:
        raise Unauthenticated("the credentials must carry a key id and a secret")
    return key_id, secret


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


Clock = Callable[[], float]
"""Seconds from some fixed start (``time.monotonic``): when the file is looked at again."""


class KeyRing:
    """The keys in ``keys.json``, re-read when the file changes (the CLI may add or revoke
    keys while the server runs), at most once per ``reload_s`` of ``clock``.

    A ring that has held a key never falls back to open mode: a deleted, emptied or corrupt
    file is refused with a log line and the last good keys stay in force; a valid file with
    no keys left (every key revoked) refuses every request. Only a start with no keys is open.
    A corrupt file at start is a ``KeyFileError``.
    """

    def __init__(self, path: Path, *, clock: Clock = time.monotonic, reload_s: float = RELOAD_INTERVAL_S) -> None:
        self._path = path
        self._clock = clock
        self._reload_s = reload_s
        self._lock = threading.Lock()
        self._keys: dict[str, StoredKey] = {}
        self._closed = False
        self._stamp: tuple[int, int] | None = None
        self._refused: tuple[int, int] | None = None
        self._checked = clock()
        self._load()

    @property
    def open_mode(self) -> bool:
        self._maybe_reload()
        return not self._keys and not self._closed

    def authenticate(self, header: str | None) -> Principal:
        """The principal of a request; raises ``Unauthenticated`` when the server is closed
        (it has, or has had, keys) and the request has no valid one."""
        self._maybe_reload()
        keys = self._keys
        if not keys and not self._closed:
            return OPEN
        credentials = parse_authorization(header)
        if credentials is None:
            raise Unauthenticated("this server requires an API key (Authorization header)")
        key_id, secret = credentials
        stored = keys.get(key_id)
        # Compare against something even for an unknown id, so timing says nothing about ids.
        expected = stored.secret_sha256 if stored else _hash("")
        if not hmac.compare_digest(expected, _hash(secret)) or stored is None:
            raise Unauthenticated("invalid API key")
        return Principal(key_id=stored.key_id, project=stored.project, admin=stored.admin)

    def create(self, project: str | None, admin: bool) -> NewKey:
        if not admin and not project:
            raise InvalidInput("a key needs a project unless it is an admin key")
        if project is not None:
            valid_project(project)
        key = NewKey(KEY_PREFIX + secrets.token_hex(8), secrets.token_urlsafe(32), project, admin)
        with self._lock:
            self._load()
            stored = StoredKey(key.key_id, project, admin, _hash(key.secret), time.time())
            self._keys = {**self._keys, key.key_id: stored}
            self._save()
        return key

    def revoke(self, key_id: str) -> StoredKey:
        """Remove a key from the file; a running server refuses it from its next re-read."""
        with self._lock:
            self._load()
            if key_id not in self._keys:
                raise NotFound(f"no key {key_id!r} in {self._path}")
            revoked = self._keys[key_id]
            self._keys = {k: v for k, v in self._keys.items() if k != key_id}
            self._save()
        return revoked

    def list(self) -> list[StoredKey]:
        self._maybe_reload()
        return sorted(self._keys.values(), key=lambda k: k.created_at)

    def _maybe_reload(self) -> None:
        now = self._clock()
        if now - self._checked < self._reload_s:
            return
        self._checked = now
        with self._lock:
            try:
                self._load()
            except KeyFileError as exc:
                self._refuse(exc)

    def _load(self) -> None:
        """Read the file if it changed; ``KeyFileError`` if it cannot be read as keys."""
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            if self._keys or self._closed:
                raise KeyFileError(f"{self._path} is gone") from None
            self._stamp = None
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return
        try:
            text = self._path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyFileError(f"{self._path} cannot be read ({exc})") from None
        try:
            keys = decode_key_file(text)
        except KeyFileError as exc:
            raise KeyFileError(f"{self._path} {exc.message}") from None
        if not keys and self._closed:
            log.error("%s holds no keys any more: every request is refused until a key is created", self._path)
        self._keys, self._stamp, self._refused = keys, stamp, None
        self._closed = self._closed or bool(keys)

    def _refuse(self, error: KeyFileError) -> None:
        """Keep the keys in force; say so once per state of the file, not once a second."""
        try:
            stat = self._path.stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = _GONE
        if stamp != self._refused:
            self._refused = stamp
            log.error(
                "refusing the new keys.json: %s; the %d key(s) read before stay in force (no open mode)",
                error.message,
                len(self._keys),
            )

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_suffix(".tmp")
        with open(temporary, "w") as handle:
            handle.write(encode_key_file(self._keys))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, self._path)
        self._stamp = None
