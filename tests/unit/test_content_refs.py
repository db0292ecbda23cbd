"""Content too large or too binary to inline: stored once per trace, named by span and digest."""

from __future__ import annotations

import hashlib

from tracechat.genai.types import Media
from tracechat.query.content import PREVIEW_CHARS, TEXT_LIMIT, Content, ContentRefs

TRACE = "ab" * 16


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def test_inline_media_is_stored_as_its_bytes_under_its_type() -> None:
    refs = ContentRefs(TRACE)
    png = Media(modality="image", mime_type="image/png", data=b"\x89PNG")
    ref = refs.media("00000000000000aa", png)
    assert ref == f"{TRACE}.00000000000000aa.{_digest(png.data or b'')}"
    assert refs.found == {ref: Content(b"\x89PNG", "image/png")}
    untyped = refs.media("00000000000000aa", Media(data=b"\x00\x01"))
    assert refs.found[untyped] == Content(b"\x00\x01", "application/octet-stream")


def test_a_media_pointer_is_stored_as_the_json_of_what_it_names() -> None:
    refs = ContentRefs(TRACE)
    pointer = Media(modality="image", mime_type="image/jpeg", uri="https://example.com/a.jpg", file_id="file-1")
    ref = refs.media("00000000000000bb", pointer)
    document = (
        b'{"file_id": "file-1", "mime_type": "image/jpeg", "modality": "image", "uri": "https://example.com/a.jpg"}'
    )
    assert ref == f"{TRACE}.00000000000000bb.{_digest(document)}"
    assert refs.found == {ref: Content(document, "application/json")}
    only_uri = refs.media("00000000000000bb", Media(uri="s3://b/k"))
    assert refs.found[only_uri] == Content(b'{"uri": "s3://b/k"}', "application/json")


def test_the_same_content_twice_is_stored_once_and_the_first_type_kept() -> None:
    refs = ContentRefs(TRACE)
    first = refs.add("00000000000000cc", b"same", "text/plain")
    again = refs.add("00000000000000cc", b"same", "application/octet-stream")
    assert first == again
    assert refs.found == {first: Content(b"same", "text/plain")}


def test_text_is_inline_up_to_the_limit_then_a_preview_and_a_reference() -> None:
    refs = ContentRefs(TRACE)
    kept: list[str] = []
    assert refs.text("00000000000000dd", "x" * TEXT_LIMIT, kept) == "x" * TEXT_LIMIT
    assert refs.text("00000000000000dd", None, kept) is None
    assert kept == []
    assert refs.found == {}
    long = "y" * (TEXT_LIMIT + 1)
    preview = refs.text("00000000000000dd", long, kept)
    assert preview == "y" * PREVIEW_CHARS + f"… [{TEXT_LIMIT + 1} characters; the whole text is in content_refs]"
    assert kept == [f"{TRACE}.00000000000000dd.{_digest(long.encode())}"]
    assert refs.found[kept[0]] == Content(long.encode(), "text/plain; charset=utf-8")
