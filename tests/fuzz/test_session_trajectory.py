"""Property-based fuzzing of session trajectories: sessions of random traces (the span trees
of ``test_trajectory``). The session is always read, each entry names a span of the trace it
says it comes from, the traces' parts follow one another in order, and each part keeps the
single-trace invariants of ``tests/invariants.py``. Measured with
``--hypothesis-show-statistics`` (60 examples, the ``event()`` labels of ``test_trajectory``,
set when any trace of the session reaches the check): 69% reach the one-assistant-entry
check of a model call, 52% the shown-once check of a tool call, 90% have entries to check."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import invariants
from tests.fuzz.test_trajectory import label, trace_spans
from tests.traces import BASE_NS, TraceBuilder
from tracechat.query.session_queries import SessionQueries
from tracechat.store.duck import DuckDBStore

_SESSIONS = itertools.count()
SECOND_NS = 10**9


def _trace(specs: list[dict[str, Any]], session: str, base_ns: int) -> TraceBuilder:
    trace = TraceBuilder(base_ns=base_ns)
    for index, spec in enumerate(specs):
        parent_index = spec["parent"]
        parent = format(parent_index + 1, "016x") if 0 <= parent_index < len(specs) else None
        attributes = {**spec["attributes"], "gen_ai.conversation.id": session} if index == 0 else spec["attributes"]
        trace.span(spec["name"], attributes, parent=parent, start_ms=spec["start"], duration_ms=spec["duration"])
    return trace


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.lists(trace_spans(max_size=8), min_size=1, max_size=4))
def test_random_sessions_always_read(store: DuckDBStore, traces: list[list[dict[str, Any]]]) -> None:
    session = f"fuzz-{next(_SESSIONS)}"
    built = [_trace(specs, session, BASE_NS + number * 10 * SECOND_NS) for number, specs in enumerate(traces)]
    for trace in built:
        trace.store_in(store)
    queries = SessionQueries(store)
    result = json.loads(queries.session_trajectory("p", session, include_feedback=True).model_dump_json())
    order = [t.trace_hex for t in built]
    assert [t["trace_id"] for t in result["traces"]] == order
    assert [m["trace_id"] for m in result["messages"]] == sorted(
        (m["trace_id"] for m in result["messages"]), key=order.index
    )
    for trace in built:
        spans = [v.model_dump() for v in queries.spans("p", trace.trace_hex).spans]
        part = {"messages": [m for m in result["messages"] if m["trace_id"] == trace.trace_hex]}
        assert {m["span_id"] for m in part["messages"]} <= {s["span_id"] for s in spans}
        label(spans, part["messages"])
        invariants.check(part, spans, one_clock=False)
    assert result["summary"]["turns"] == len(built)
