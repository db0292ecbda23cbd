"""The key ring on its own: credentials parsed from both header forms, keys created, revoked
and listed through the real ``keys.json``, and a running ring's re-reads driven by an injected
clock (no sleeps): when a change takes effect, what a deleted, corrupt or emptied file does
(the last good keys stay, said once per state of the file, never open mode)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import stat
import time
from pathlib import Path

import pytest

from tests.clocks import ManualClock
from tracechat.auth.keyfile import KeyFileError, StoredKey, decode_key_file
from tracechat.auth.keys import OPEN, KeyRing, NewKey, Principal, parse_authorization
from tracechat.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated

LOGGER = "tracechat.auth.keys"


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


# --- credentials -------------------------------------------------------------------------


def test_no_header_is_no_credentials() -> None:
    assert parse_authorization(None) is None
    assert parse_authorization("") is None


@pytest.mark.parametrize(
    ("header", "credentials"),
    [
        ("Bearer tck_1.s3cret", ("tck_1", "s3cret")),
        ("bearer tck_1.s3cret", ("tck_1", "s3cret")),
        ("  BEARER   tck_1.s3cret  ", ("tck_1", "s3cret")),
        ("Bearer tck_1.a.b", ("tck_1", "a.b")),  # the id ends at the first dot
        (_basic("tck_1:s3cret"), ("tck_1", "s3cret")),
        ("basic " + base64.b64encode(b"tck_1:a:b").decode(), ("tck_1", "a:b")),  # ... at the first colon
        ("  BASIC  " + base64.b64encode(b"tck_1:s").decode() + " ", ("tck_1", "s")),
    ],
)
def test_both_header_forms_give_id_and_secret(header: str, credentials: tuple[str, str]) -> None:
    assert parse_authorization(header) == credentials


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Digest abc", "use 'Authorization: Bearer <key_id>.<secret>' or Basic credentials"),
        ("tck_1.s3cret", "use 'Authorization: Bearer <key_id>.<secret>' or Basic credentials"),
        ("Basic !!!", "the Basic credentials are not base64 of key_id:secret"),
        # not in the base64 alphabet: refused, not skipped (validate=True)
        ("Basic " + base64.b64encode(b"tck_1:s").decode() + "!", "the Basic credentials are not base64"),
        ("Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(), "the Basic credentials are not base64"),
        ("Bearer tck_1", "the credentials must carry a key id and a secret"),
        ("Bearer .s3cret", "the credentials must carry a key id and a secret"),
        ("Bearer tck_1.", "the credentials must carry a key id and a secret"),
        ("Bearer", "the credentials must carry a key id and a secret"),
        (_basic("tck_1"), "the credentials must carry a key id and a secret"),
        (_basic(":s3cret"), "the credentials must carry a key id and a secret"),
        (_basic("tck_1:"), "the credentials must carry a key id and a secret"),
    ],
)
def test_malformed_credentials_are_refused_saying_why(header: str, says: str) -> None:
    with pytest.raises(Unauthenticated) as refused:
        parse_authorization(header)
    assert refused.value.message.startswith(says)


def test_a_new_key_is_sent_as_bearer_token_or_basic() -> None:
    key = NewKey("tck_1", "s3cret", "shop", False)
    assert key.token == "tck_1.s3cret"
    assert key.basic == base64.b64encode(b"tck_1:s3cret").decode()
    assert (
        parse_authorization(f"Bearer {key.token}") == parse_authorization(f"Basic {key.basic}") == ("tck_1", "s3cret")
    )


# --- principals ---------------------------------------------------------------------------


def test_a_project_key_reaches_its_project_and_its_analyst_project_only() -> None:
    shop = Principal(key_id="tck_1", project="shop", admin=False)
    assert shop.can_access("shop")
    assert shop.can_access("shop:analyst")
    assert not shop.can_access("other")
    assert not shop.can_access("other:analyst")
    shop.check_access("shop")
    with pytest.raises(PermissionDenied) as denied:
        shop.check_access("other")
    assert denied.value.message == "this key may not access project 'other'"


def test_an_admin_reaches_every_project_and_a_key_without_project_none() -> None:
    admin = Principal(key_id="tck_1", project=None, admin=True)
    assert admin.can_access("shop")
    assert admin.can_access("other:analyst")
    admin.check_access("anything")
    assert Principal(key_id=None, project=None, admin=True) == OPEN
    nowhere = Principal(key_id="tck_2", project=None, admin=False)
    assert not nowhere.can_access("shop")
    with pytest.raises(PermissionDenied):
        nowhere.check_access("shop")


# --- creating, revoking, listing ------------------------------------------------------------


def test_a_ring_without_a_file_is_open(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys.json")
    assert ring.open_mode
    assert ring.authenticate(None) is OPEN
    assert ring.authenticate("Bearer tck_0.whatever") is OPEN
    assert ring.list() == []


def test_an_empty_file_at_start_is_open(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": []}))
    ring = KeyRing(path)
    assert ring.open_mode
    assert ring.authenticate(None) is OPEN


def test_a_created_key_is_stored_hashed_and_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "deeper" / "keys.json"  # directories made as needed
    ring = KeyRing(path)
    before = time.time()
    key = ring.create("shop", admin=False)
    after = time.time()
    assert key.key_id.startswith("tck_")
    assert len(key.key_id) == len("tck_") + 16
    int(key.key_id.removeprefix("tck_"), 16)  # hexadecimal
    assert len(key.secret) == 43  # 32 random bytes, URL-safe base64
    assert (key.project, key.admin) == ("shop", False)
    stored = decode_key_file(path.read_text())
    assert list(stored) == [key.key_id]
    assert stored[key.key_id].secret_sha256 == hashlib.sha256(key.secret.encode()).hexdigest()
    assert key.secret not in path.read_text()
    assert (stored[key.key_id].project, stored[key.key_id].admin) == ("shop", False)
    assert before <= stored[key.key_id].created_at <= after
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["keys.json"]  # no temporary file left

    admin = ring.create(None, admin=True)  # the directory exists now
    assert set(decode_key_file(path.read_text())) == {key.key_id, admin.key_id}
    assert not ring.open_mode


def test_created_keys_authenticate_as_their_principal(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys.json")
    shop = ring.create("shop", admin=False)
    admin = ring.create(None, admin=True)
    both_admin = ring.create("ops", admin=True)
    assert ring.authenticate(f"Bearer {shop.token}") == Principal(shop.key_id, "shop", False)
    assert ring.authenticate(f"Basic {shop.basic}") == Principal(shop.key_id, "shop", False)
    assert ring.authenticate(f"Bearer {admin.token}") == Principal(admin.key_id, None, True)
    assert ring.authenticate(f"Bearer {both_admin.token}") == Principal(both_admin.key_id, "ops", True)
    # a second ring (the server) reads what the first (the CLI) wrote
    server = KeyRing(tmp_path / "keys.json")
    assert not server.open_mode
    assert server.authenticate(f"Basic {admin.basic}") == Principal(admin.key_id, None, True)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer tck_0000000000000000.nope",  # unknown id
        "Bearer {id}.wrong",  # known id, wrong secret
        "Bearer {id}.{secret}x",
        "Digest abc",
    ],
)
def test_a_closed_ring_refuses_what_is_not_a_key(tmp_path: Path, header: str | None) -> None:
    ring = KeyRing(tmp_path / "keys.json")
    key = ring.create("shop", admin=False)
    with pytest.raises(Unauthenticated) as refused:
        ring.authenticate(header.format(id=key.key_id, secret=key.secret) if header else None)
    expected = {
        None: "this server requires an API key (Authorization header)",
        "Digest abc": "use 'Authorization: Bearer <key_id>.<secret>' or Basic credentials",
    }.get(header, "invalid API key")
    assert refused.value.message == expected


def test_a_key_needs_a_valid_project_unless_it_is_an_admin_key(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys.json")
    for project in (None, ""):
        with pytest.raises(InvalidInput) as refused:
            ring.create(project, admin=False)
        assert refused.value.message == "a key needs a project unless it is an admin key"
    with pytest.raises(InvalidInput, match="1-128 letters"):
        ring.create("x/../escaped", admin=False)
    with pytest.raises(InvalidInput, match="1-128 letters"):
        ring.create("x/../escaped", admin=True)
    assert not (tmp_path / "keys.json").exists()
    assert ring.open_mode


def test_revoking_removes_that_key_only(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    ring = KeyRing(path)
    kept = ring.create("shop", admin=False)
    gone = ring.create("shop", admin=False)
    revoked = ring.revoke(gone.key_id)
    assert isinstance(revoked, StoredKey)
    assert (revoked.key_id, revoked.project, revoked.admin) == (gone.key_id, "shop", False)
    assert list(decode_key_file(path.read_text())) == [kept.key_id]
    with pytest.raises(Unauthenticated, match="invalid API key"):
        ring.authenticate(f"Bearer {gone.token}")
    assert ring.authenticate(f"Bearer {kept.token}").key_id == kept.key_id
    with pytest.raises(NotFound) as missing:
        ring.revoke(gone.key_id)
    assert missing.value.message == f"no key {gone.key_id!r} in {path}"


def test_revoking_reads_what_another_process_wrote(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    server = KeyRing(path, clock=ManualClock())
    cli = KeyRing(path)
    key = cli.create("shop", admin=False)
    server.revoke(key.key_id)  # the server never re-read the file, but revoking reads it first
    assert decode_key_file(path.read_text()) == {}
    second = KeyRing(path, clock=ManualClock())
    other = cli.create("shop", admin=False)  # the CLI ring kept nothing of the revoked key
    assert list(decode_key_file(path.read_text())) == [other.key_id]
    second.create("ops", admin=True)  # creating reads the file first too: both keys stay
    assert other.key_id in decode_key_file(path.read_text())


def test_keys_are_listed_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    entries = [
        {"key_id": f"tck_{n}", "project": "shop", "admin": False, "secret_sha256": "a" * 64, "created_at": at}
        for n, at in ((1, 30.0), (2, 10.0), (3, 20.0))
    ]
    path.write_text(json.dumps({"keys": entries}))
    assert [k.key_id for k in KeyRing(path).list()] == ["tck_2", "tck_3", "tck_1"]


# --- a running ring re-reading the file -------------------------------------------------------


def test_a_change_takes_effect_at_the_reload_interval_not_before(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    clock = ManualClock()
    server = KeyRing(path, clock=clock, reload_s=1.0)
    cli = KeyRing(path)
    key = cli.create("shop", admin=False)
    clock.advance(0.5)
    assert server.open_mode  # not looked at again yet
    assert server.authenticate(None) is OPEN
    clock.advance(0.5)  # exactly one interval since the ring was made
    assert not server.open_mode
    assert server.authenticate(f"Bearer {key.token}").project == "shop"
    # the interval counts from the last look, not from the start
    cli.revoke(key.key_id)
    later = cli.create("ops", admin=False)
    clock.advance(0.5)
    assert [k.key_id for k in server.list()] == [key.key_id]
    clock.advance(0.5)
    assert [k.key_id for k in server.list()] == [later.key_id]


def test_the_default_interval_is_one_second(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    clock = ManualClock()
    server = KeyRing(path, clock=clock)
    KeyRing(path).create("shop", admin=False)
    clock.advance(0.99)
    assert server.open_mode
    clock.advance(0.01)
    assert not server.open_mode


def test_an_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    clock = ManualClock()
    KeyRing(path).create("shop", admin=False)
    server = KeyRing(path, clock=clock)
    stamp = path.stat()
    path.write_text(path.read_text().replace('"shop"', '"shoq"'))  # same size
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # and the same modification time
    clock.advance(1)
    assert [k.project for k in server.list()] == ["shop"]
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1))
    clock.advance(1)
    assert [k.project for k in server.list()] == ["shoq"]


def test_a_corrupt_or_unreadable_file_at_start_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("{not json")
    with pytest.raises(KeyFileError) as corrupt:
        KeyRing(path)
    assert corrupt.value.message.startswith(f"{path} is not JSON (")
    path.write_bytes(b'{"keys": ["\xff"]}')
    with pytest.raises(KeyFileError) as unreadable:
        KeyRing(path)
    assert unreadable.value.message.startswith(f"{path} cannot be read (")
    path.write_text(json.dumps({"keys": [1]}))
    with pytest.raises(KeyFileError) as shape:
        KeyRing(path)
    assert shape.value.message == f"{path} key 0: must be an object"


def test_a_broken_file_keeps_the_last_good_keys_and_says_so_once_per_state(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "keys.json"
    clock = ManualClock()
    cli = KeyRing(path)
    key = cli.create("shop", admin=False)
    server = KeyRing(path, clock=clock)
    good = path.read_text()
    refusal = "refusing the new keys.json: {}; the 1 key(s) read before stay in force (no open mode)"
    caplog.set_level(logging.ERROR, logger=LOGGER)

    path.unlink()
    for _ in range(2):  # said once, however often the ring looks
        clock.advance(1)
        assert server.authenticate(f"Bearer {key.token}").key_id == key.key_id
        assert not server.open_mode
    assert _logged(caplog) == [refusal.format(f"{path} is gone")]

    caplog.clear()
    path.write_text("{not json")
    os.utime(path, ns=(10**18, 10**18))
    for _ in range(2):
        clock.advance(1)
        assert server.authenticate(f"Bearer {key.token}").key_id == key.key_id
    (line,) = _logged(caplog)
    assert line.startswith(f"refusing the new keys.json: {path} is not JSON (")
    assert line.endswith("; the 1 key(s) read before stay in force (no open mode)")

    caplog.clear()
    path.write_text(good)
    clock.advance(1)
    assert [k.key_id for k in server.list()] == [key.key_id]
    path.write_text("{not json")  # the very state refused before: said again, it is news now
    os.utime(path, ns=(10**18, 10**18))
    clock.advance(1)
    assert server.authenticate(f"Bearer {key.token}").key_id == key.key_id
    assert len(_logged(caplog)) == 1


def test_a_file_with_every_key_revoked_refuses_everything(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "keys.json"
    clock = ManualClock()
    cli = KeyRing(path)
    key = cli.create("shop", admin=False)
    server = KeyRing(path, clock=clock)
    caplog.set_level(logging.ERROR, logger=LOGGER)
    cli.revoke(key.key_id)
    clock.advance(1)
    assert not server.open_mode
    assert server.list() == []
    for header in (None, f"Bearer {key.token}"):
        with pytest.raises(Unauthenticated):
            server.authenticate(header)
    assert _logged(caplog) == [f"{path} holds no keys any more: every request is refused until a key is created"]

    caplog.clear()
    path.unlink()  # gone after being emptied: still closed, and said
    clock.advance(1)
    assert not server.open_mode
    with pytest.raises(Unauthenticated):
        server.authenticate(None)
    assert _logged(caplog) == [
        f"refusing the new keys.json: {path} is gone; the 0 key(s) read before stay in force (no open mode)"
    ]
    assert KeyRing(path).open_mode  # only a start without keys is open
