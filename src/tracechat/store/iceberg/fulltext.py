"""The full-text index of the Iceberg store: the conversation text of every span, in the
catalog's PostgreSQL (``tracechat_texts``, a GIN index over a ``tsvector``), so every node
searches all of it, whichever receiver stored it.

The text is written after the acknowledgement by an indexer that follows a queue of
committed batches (``textindex``): a span is searchable on every node a moment after its
commit is acknowledged, and a span another receiver stored first is left out.

Words are those of the DuckDB store's tantivy index (``store.search.analyzer``: split on
anything not a letter or digit, lowercased, accents folded, tokens over 64 characters left
out), written as ``tsvector`` and ``tsquery`` literals so that PostgreSQL's own parser never
splits them otherwise: a query's words match as they do there, every word in one piece of
text, or a "quoted phrase".
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Final

import psycopg
import pyarrow as pa

from tracechat.model.summaries import SpanMatch
from tracechat.store import search
from tracechat.store.texts import IndexedText, Rows

log = logging.getLogger(__name__)

TEXTS: Final = "tracechat_texts"
DDL: Final = f"""
CREATE TABLE IF NOT EXISTS {TEXTS} (
    project text NOT NULL,
    trace_id text NOT NULL,
    span_id text,
    field text NOT NULL,
    start_ns bigint NOT NULL,
    body text NOT NULL,
    words tsvector NOT NULL
);
CREATE INDEX IF NOT EXISTS {TEXTS}_words ON {TEXTS} USING gin (words);
CREATE INDEX IF NOT EXISTS {TEXTS}_by_trace ON {TEXTS} (project, trace_id);
"""
MAX_WORDS: Final = 10_000
"""Words of one piece of text that are searchable (a ``tsvector`` holds 16,383 positions
and 1 MB): the first ones; the rest of a longer tool result is not found by its words."""
MAX_TRACES: Final = search.MAX_TRACES
_MAX_POSITIONS: Final = 255
_SNIPPET_CHARS: Final = 160

_local = threading.local()


def words(text: str) -> list[str]:
    """``text``'s words as the index keeps them."""
    analyzer = getattr(_local, "analyzer", None)
    if analyzer is None:
        analyzer = _local.analyzer = search.analyzer()
    found: list[str] = analyzer.analyze(text)
    return found


# -- writing -----------------------------------------------------------------------------------


def rows(table: pa.Table | None, columns: Sequence[str]) -> Rows:
    """``table``'s rows as tuples of ``columns`` (what the text worker takes)."""
    if table is None or not table.num_rows:
        return []
    return list(zip(*(table.column(name).to_pylist() for name in columns), strict=True))


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector(text: str) -> str:
    """``text``'s words as a ``tsvector`` literal: each word once, with its positions (at most
    255, PostgreSQL's limit per word), so PostgreSQL's own parser never splits them."""
    positions: dict[str, list[str]] = {}
    for position, word in enumerate(words(text)[:MAX_WORDS], 1):
        held = positions.setdefault(word, [])
        if len(held) < _MAX_POSITIONS:
            held.append(str(position))
    return " ".join(f"{_lexeme(word)}:{','.join(held)}" for word, held in positions.items())


def insert(con: psycopg.Connection[tuple[Any, ...]], texts: Iterable[IndexedText]) -> None:
    """Write ``texts`` in the caller's transaction (one ``COPY``)."""
    columns = "project, trace_id, span_id, field, start_ns, body, words"
    with con.cursor() as cursor, cursor.copy(f"COPY {TEXTS} ({columns}) FROM STDIN") as copy:
        for t in texts:  # PostgreSQL's text holds no NUL
            copy.write_row(
                (t.project, t.trace_id, t.span_id, t.field, t.start_ns, t.text.replace("\0", ""), tsvector(t.text))
            )


# -- searching ---------------------------------------------------------------------------------


def query(text: str) -> str | None:
    """The ``tsquery`` expression (over one parameter, the words) for a search, or None when
    ``text`` has no word to look for; the parameter is ``query_words(text)``."""
    return "%s::tsquery" if words(text) else None


def query_words(text: str) -> str:
    """The ``tsquery`` literal of a search: every word, or the words as a phrase."""
    found = words(text)
    return (" <-> " if search.is_phrase(text, found) else " & ").join(map(_lexeme, found))


def matching_traces(project: str, text: str, since_ns: int | None) -> tuple[str, list[Any]] | None:
    """A subquery of the trace ids of ``project`` with a piece of text that matches (the
    ``MAX_TRACES`` newest), and its parameters; None when ``text`` has no word."""
    tsquery = query(text)
    if tsquery is None:
        return None
    since = " AND start_ns >= %s" if since_ns is not None else ""
    params: list[Any] = [project, query_words(text), *([since_ns] if since_ns is not None else []), MAX_TRACES]
    subquery = (
        f"SELECT trace_id FROM {TEXTS} WHERE project = %s AND words @@ {tsquery}{since}"
        " GROUP BY trace_id ORDER BY max(start_ns) DESC LIMIT %s"
    )
    return subquery, params


def matches(
    con: psycopg.Connection[tuple[Any, ...]], project: str, text: str, trace_ids: list[str], per_trace: int
) -> dict[str, list[SpanMatch]]:
    """For each of ``trace_ids`` with text that matches: its best pieces, with a snippet."""
    tsquery = query(text)
    if tsquery is None or not trace_ids:
        return {}
    rows = con.execute(
        "SELECT trace_id, span_id, field, body FROM ("
        f" SELECT trace_id, span_id, field, body, row_number() OVER (PARTITION BY trace_id"
        f"   ORDER BY ts_rank(words, given.q) DESC, start_ns, span_id) AS n"
        f" FROM {TEXTS}, (SELECT {tsquery} AS q) AS given"
        " WHERE project = %s AND trace_id = ANY(%s) AND words @@ given.q"
        ") AS ranked WHERE n <= %s ORDER BY trace_id, n",
        [query_words(text), project, trace_ids, per_trace],
    ).fetchall()
    found: dict[str, list[SpanMatch]] = {}
    wanted = words(text)
    for trace_id, span_id, field, body in rows:
        match = SpanMatch.model_validate({"span_id": span_id, "field": field, "snippet": snippet(body, wanted)})
        found.setdefault(trace_id, []).append(match)
    return found


def _folded(text: str) -> str:
    """``text`` lowercased and accents dropped, character for character (offsets kept)."""
    return "".join((unicodedata.normalize("NFKD", c)[:1] or c).lower()[:1] or c for c in text)


def snippet(body: str, wanted: list[str]) -> str:
    """``body`` whole when short, else about 160 characters around its first matched word."""
    if len(body) <= _SNIPPET_CHARS:
        return body
    folded = _folded(body)
    first = len(body)
    for word in wanted:
        found = re.search(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", folded)
        if found is not None:
            first = min(first, found.start())
    if first == len(body):
        first = 0
    start = max(0, min(first - _SNIPPET_CHARS // 3, len(body) - _SNIPPET_CHARS))
    if start:  # begin at a word
        space = body.find(" ", start, first) if first > start else -1
        start = space + 1 if space >= 0 else start
    fragment = body[start : start + _SNIPPET_CHARS]
    if start + _SNIPPET_CHARS < len(body) and " " in fragment:
        fragment = fragment[: fragment.rfind(" ")]
    return fragment.strip()
