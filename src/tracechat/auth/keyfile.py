"""``keys.json``, the file of API keys: a pure, strict codec. A file that does not decode is
refused whole, with the reason, rather than read as "no keys" (which is open mode)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from tracechat.errors import InvalidInput, TracechatError
from tracechat.model.projects import valid_project

_SHA256 = re.compile(r"[0-9a-f]{64}")


class KeyFileError(TracechatError):
    """``keys.json`` cannot be read as a list of keys."""

    code = "key_file"


@dataclass(frozen=True, slots=True)
class StoredKey:
    key_id: str
    project: str | None
    admin: bool
    secret_sha256: str
    created_at: float


def decode_key_file(text: str) -> dict[str, StoredKey]:
    """The keys of a ``keys.json`` document by id; ``KeyFileError`` saying what is wrong."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise KeyFileError(f"is not JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeyFileError('must be a JSON object {"keys": [...]}')
    keys: dict[str, StoredKey] = {}
    for number, entry in enumerate(document["keys"]):
        key = _key(number, entry)
        if key.key_id in keys:
            raise KeyFileError(f"key {number}: the id {key.key_id!r} appears twice")
        keys[key.key_id] = key
    return keys


def encode_key_file(keys: dict[str, StoredKey]) -> str:
    return json.dumps({"keys": [asdict(k) for k in keys.values()]}, indent=2)


def _key(number: int, entry: Any) -> StoredKey:
    if not isinstance(entry, dict):
        raise KeyFileError(f"key {number}: must be an object")
    key_id, project, admin = entry.get("key_id"), entry.get("project"), entry.get("admin")
    digest, created_at = entry.get("secret_sha256"), entry.get("created_at")
    if not isinstance(key_id, str) or not key_id:
        raise KeyFileError(f"key {number}: key_id must be a non-empty string")
    if not isinstance(admin, bool):
        raise KeyFileError(f"key {key_id!r}: admin must be true or false")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise KeyFileError(f"key {key_id!r}: secret_sha256 must be 64 lowercase hexadecimal digits")
    if isinstance(created_at, bool) or not isinstance(created_at, (int, float)):
        raise KeyFileError(f"key {key_id!r}: created_at must be a number (seconds since 1970)")
    if project is None and not admin:
        raise KeyFileError(f"key {key_id!r}: a key needs a project unless it is an admin key")
    if project is not None:
        if not isinstance(project, str):
            raise KeyFileError(f"key {key_id!r}: project must be a string")
        try:
            valid_project(project)
        except InvalidInput as exc:
            raise KeyFileError(f"key {key_id!r}: {exc.message}") from None
    return StoredKey(key_id, project, admin, digest, float(created_at))
