"""The full-text index of what was said in each trace: a tantivy index beside the DuckDB
file (``<data-dir>/search/v1``), filled by ``store.indexer`` from committed batches.

One document per piece of conversation text of a span (``genai.searchable``): its project,
trace and span, which field it is, its text (stored, for snippets) and the span's start
time. A separate progress document holds the last store batch whose text is in the index;
it is replaced in the same tantivy commit as the documents it accounts for, so after a
crash the index knows exactly where to resume. Beside it, one document per batch whose text
failed (``store.textretry``: backing off, or dead), also replaced in that commit: its batch
number, and its attempts, when it is due and its last error as JSON in the stored ``text``
(no project: no search finds it). So a batch passed over while it fails is remembered as
surely as the progress past it, and no new schema was needed.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Document, FieldType, Occur, Query

from tracechat.model.summaries import SpanMatch
from tracechat.store.texts import IndexedText

VERSION = "v1"
"""A new schema gets a new directory: the old index is removed and the new one is built
from the store (catch-up from batch 0)."""

_ANALYZER = "conversation"
_WRITER_HEAP_BYTES = 64_000_000
_SNIPPET_CHARS = 160
MAX_TRACES = 50_000
"""A text search narrows the trace list to at most this many traces of the project (the
newest, by span start, when more match), so that combining it with the list's other
filters stays one query. tantivy refuses aggregations of more than 65,000 buckets."""


_MAX_FAILING = 1_000_000


@dataclass(frozen=True, slots=True)
class Failing:
    """A batch whose text failed (``store.textretry``), as the index remembers it."""

    attempts: int
    retry_at: float
    """When it is due again (Unix seconds)."""
    dead_at: float | None
    """When it was given up on (Unix seconds); None while it backs off."""
    last_error: str


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name, stored in (("project", False), ("span_id", True), ("field", True), ("kind", False)):
        builder.add_text_field(name, stored=stored, tokenizer_name="raw", index_option="basic")
    # fast: the trace list collects matching trace ids by aggregating over this column
    builder.add_text_field("trace_id", stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("text", stored=True, tokenizer_name=_ANALYZER)
    builder.add_integer_field("start_ns", indexed=True, fast=True)
    builder.add_integer_field("batch", stored=True, indexed=True)
    return builder.build()


def analyzer() -> tantivy.TextAnalyzer:
    """Words split on anything not a letter or digit, lowercased, accents folded
    ("São" finds "sao" and the other way round), very long tokens (base64, hashes) left out."""
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    for step in (tantivy.Filter.remove_long(64), tantivy.Filter.lowercase(), tantivy.Filter.ascii_fold()):
        builder = builder.filter(step)
    return builder.build()


class SearchIndex:
    """The index on disk. ``add`` and ``commit`` are for one writing thread (the indexer);
    the searches may run on any thread at the same time."""

    def __init__(self, root: Path) -> None:
        directory = root / VERSION
        _remove_other_versions(root)
        directory.mkdir(parents=True, exist_ok=True)
        self._schema = _schema()
        self._analyzer = analyzer()
        self._index = tantivy.Index(self._schema, path=str(directory))
        self._index.register_tokenizer(_ANALYZER, self._analyzer)
        self._index.config_reader("manual")  # reloaded right after each commit, below
        self._writer = self._index.writer(_WRITER_HEAP_BYTES, 1)
        self._lock = threading.Lock()

    # -- writing (the indexer thread) ---------------------------------------------------------

    def indexed_batch(self) -> int:
        """The last store batch whose text is in the index (0: none)."""
        searcher = self._index.searcher()
        found = searcher.search(Query.term_query(self._schema, "kind", "progress"), 1)
        if not found.hits:
            return 0
        value = searcher.doc(found.hits[0][1]).get_first("batch")
        return int(value) if value is not None else 0

    def failing(self) -> dict[int, Failing]:
        """The batches whose text failed, as last committed (``commit``)."""
        searcher = self._index.searcher()
        found = searcher.search(Query.term_query(self._schema, "kind", "failing"), _MAX_FAILING)
        batches: dict[int, Failing] = {}
        for _, address in found.hits:
            document = searcher.doc(address)
            batch, state = document.get_first("batch"), document.get_first("text")
            if batch is not None and state is not None:
                batches[int(batch)] = Failing(**json.loads(str(state)))
        return batches

    def add(self, texts: Iterable[IndexedText]) -> int:
        added = 0
        for piece in texts:
            document = Document(
                project=piece.project,
                trace_id=piece.trace_id,
                field=piece.field,
                text=piece.text,
                start_ns=piece.start_ns,
            )
            if piece.span_id is not None:
                document.add_text("span_id", piece.span_id)
            self._writer.add_document(document)
            added += 1
        return added

    def commit(self, batch: int, failing: Mapping[int, Failing]) -> None:
        """Make everything added searchable, together with the new progress (``batch``) and
        the batches whose text failed (``failing``, in place of those committed before)."""
        with self._lock:
            self._writer.delete_documents_by_term("kind", "progress")
            self._writer.delete_documents_by_term("kind", "failing")
            self._writer.add_document(Document(kind="progress", batch=batch))
            for number, state in failing.items():
                self._writer.add_document(Document(kind="failing", batch=number, text=json.dumps(asdict(state))))
            self._writer.commit()
            self._index.reload()

    def rollback(self) -> None:
        """Drop what was added since the last commit."""
        with self._lock:
            self._writer.rollback()

    def close(self) -> None:
        """Drop what was added and not committed; the next start indexes it again."""
        with self._lock:
            self._writer.rollback()
            self._writer.wait_merging_threads()

    # -- searching ----------------------------------------------------------------------------

    def text_query(self, text: str) -> Query | None:
        """Every word of ``text`` must occur in one piece of text; a text in double quotes
        must occur as that phrase (``is_phrase``). None when ``text`` has no word to look for."""
        words = self._analyzer.analyze(text)
        if not words:
            return None
        if is_phrase(text, words):
            return Query.phrase_query(self._schema, "text", list(words))
        return Query.boolean_query([(Occur.Must, Query.term_query(self._schema, "text", w)) for w in words])

    def trace_ids(self, project: str, text: str, since_ns: int | None = None) -> list[str]:
        """Traces of ``project`` with a span whose text matches, at most ``MAX_TRACES``, in
        no particular order. ``since_ns`` leaves out spans that started before it (no trace
        that starts at or after it has one)."""
        query = self.text_query(text)
        if query is None:
            return []
        conditions = [self._project(project), (Occur.Must, query)]
        if since_ns is not None:
            since = Query.range_query(self._schema, "start_ns", FieldType.Integer, since_ns, None)
            conditions.append((Occur.Must, since))
        matching = Query.boolean_query(conditions)
        found = self._aggregate(matching, {"terms": {"field": "trace_id", "size": MAX_TRACES}})
        if len(found) == MAX_TRACES:  # more match: keep the newest (an aggregation 3x as slow)
            terms = {"field": "trace_id", "size": MAX_TRACES, "order": {"newest": "desc"}}
            found = self._aggregate(matching, {"terms": terms, "aggs": {"newest": {"max": {"field": "start_ns"}}}})
        return found

    def _aggregate(self, query: Query, traces: dict[str, Any]) -> list[str]:
        """The trace ids of the buckets of a terms aggregation (run without the GIL)."""
        result: dict[str, Any] = self._index.searcher().aggregate(query, {"traces": traces})
        return [str(bucket["key"]) for bucket in result["traces"]["buckets"]]

    def matches(self, project: str, text: str, trace_ids: list[str], per_trace: int) -> dict[str, list[SpanMatch]]:
        """For each of the traces with text that matches: its pieces that do, best first,
        with a snippet."""
        query = self.text_query(text)
        if query is None or not trace_ids:
            return {}
        searcher = self._index.searcher()
        snippets = tantivy.SnippetGenerator.create(searcher, query, self._schema, "text")
        snippets.set_max_num_chars(_SNIPPET_CHARS)
        found: dict[str, list[SpanMatch]] = {}
        for trace_id in trace_ids:
            of_trace = (Occur.Must, Query.term_query(self._schema, "trace_id", trace_id))
            conditions = [self._project(project), of_trace, (Occur.Must, query)]
            hits = searcher.search(Query.boolean_query(conditions), per_trace)
            if hits.hits:
                found[trace_id] = [_match(searcher.doc(address), snippets) for _, address in hits.hits]
        return found

    def _project(self, project: str) -> tuple[Occur, Query]:
        # Every search names its project: the index holds every project's text.
        return (Occur.Must, Query.term_query(self._schema, "project", project))


def is_phrase(text: str, words: list[str]) -> bool:
    """Whether a search for ``text`` (analyzed into ``words``) looks for a phrase."""
    stripped = text.strip()
    return len(words) > 1 and stripped.startswith('"') and stripped.endswith('"')


def _match(document: Document, snippets: tantivy.SnippetGenerator) -> SpanMatch:
    text = str(document.get_first("text") or "")
    # tantivy's fragment ends at the last word: a short text reads better whole
    fragment = text if len(text) <= _SNIPPET_CHARS else snippets.snippet_from_doc(document).fragment()
    return SpanMatch.model_validate(
        {
            "span_id": document.get_first("span_id"),
            "field": document.get_first("field"),
            "snippet": fragment or text[:_SNIPPET_CHARS],
        }
    )


def _remove_other_versions(root: Path) -> None:
    if root.is_dir():
        for entry in root.iterdir():
            if entry.is_dir() and entry.name != VERSION:
                shutil.rmtree(entry)
