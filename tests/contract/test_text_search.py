"""Text search (``list_traces``' ``where.text`` and ``text_matches``) answers the same on both
stores: the DuckDB store's tantivy index and the Iceberg store's index in PostgreSQL, which
every node reads, whichever receiver stored the text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.contract.test_search import CHAT_1, CHAT_2, TOOL, travel_trace
from tests.postgres import PostgresServer
from tests.traces import BASE_NS, MS, TraceBuilder
from tracechat.ingest.flatten import flatten_traces
from tracechat.model.summaries import TraceFilter, TraceList
from tracechat.query.service import TraceQueries
from tracechat.store.duck import DuckDBStore
from tracechat.store.iceberg import fulltext, tables
from tracechat.store.iceberg.maintain import run_maintenance
from tracechat.store.iceberg.store import IcebergStore
from tracechat.store.staging import stage

Store = DuckDBStore | IcebergStore


@pytest.fixture(params=["duckdb", "iceberg"])
def searchable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "duckdb":
        store: Store = DuckDBStore(tmp_path / "tracechat.duckdb", search_dir=tmp_path / "search")
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        store = IcebergStore(server.create_database(), (tmp_path / "warehouse").as_uri())
    yield store
    store.close()


def _find(store: Store, text: str, project: str = "p", **where: object) -> TraceList:
    assert store.wait_searchable(10)
    return TraceQueries(store).list_traces(project, TraceFilter(text=text, **where), 50, 0)  # type: ignore[arg-type]


def _matched(store: Store, text: str) -> list[tuple[str | None, str]]:
    return sorted((m.span_id, m.field) for trace in _find(store, text).traces for m in trace.matches)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lisbon", [(CHAT_1, "user_message"), (CHAT_2, "assistant_message")]),
        ("LISBON window", [(CHAT_2, "assistant_message")]),
        ('"flight to Lisbon"', [(CHAT_1, "user_message")]),
        ('"Lisbon to flight"', []),
        ("marrakesh", [(CHAT_1, "system_instructions")]),
        ("alfama", [(CHAT_1, "reasoning")]),
        ("premium", [(TOOL, "tool_arguments")]),
        ("TP1234", [(TOOL, "tool_result"), (CHAT_2, "tool_result")]),
        ("lisbon premium", []),  # every word in one piece of text, not across the trace
    ],
)
def test_what_was_said_is_found_on_the_span_that_said_it(searchable: Store, text: str, expected: object) -> None:
    travel_trace().store_in(searchable)  # type: ignore[arg-type]
    assert _matched(searchable, text) == expected


def test_a_snippet_is_the_passage_that_matched(searchable: Store) -> None:
    travel_trace().store_in(searchable)  # type: ignore[arg-type]
    [trace] = _find(searchable, "09:40").traces
    assert [(m.span_id, m.snippet) for m in trace.matches] == [(TOOL, "TAP flight TP1234 departs at 09:40")]


def test_accents_and_log_records_text(searchable: Store) -> None:
    trace = TraceBuilder()
    span = trace.span("chat gpt-4o", {"gen_ai.operation.name": "chat", "gen_ai.system": "openai"})
    trace.log(span, "gen_ai.user.message", {"content": "Is the Douro valley worth a day trip?"})
    trace.log(span, "gen_ai.choice", {"index": 0, "message": {"role": "assistant", "content": "Yes: Pinhão."}})
    trace.store_in(searchable)  # type: ignore[arg-type]
    assert _matched(searchable, "douro") == [(span, "user_message")]
    assert _matched(searchable, "pinhao") == [(span, "assistant_message")]
    assert _matched(searchable, "PINHÃO") == [(span, "assistant_message")]


def test_a_search_stays_in_its_project_and_combines_with_the_filters(searchable: Store) -> None:
    early = travel_trace(agent="travel")
    late = travel_trace(agent="concierge")
    for span in late.spans:
        span.start_time_unix_nano += 60_000 * MS
        span.end_time_unix_nano += 60_000 * MS
    late.spans[-1].status.code = 2
    for trace in (early, late):
        trace.store_in(searchable)  # type: ignore[arg-type]
    theirs = travel_trace()
    theirs.store_in(searchable, project="q")  # type: ignore[arg-type]
    assert [t.trace_id for t in _find(searchable, "lisbon next").traces] == [late.trace_hex, early.trace_hex]
    assert [t.trace_id for t in _find(searchable, "lisbon", project="q").traces] == [theirs.trace_hex]
    assert searchable.text_matches("q", "lisbon", [early.trace_hex]) == {}
    assert _find(searchable, "lisbon next", agent_name="concierge").total == 1
    assert _find(searchable, "lisbon next", has_error=True).total == 1
    assert _find(searchable, "lisbon next", since_ns=BASE_NS + 30_000 * MS).total == 1
    assert _find(searchable, "lisbon next", until_ns=BASE_NS + 30_000 * MS).total == 1
    page = TraceQueries(searchable).list_traces("p", TraceFilter(text="lisbon next"), 1, 1)
    assert ([t.trace_id for t in page.traces], page.total) == ([early.trace_hex], 2)
    assert _find(searchable, "no such words").total == 0
    assert _find(searchable, "  ,;  ").total == 0


def test_spans_sent_again_are_found_once(searchable: Store) -> None:
    trace = travel_trace()
    trace.store_in(searchable)  # type: ignore[arg-type]
    trace.store_in(searchable)  # type: ignore[arg-type]  # an OTLP retry
    assert _matched(searchable, "window") == [(CHAT_2, "assistant_message")]


def test_text_stored_through_a_receiver_is_found_through_a_reader(postgres: PostgresServer, tmp_path: Path) -> None:
    catalog, warehouse = postgres.create_database(), (tmp_path / "warehouse").as_uri()
    receiver, reader = IcebergStore(catalog, warehouse), IcebergStore(catalog, warehouse)
    try:
        trace = travel_trace(question="Which ferry goes to Cacilhas?")
        trace.store_in(receiver)  # type: ignore[arg-type]
        found = _find(reader, "cacilhas ferry")
        assert [t.trace_id for t in found.traces] == [trace.trace_hex]
        assert [(m.span_id, m.field) for m in found.traces[0].matches] == [(CHAT_1, "user_message")]
    finally:
        receiver.close()
        reader.close()


def test_a_long_snippet_is_cut_around_the_first_word_found() -> None:
    body = " ".join(f"word{n}" for n in range(100)) + " the Tagus estuary " + " ".join(f"w{n}" for n in range(100))
    found = fulltext.snippet(body, fulltext.words("tagus"))
    assert "the Tagus estuary" in found
    assert len(found) <= 160
    assert fulltext.snippet("short text", ["x"]) == "short text"


def test_with_the_index_off_text_matches_names_only(postgres: PostgresServer, tmp_path: Path) -> None:
    store = IcebergStore(postgres.create_database(), (tmp_path / "warehouse").as_uri(), search=False)
    try:
        travel_trace(agent="concierge").store_in(store)  # type: ignore[arg-type]
        assert _find(store, "lisbon").total == 0
        assert _find(store, "concierge").total == 1
    finally:
        store.close()


def test_the_text_of_a_batch_maintenance_indexes_is_searchable(postgres: PostgresServer, tmp_path: Path) -> None:
    """A receiver died between its Iceberg commit and its index transaction: ``tracechat
    maintain`` records the batch, its text with it."""
    catalog, warehouse = postgres.create_database(), (tmp_path / "warehouse").as_uri()
    store = IcebergStore(catalog, warehouse)
    try:
        trace = travel_trace(question="Is the tram to Belém running?")
        staged = stage(flatten_traces(trace.trace_request(), lambda resource: "p").batch)
        store._append(tables.SPANS, tables.span_rows(staged.spans, staged.scopes, "lost"), "lost")
        assert _find(store, "belem").total == 0
        report = run_maintenance(catalog, warehouse, unindexed_after=timedelta(0))
        assert report.batches_reindexed == 1
        found = _find(store, "belem tram")
        assert [t.trace_id for t in found.traces] == [trace.trace_hex]
        assert [(m.span_id, m.field) for m in found.traces[0].matches] == [(CHAT_1, "user_message")]
    finally:
        store.close()


def test_a_tsvector_holds_each_word_once_with_its_first_positions() -> None:
    assert fulltext.tsvector("Tagus, tagus! TÂGUS o'clock") == "'tagus':1,2,3 'o':4 'clock':5"
    repeated = fulltext.tsvector("rio " * 300)
    assert repeated.startswith("'rio':1,2,")
    assert repeated.endswith(",255")
    assert fulltext.query_words('"fado house"') == "'fado' <-> 'house'"
    assert fulltext.query_words("fado house") == "'fado' & 'house'"


def test_text_with_a_nul_and_many_words_is_stored_and_found(searchable: Store) -> None:
    trace = TraceBuilder()
    result = "azulejo\x00 " + "word " * (fulltext.MAX_WORDS + 10) + "miradouro"
    attributes = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "t", "gen_ai.tool.call.result": result}
    span = trace.span("execute_tool t", attributes)
    trace.store_in(searchable)  # type: ignore[arg-type]
    assert _matched(searchable, "azulejo") == [(span, "tool_result")]
    if isinstance(searchable, IcebergStore):  # past the first 10,000 words: not searchable there
        assert _matched(searchable, "miradouro") == []
