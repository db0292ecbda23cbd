"""One model, one name: a dated snapshot (``gpt-4o-mini-2024-07-18``,
``claude-3-5-sonnet@20240620``, ``gpt-4-0613``) is counted and listed as its model
(``gpt-4o-mini``), so the request name and the response name of one call are one model."""

from __future__ import annotations

import re

SNAPSHOT_SUFFIX = r"[-@](?:\d{4}-\d{2}-\d{2}|20\d{6}|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))$"
"""A date at the end of a model name; the same pattern in Python and in DuckDB (RE2)."""
_SNAPSHOT = re.compile(SNAPSHOT_SUFFIX)

MODEL_OF_SPAN_SQL = f"regexp_replace(coalesce(response_model, request_model), '{SNAPSHOT_SUFFIX}', '')"
"""A span's model in statistics and lists: the response model when recorded (what ran),
else the request's, without its snapshot date."""


def model_family(name: str) -> str:
    return _SNAPSHOT.sub("", name) or name
