from __future__ import annotations

import gzip
import zlib

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
