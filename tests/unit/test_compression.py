from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable

import pytest

from tracechat.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from tracechat.ingest.compression import decompress

BODY = b"otlp " * 1000


def test_identity_and_missing_header() -> None:
    assert decompress(BODY, None, len(BODY)) == BODY
    assert decompress(BODY, "identity", len(BODY)) == BODY


def test_gzip_deflate_and_multi_member_gzip() -> None:
    assert decompress(gzip.compress(BODY), "gzip", len(BODY)) == BODY
    assert decompress(zlib.compress(BODY), "Deflate", len(BODY)) == BODY
    assert decompress(gzip.compress(BODY) + gzip.compress(BODY), "gzip", 2 * len(BODY)) == BODY * 2


def test_limit_counts_inflated_bytes() -> None:
    with pytest.raises(PayloadTooLarge):
        decompress(gzip.compress(BODY), "gzip", len(BODY) - 1)
    with pytest.raises(PayloadTooLarge):
        decompress(gzip.compress(BODY) * 2, "gzip", len(BODY) + 10)
    with pytest.raises(PayloadTooLarge):
        decompress(BODY, None, 10)


def test_corrupt_and_unknown() -> None:
    with pytest.raises(InvalidInput, match="not valid gzip"):
        decompress(b"not gzip", "gzip", 100)
    with pytest.raises(InvalidInput, match="truncated"):
        decompress(gzip.compress(BODY)[:30], "gzip", len(BODY))
    with pytest.raises(UnsupportedMediaType):
        decompress(BODY, "zstd", len(BODY))


def _raw_deflate(data: bytes) -> bytes:
    squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return squeezer.compress(data) + squeezer.flush()


def test_raw_deflate_without_the_zlib_header_is_inflated() -> None:
    assert decompress(_raw_deflate(BODY), "deflate", len(BODY)) == BODY


def test_deflate_that_is_neither_zlib_nor_raw_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not valid deflate"):
        decompress(b"\xff" * 40, "deflate", 100)
    with pytest.raises(InvalidInput, match="not valid deflate"):
        decompress(_raw_deflate(BODY)[:20], "deflate", len(BODY))


def test_x_gzip_is_gzip() -> None:
    assert decompress(gzip.compress(BODY), "x-gzip", len(BODY)) == BODY
    assert decompress(gzip.compress(BODY), " X-GZIP ", len(BODY)) == BODY


def test_trailing_garbage_is_refused_after_deflate_as_after_gzip() -> None:
    with pytest.raises(InvalidInput, match="after the end"):
        decompress(zlib.compress(BODY) + b"garbage", "deflate", len(BODY))
    with pytest.raises(InvalidInput, match="after the end"):
        decompress(_raw_deflate(BODY) + b"garbage", "deflate", len(BODY))
    with pytest.raises(InvalidInput, match="not valid gzip"):
        decompress(gzip.compress(BODY) + b"garbage", "gzip", len(BODY))


def test_an_empty_body_is_not_gzip_or_deflate_data() -> None:
    for encoding in ("gzip", "deflate"):
        with pytest.raises(InvalidInput, match="empty"):
            decompress(b"", encoding, 100)


def test_members_are_bounded_and_inflated_in_linear_time() -> None:
    empty_member = gzip.compress(b"", mtime=0)
    assert decompress(empty_member * 100, "gzip", 100, max_members=100) == b""
    with pytest.raises(InvalidInput, match="more than 100 gzip members"):
        decompress(empty_member * 101, "gzip", 100, max_members=100)
    # Linear: 30,000 members read member by member (no cap) copy a small window each,
    # not the rest of the 6 MB body each (which took 23 s). Counted, not timed: the bytes
    # handed to zlib stay within a constant factor of the body.
    bomb = empty_member * 30_000
    fed = _bytes_fed_to_zlib(lambda: decompress(bomb, "gzip", 100, max_members=10**9))
    assert fed < 100 * len(bomb)


def test_inflating_stops_at_the_deadline() -> None:
    ticks = iter(range(1000))
    with pytest.raises(PayloadTooLarge, match="more than 5 s"):
        decompress(gzip.compress(os.urandom(1 << 20)), "gzip", 2 << 20, max_seconds=5, clock=lambda: next(ticks))


def _bytes_fed_to_zlib(run: Callable[[], object]) -> int:
    fed = 0
    real = zlib.decompressobj

    class Counting:
        def __init__(self, wbits: int) -> None:
            self._inner = real(wbits)

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            nonlocal fed
            fed += len(data)
            return self._inner.decompress(data, max_length)

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zlib, "decompressobj", Counting)
        run()
    return fed
