"""keys.json under attack or damage, through real servers: a server started closed stays
closed whatever happens to the file; a corrupt file is a clear error at start and, while
running, is refused with a log line while the last good keys stay in force; keys are
listed and revoked from the command line."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.clocks import ManualClock
from tests.servers import InProcessServer, settings_for_test
from tracechat.auth.keys import KeyRing, NewKey

REFUSED = "refusing the new keys.json"


def _tracechat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracechat", *args], capture_output=True, text=True, timeout=60)


class ClosedServer:
    """A real server started with one key for project shop, and a clock for its key reloads."""

    def __init__(self, data_dir: Path) -> None:
        self.keys_path = data_dir / "keys.json"
        self.key: NewKey = KeyRing(self.keys_path).create(project="shop", admin=False)
        self.clock = ManualClock()
        self.server = InProcessServer(settings_for_test(data_dir), clock=self.clock)

    def status(self, key: NewKey | None = None) -> int:
        headers = {"Authorization": f"Bearer {key.token}"} if key else {}
        return httpx.get(f"{self.server.api}/agents/traces", headers=headers, timeout=30).status_code

    def reread(self) -> None:
        self.clock.advance(1.0)


@pytest.fixture
def closed(tmp_path: Path) -> Iterator[ClosedServer]:
    running = ClosedServer(tmp_path / "data")
    yield running
    running.server.stop()


def _deleted(path: Path) -> None:
    path.unlink()


def _emptied(path: Path) -> None:
    path.write_text("")


def _garbled(path: Path) -> None:
    path.write_text('{"keys": [{"key_id": "tck_1", "project": ')


def _wrong_shape(path: Path) -> None:
    path.write_text('{"keys": {"tck_1": "admin"}}')


@pytest.mark.parametrize("damage", [_deleted, _emptied, _garbled, _wrong_shape])
def test_a_closed_server_stays_closed_when_keys_json_is_damaged(
    closed: ClosedServer, damage: Callable[[Path], None], caplog: pytest.LogCaptureFixture
) -> None:
    assert closed.status() == 401
    with caplog.at_level(logging.ERROR, logger="tracechat.auth.keys"):
        damage(closed.keys_path)
        closed.reread()
        assert closed.status() == 401, "a request without a key must still be refused"
        assert closed.status(closed.key) == 200, "the last good keys stay in force"
        closed.reread()
        assert closed.status() == 401
    refusals = [r.getMessage() for r in caplog.records if REFUSED in r.getMessage()]
    assert len(refusals) == 1, refusals  # once per state of the file, not once a second
    assert "1 key(s) read before stay in force" in refusals[0]


def test_a_repaired_keys_json_is_read_again(closed: ClosedServer) -> None:
    good = closed.keys_path.read_text()
    _garbled(closed.keys_path)
    closed.reread()
    assert closed.status(closed.key) == 200
    other = KeyRing(closed.keys_path.with_name("other.json")).create(project="shop", admin=False)
    closed.keys_path.write_text(good)
    added = KeyRing(closed.keys_path).create(project="shop", admin=False)
    closed.reread()
    assert closed.status(added) == 200
    assert closed.status(other) == 401


def test_a_revoked_key_is_refused_and_the_others_still_work(closed: ClosedServer) -> None:
    second = KeyRing(closed.keys_path).create(project="shop", admin=False)
    closed.reread()
    assert closed.status(second) == 200
    data_dir = str(closed.keys_path.parent)
    result = _tracechat("keys", "revoke", closed.key.key_id, "--data-dir", data_dir)
    assert result.returncode == 0, result.stderr
    assert f"revoked {closed.key.key_id}" in result.stdout
    closed.reread()
    assert closed.status(closed.key) == 401
    assert closed.status(second) == 200
    again = _tracechat("keys", "revoke", closed.key.key_id, "--data-dir", data_dir)
    assert again.returncode == 2
    assert f"no key {closed.key.key_id!r}" in again.stderr


def test_revoking_the_last_key_refuses_everything_instead_of_opening(closed: ClosedServer) -> None:
    result = _tracechat("keys", "revoke", closed.key.key_id, "--data-dir", str(closed.keys_path.parent))
    assert result.returncode == 0, result.stderr
    assert "no keys are left" in result.stderr
    closed.reread()
    assert closed.status(closed.key) == 401
    assert closed.status() == 401
    assert not closed.server.service.keys.open_mode


def test_a_corrupt_keys_json_is_a_clear_error_at_start(tmp_path: Path) -> None:
    (tmp_path / "keys.json").write_text("{not json")
    result = _tracechat(
        "serve", "--data-dir", str(tmp_path), "--port", "0", "--grpc-port", "0", "--otlp-http-port", "0"
    )
    assert result.returncode == 2
    assert "keys.json is not JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_keys_list_shows_each_key_and_refuses_a_corrupt_file(tmp_path: Path) -> None:
    keys = KeyRing(tmp_path / "keys.json")
    shop = keys.create(project="shop", admin=False)
    admin = keys.create(project=None, admin=True)
    listed = _tracechat("keys", "list", "--data-dir", str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [f"{shop.key_id}  project=shop", f"{admin.key_id}  admin"]
    assert shop.secret not in listed.stdout
    (tmp_path / "keys.json").write_text('{"keys": [{"key_id": "tck_1"}]}')
    broken = _tracechat("keys", "list", "--data-dir", str(tmp_path))
    assert broken.returncode == 2
    assert "key 'tck_1': admin must be true or false" in broken.stderr
