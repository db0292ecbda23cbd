"""keys.json is decoded strictly: a file that is not a list of well-formed keys is refused
whole, saying what is wrong, never read as "no keys" (open mode)."""

from __future__ import annotations

import json

import pytest

from tracechat.auth.keyfile import KeyFileError, StoredKey, decode_key_file, encode_key_file

GOOD = {"key_id": "tck_1", "project": "shop", "admin": False, "secret_sha256": "a" * 64, "created_at": 1.5}


def _file(*keys: object) -> str:
    return json.dumps({"keys": list(keys)})


def test_a_good_file_round_trips() -> None:
    admin = {**GOOD, "key_id": "tck_2", "project": None, "admin": True}
    keys = decode_key_file(_file(GOOD, admin))
    assert keys == {
        "tck_1": StoredKey("tck_1", "shop", False, "a" * 64, 1.5),
        "tck_2": StoredKey("tck_2", None, True, "a" * 64, 1.5),
    }
    assert decode_key_file(encode_key_file(keys)) == keys
    assert decode_key_file(_file()) == {}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is not JSON"),
        ("{not json", "is not JSON"),
        ("[]", 'must be a JSON object {"keys": [...]}'),
        ('{"keys": {"tck_1": 1}}', 'must be a JSON object {"keys": [...]}'),
        (_file("tck_1"), "key 0: must be an object"),
        (_file({**GOOD, "key_id": ""}), "key 0: key_id must be a non-empty string"),
        (_file({**GOOD, "admin": "no"}), "key 'tck_1': admin must be true or false"),
        (_file({**GOOD, "secret_sha256": "secret"}), "secret_sha256 must be 64 lowercase hexadecimal digits"),
        (_file({**GOOD, "created_at": "today"}), "created_at must be a number"),
        (_file({**GOOD, "created_at": True}), "created_at must be a number"),
        (_file({**GOOD, "project": None}), "a key needs a project unless it is an admin key"),
        (_file({**GOOD, "project": 7}), "project must be a string"),
        (_file({**GOOD, "project": "x/../../escaped"}), "must be 1-128 letters"),
        (_file({**GOOD, "project": "shop:analyst"}), "kept for the trace analyst"),
        (_file(GOOD, GOOD), "the id 'tck_1' appears twice"),
    ],
)
def test_a_malformed_file_is_refused_saying_why(text: str, says: str) -> None:
    with pytest.raises(KeyFileError) as refused:
        decode_key_file(text)
    assert says in refused.value.message
