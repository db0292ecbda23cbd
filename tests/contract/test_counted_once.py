"""A model call counts once in the trace list and the trajectory, on every store: two spans
that record one call (the same provider response, or nested) count once; two parallel calls
with equal usage count twice when they name different responses (``gen_ai.response.id``)."""

from __future__ import annotations

from tests import invariants
from tests.traces import TraceBuilder, as_json
from tracechat.ingest.flatten import flatten_traces
from tracechat.model.summaries import TraceFilter
from tracechat.query.service import TraceQueries
from tracechat.store.protocol import SpanStore


def _chat(response_id: str | None, tokens: tuple[int, int] = (117, 30), text: str = "18C") -> dict[str, object]:
    attributes: dict[str, object] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": tokens[0],
        "gen_ai.usage.output_tokens": tokens[1],
        "gen_ai.output.messages": as_json([{"role": "assistant", "parts": [{"type": "text", "content": text}]}]),
    }
    if response_id:
        attributes["gen_ai.response.id"] = response_id
    return attributes


def _read(store: SpanStore, trace: TraceBuilder) -> tuple[tuple[int | None, int | None], list[int | None]]:
    request = trace.trace_request()
    store.submit(flatten_traces(request, lambda resource: "p").batch).result()
    queries = TraceQueries(store)
    [listed] = queries.list_traces("p", TraceFilter(since_ns=0), 10, 0).traces
    trajectory = queries.trajectory("p", trace.trace_hex)
    spans = queries.spans("p", trace.trace_hex).model_dump(mode="json")["spans"]
    totals = (listed.input_tokens or 0, listed.output_tokens or 0)
    invariants.check(trajectory.model_dump(mode="json"), spans, totals)  # its grouping of calls agrees
    entries = [m.assistant_message for m in trajectory.messages if m.assistant_message]
    return (listed.input_tokens, listed.output_tokens), [e.input_tokens for e in entries]


def test_parallel_calls_with_equal_usage_and_different_responses_count_twice(store: SpanStore) -> None:
    trace = TraceBuilder()
    root = trace.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    trace.span("chat a", _chat("resp_a", text="Paris"), parent=root, start_ms=1, duration_ms=50)
    trace.span("chat b", _chat("resp_b", text="Rome"), parent=root, start_ms=2, duration_ms=40)  # within a's time
    assert _read(store, trace) == ((234, 60), [117, 117])


def test_one_call_recorded_by_two_sibling_spans_of_one_response_counts_once(store: SpanStore) -> None:
    """Two instrumentations side by side (neither span current in the other), neither span
    within the other's time: the response id alone says they are one call."""
    trace = TraceBuilder()
    root = trace.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    trace.span("chat", _chat("resp_a"), parent=root, start_ms=1, duration_ms=40)
    trace.span("anthropic.chat", _chat("resp_a"), parent=root, start_ms=2, duration_ms=50)
    assert _read(store, trace) == ((117, 30), [117])


def test_one_call_recorded_by_nested_spans_counts_once(store: SpanStore) -> None:
    trace = TraceBuilder()
    root = trace.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    outer = trace.span("chat", _chat("resp_a"), parent=root, start_ms=1, duration_ms=50)
    trace.span("chat inner", _chat("resp_a"), parent=outer, start_ms=2, duration_ms=40)
    without_id = trace.span("chat", _chat(None, (50, 5)), parent=root, start_ms=60, duration_ms=20)
    trace.span("chat inner", _chat(None, (50, 5)), parent=without_id, start_ms=61, duration_ms=10)
    assert _read(store, trace) == ((167, 35), [117, 50])
