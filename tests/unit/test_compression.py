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
    return _through_zlib(run)[0]


def _through_zlib(run: Callable[[], object]) -> tuple[int, int]:
    """Bytes handed to zlib and bytes it handed back while ``run`` ran."""
    fed = produced = 0
    real = zlib.decompressobj

    class Counting:
        def __init__(self, wbits: int) -> None:
            self._inner = real(wbits)

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            nonlocal fed, produced
            fed += len(data)
            out = self._inner.decompress(data, max_length)
            produced += len(out)
            return out

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zlib, "decompressobj", Counting)
        run()
    return fed, produced


# --- what each refusal says, and the edges of each bound ---------------------------------


def _refusal(kind: type[Exception], body: bytes, encoding: str | None, limit: int, **bounds: object) -> str:
    with pytest.raises(kind) as refused:
        decompress(body, encoding, limit, **bounds)  # type: ignore[arg-type]
    message = getattr(refused.value, "message", "")
    assert isinstance(message, str)
    return message


def test_a_blank_encoding_is_identity() -> None:
    assert decompress(BODY, "  ", len(BODY)) == BODY
    assert decompress(BODY, "", len(BODY)) == BODY
    assert decompress(BODY, " Identity ", len(BODY)) == BODY


def test_each_refusal_says_what_is_wrong() -> None:
    assert _refusal(UnsupportedMediaType, BODY, "zstd", len(BODY)) == (
        "Content-Encoding 'zstd' is not supported; use one of identity, gzip, deflate"
    )
    assert _refusal(InvalidInput, b"", "x-gzip", 100) == "request body is empty, which is not valid x-gzip data"
    too_large = "request body is larger than the limit of {} bytes after decompression"
    assert _refusal(PayloadTooLarge, BODY, None, 10) == too_large.format(10)
    assert _refusal(PayloadTooLarge, gzip.compress(BODY), "gzip", 4999) == too_large.format(4999)
    assert _refusal(PayloadTooLarge, _raw_deflate(BODY), "deflate", 4000) == too_large.format(4000)
    truncated = _refusal(InvalidInput, gzip.compress(BODY)[:30], "gzip", len(BODY))
    assert truncated == "request body is not valid gzip data: compressed data is truncated"
    not_zlib = _refusal(InvalidInput, b"\xff" * 40, "deflate", 100)
    assert not_zlib.startswith("request body is not valid deflate data: Error -3 while decompressing data: ")
    assert _refusal(InvalidInput, zlib.compress(BODY) + b"garbage", "deflate", len(BODY)) == (
        "request body has 7 bytes after the end of the deflate stream"
    )
    empty_member = gzip.compress(b"", mtime=0)
    assert _refusal(InvalidInput, empty_member * 4, "gzip", 100, max_members=3) == (
        "request body has more than 3 gzip members"
    )


def test_the_limit_is_inclusive_across_members_and_chunks() -> None:
    noise = os.urandom(300_000)  # incompressible: inflated over many windows and chunks
    assert decompress(gzip.compress(noise), "gzip", len(noise)) == noise
    assert decompress(_raw_deflate(noise), "deflate", len(noise)) == noise
    assert decompress(gzip.compress(noise) * 2, "gzip", 2 * len(noise)) == noise * 2
    with pytest.raises(PayloadTooLarge):
        decompress(gzip.compress(noise) * 2, "gzip", 2 * len(noise) - 1)
    with pytest.raises(PayloadTooLarge):
        decompress(_raw_deflate(noise), "deflate", len(noise) - 1)


def test_the_default_bounds() -> None:
    empty_member = gzip.compress(b"", mtime=0)
    assert decompress(empty_member * 100, "gzip", 100) == b""
    with pytest.raises(InvalidInput, match="more than 100 gzip members"):
        decompress(empty_member * 101, "gzip", 100)
    ticks = iter(range(1000))
    with pytest.raises(PayloadTooLarge, match="more than 10 s"):
        decompress(gzip.compress(os.urandom(1 << 20)), "gzip", 2 << 20, clock=lambda: next(ticks))


def _clock(*readings: float) -> Callable[[], float]:
    """Gives the readings in turn, then the last one for ever."""
    given = iter(readings)
    last = [readings[-1]]

    def read() -> float:
        last[0] = next(given, last[0])
        return last[0]

    return read


def test_the_deadline_is_inclusive_and_raw_deflate_gets_its_own() -> None:
    noise = os.urandom(100_000)
    # started at 0 with 5 s: still at 5 when done is in time, past it is not
    assert decompress(gzip.compress(noise), "gzip", len(noise), max_seconds=5, clock=_clock(0, 5)) == noise
    with pytest.raises(PayloadTooLarge, match=r"^request body took more than 5 s to decompress$"):
        decompress(gzip.compress(noise), "gzip", len(noise), max_seconds=5, clock=_clock(0, 5.5))
    with pytest.raises(PayloadTooLarge, match=r"^request body took more than 2.5 s to decompress$"):
        decompress(gzip.compress(noise), "gzip", len(noise), max_seconds=2.5, clock=_clock(0, 3))
    # raw deflate is tried after the zlib attempt failed at 10: its 5 s start then
    raw = _raw_deflate(noise)
    assert decompress(raw, "deflate", len(noise), max_seconds=5, clock=_clock(0, 10, 15)) == noise
    with pytest.raises(PayloadTooLarge, match="more than 5 s"):
        decompress(raw, "deflate", len(noise), max_seconds=5, clock=_clock(0, 10, 15.5))


def test_a_bomb_is_inflated_no_further_than_one_byte_past_the_limit() -> None:
    """Memory, not only the answer: zlib is never asked for more than the limit leaves (plus
    the one byte that tells "too large" from "exactly the limit"), across members too."""
    bomb = gzip.compress(bytes(10 << 20))  # 10 MiB of zeros in about 10 KB
    first = gzip.compress(b"a" * 500)

    def inflate(body: bytes) -> None:
        with pytest.raises(PayloadTooLarge):
            decompress(body, "gzip", 1000)

    assert _through_zlib(lambda: inflate(bomb))[1] == 1001
    assert _through_zlib(lambda: inflate(first + bomb))[1] == 1001
    assert _through_zlib(lambda: decompress(first, "gzip", 500))[1] == 500
