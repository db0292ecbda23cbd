"""The session index (store.protocol: list_sessions, session): kept in the commit of the
spans, right however the spans of a session's traces arrive; run against each store (conftest.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tests.contract.old_layouts import as_schema_5
from tracechat.ingest.flatten import flatten_traces
from tracechat.model.records import IngestBatch
from tracechat.model.sessions import SessionFilter
from tracechat.store.duck import DuckDBStore
from tracechat.store.protocol import SpanStore
from tracechat.store.schema import SCHEMA_VERSION

Attr = str | int


def _span(
    trace: int, span: int, start: int, *, parent: int | None = None, error: bool = False, **attributes: Attr
) -> IngestBatch:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    pb = scope.spans.add(
        trace_id=trace.to_bytes(16, "big"),
        span_id=span.to_bytes(8, "big"),
        name=f"span {span}",
        start_time_unix_nano=start,
        end_time_unix_nano=start + 100,
    )
    if parent is not None:
        pb.parent_span_id = parent.to_bytes(8, "big")
    if error:
        pb.status.code = 2
    for key, value in attributes.items():
        any_value = AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=value)
        pb.attributes.add(key=key.replace("__", "."), value=any_value)
    return flatten_traces(request, lambda resource: "p").batch


def _call(trace: int, span: int, start: int, tokens: tuple[int, int], **attributes: Attr) -> IngestBatch:
    return _span(
        trace,
        span,
        start,
        parent=1,
        gen_ai__operation__name="chat",
        gen_ai__request__model="gpt-4o-mini",
        gen_ai__usage__input_tokens=tokens[0],
        gen_ai__usage__output_tokens=tokens[1],
        **attributes,
    )


def _all(store: SpanStore, **where: int | str) -> list[dict[str, object]]:
    rows, total = store.list_sessions("p", SessionFilter(**where), 50, 0)  # type: ignore[arg-type]
    assert total == len(rows)
    return [row.model_dump() for row in rows]


def test_a_session_sums_its_traces(store: SpanStore) -> None:
    for trace, start in ((1, 1000), (2, 5000)):
        store.submit(
            _span(
                trace, 1, start, session__id="s1", gen_ai__operation__name="invoke_agent", gen_ai__agent__name="weather"
            )
        ).result()
        store.submit(_call(trace, 2, start + 10, (100 * trace, 10))).result()
    store.submit(_span(3, 1, 9000, error=True, session__id="s2")).result()
    store.submit(_span(4, 1, 9500)).result()  # no session
    first, second = _all(store)
    assert first["session_id"] == "s2"
    assert first["turns"] == 1
    assert first["has_error"]
    assert second["session_id"] == "s1"
    assert second["turns"] == 2
    assert (second["input_tokens"], second["output_tokens"]) == (300, 20)
    assert second["agents"] == ["weather"]
    assert second["models"] == ["gpt-4o-mini"]
    assert second["cost"] is not None
    assert second["cost"] > 0
    assert not second["has_error"]
    entry = store.session("p", "s1")
    assert entry is not None
    assert entry.trace_ids == ((1).to_bytes(16, "big").hex(), (2).to_bytes(16, "big").hex())
    assert store.session("other", "s1") is None
    assert store.session("p", "nope") is None


def test_a_trace_that_names_its_session_last_brings_what_came_before(store: SpanStore) -> None:
    """pydantic-ai names the conversation on its agent span, which ends (and is exported) last."""
    ms = 1_000_000
    store.submit(_call(1, 2, 10 * ms, (7, 3))).result()
    store.submit(_call(1, 3, 20 * ms, (5, 1))).result()
    assert _all(store) == []
    store.submit(_span(1, 1, 5 * ms, gen_ai__conversation__id="c")).result()
    store.submit(_call(1, 4, 30 * ms, (1, 1))).result()  # after joining: only the new span counts
    store.submit(_span(1, 5, 40 * ms, parent=1, session__id="another")).result()  # the first id stays
    (session,) = _all(store)
    assert session["session_id"] == "c"
    assert session["turns"] == 1
    assert (session["input_tokens"], session["output_tokens"]) == (13, 5)
    assert session["started_at"].timestamp() == pytest.approx(0.005)  # type: ignore[attr-defined]
    assert session["last_at"].timestamp() == pytest.approx(0.04, abs=1e-6)  # type: ignore[attr-defined]
    assert store.trace("p", (1).to_bytes(16, "big").hex()).conversation_id == "c"  # type: ignore[union-attr]


def test_spans_sent_again_are_counted_once(store: SpanStore) -> None:
    batch = _call(1, 2, 10, (7, 3), session__id="s")
    store.submit(batch).result()
    store.submit(batch).result()
    (session,) = _all(store)
    assert (session["turns"], session["input_tokens"]) == (1, 7)


def test_the_window_and_the_agent_narrow_the_list(store: SpanStore) -> None:
    store.submit(
        _span(1, 1, 1_000, session__id="old", gen_ai__operation__name="invoke_agent", gen_ai__agent__name="a")
    ).result()
    store.submit(_span(2, 1, 2_000, session__id="old")).result()  # active until 2_100
    store.submit(
        _span(3, 1, 5_000, session__id="new", gen_ai__operation__name="invoke_agent", gen_ai__agent__name="b")
    ).result()
    assert [s["session_id"] for s in _all(store, since_ns=2_050)] == ["new", "old"]
    assert [s["session_id"] for s in _all(store, since_ns=2_200)] == ["new"]
    assert [s["session_id"] for s in _all(store, until_ns=5_000)] == ["old"]
    assert [s["session_id"] for s in _all(store, agent_name="a")] == ["old"]
    rows, total = store.list_sessions("p", SessionFilter(), 1, 1)
    assert total == 2
    assert [r.session_id for r in rows] == ["old"]
    rows, total = store.list_sessions("p", SessionFilter(), 1, 5)
    assert (rows, total) == ([], 2)


def test_a_version_3_file_gets_its_sessions_from_the_trace_index(tmp_path: Path) -> None:
    path = tmp_path / "v3.duckdb"
    store = DuckDBStore(path)
    for trace in (1, 2):
        store.submit(_call(trace, 2, trace * 100, (10, 1), session__id="s")).result()
    store.close()
    with duckdb.connect(str(path)) as con:  # as schema 3 left it: no session index
        as_schema_5(con)
        con.execute("DROP TABLE sessions")
        con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    migrated = DuckDBStore(path)
    (session,) = _all(migrated)
    assert (session["turns"], session["input_tokens"], session["output_tokens"]) == (2, 20, 2)
    entry = migrated.session("p", "s")
    assert entry is not None
    assert len(entry.trace_ids) == 2
    version = migrated.cursor().execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),) == ("6",)
    migrated.submit(_call(3, 2, 900, (1, 1), session__id="s")).result()  # and it is kept from then on
    assert _all(migrated)[0]["turns"] == 3
    migrated.close()
