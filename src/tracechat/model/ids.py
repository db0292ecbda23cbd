"""Trace and span ids, as the lowercase hex strings every API and file shows."""

from __future__ import annotations

import re

from tracechat.errors import InvalidInput

TRACE_ID_BYTES = 16
SPAN_ID_BYTES = 8
_HEX = re.compile(r"[0-9a-f]*")


def id_problem(raw: bytes, size: int, what: str) -> str | None:
    """Say what is wrong with a binary id, or None when it is a valid one."""
    if len(raw) != size:
        return f"{what} must be {size} bytes, got {len(raw)}"
    if not any(raw):
        return f"{what} is all zeros"
    return None


def parse_hex_id(text: str, size: int, what: str) -> str:
    """Validate a hex id given by a user and return it lowercased."""
    value = text.strip().lower()
    if len(value) != 2 * size or not _HEX.fullmatch(value):
        raise InvalidInput(f"{what} must be {2 * size} hexadecimal digits, got {text!r}")
    if not value.strip("0"):
        raise InvalidInput(f"{what} is all zeros")
    return value


def parse_trace_id(text: str) -> str:
    return parse_hex_id(text, TRACE_ID_BYTES, "trace_id")


def parse_span_id(text: str) -> str:
    return parse_hex_id(text, SPAN_ID_BYTES, "span_id")
