"""API keys and the principal a request acts as.

A key is an id and a secret. The secret is shown once, at creation; the file keeps only its
SHA-256 (secrets are 256 random bits, so a slow password hash adds nothing) and compares in
constant time. Clients present a key in the ``Authorization`` header (HTTP) or metadata
(gRPC), either as ``Bearer <key_id>.<secret>`` or as ``Basic base64(<key_id>:<secret>)``.

With no keys at all the service is in open mode: every request acts as an admin.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tracechat.errors import InvalidInput, PermissionDenied, Unauthenticated

KEY_PREFIX = "tck_"
ANALYST_SUFFIX = ":analyst"
_RELOAD_INTERVAL_S = 1.0


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


def analyst_project(project: str) -> str:
    """Where the trace analyst's own turns are traced for ``project``: beside it, not in it,
    so its self-traces stay out of the project's lists and statistics; a key of the project
    reads both."""
    return project + ANALYST_SUFFIX


@dataclass(frozen=True, slots=True)
class StoredKey:
    key_id: str
    project: str | None
    admin: bool
    secret_sha256: str
    created_at: float


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


class KeyRing:
    """The keys in ``keys.json``, re-read when the file changes (the CLI may add keys while
    the server runs)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._keys: dict[str, StoredKey] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._load()

    @property
    def open_mode(self) -> bool:
        self._maybe_reload()
        return not self._keys

    def authenticate(self, header: str | None) -> Principal:
        """The principal of a request; raises ``Unauthenticated`` when keys exist and the
        request has no valid one."""
        self._maybe_reload()
        keys = self._keys
        if not keys:
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
        key = NewKey(KEY_PREFIX + secrets.token_hex(8), secrets.token_urlsafe(32), project, admin)
        with self._lock:
            self._load()
            stored = StoredKey(key.key_id, project, admin, _hash(key.secret), time.time())
            self._keys = {**self._keys, key.key_id: stored}
            self._save()
        return key

    def list(self) -> list[StoredKey]:
        self._maybe_reload()
        return sorted(self._keys.values(), key=lambda k: k.created_at)

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now - self._checked < _RELOAD_INTERVAL_S:
            return
        self._checked = now
        with self._lock:
            self._load()

    def _load(self) -> None:
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            self._keys, self._stamp = {}, None
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return
        entries = json.loads(self._path.read_text())
        self._keys = {e["key_id"]: StoredKey(**e) for e in entries.get("keys", [])}
        self._stamp = stamp

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_suffix(".tmp")
        document = {"keys": [asdict(k) for k in self._keys.values()]}
        with open(temporary, "w") as handle:
            json.dump(document, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, self._path)
        self._stamp = None
