"""Request body decompression that never inflates past the size limit (no zip bombs)."""

from __future__ import annotations

import zlib

from tracechat.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

_WBITS = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": zlib.MAX_WBITS,
}
SUPPORTED = ("identity", "gzip", "deflate")


def decompress(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """The decoded body; ``PayloadTooLarge`` as soon as it would pass ``limit`` bytes."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        _check_size(len(body), limit)
        return body
    wbits = _WBITS.get(encoding)
    if wbits is None:
        raise UnsupportedMediaType(
            f"Content-Encoding {content_encoding!r} is not supported; use one of {', '.join(SUPPORTED)}"
        )
    try:
        return _inflate(body, wbits, limit)
    except zlib.error as exc:
        if encoding == "deflate":  # some clients send raw deflate without the zlib header
            try:
                return _inflate(body, -zlib.MAX_WBITS, limit)
            except zlib.error:
                pass
        raise InvalidInput(f"request body is not valid {encoding} data: {exc}") from None


def _inflate(body: bytes, wbits: int, limit: int) -> bytes:
    parts: list[bytes] = []
    produced = 0
    remaining = body
    while remaining:  # gzip allows several members one after another
        inflater = zlib.decompressobj(wbits)
        chunk = inflater.decompress(remaining, limit - produced + 1)
        produced += len(chunk)
        _check_size(produced, limit)
        parts.append(chunk)
        if not inflater.eof:
            raise zlib.error("compressed data is truncated")
        remaining = inflater.unused_data if wbits > zlib.MAX_WBITS else b""
    return b"".join(parts)


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise PayloadTooLarge(f"request body is larger than the limit of {limit} bytes after decompression")
