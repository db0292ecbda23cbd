"""A model call counts once in the trace list and the trajectory, on every store: two spans
that record one call (the same provider response, or nested) count once; two parallel calls
with equal usage count twice when they name different responses (``gen_ai.response.id``)."""

from __future__ import annotations

from tests import invariants
from tests.traces import TraceBuilder, as_json
from tracechat.ingest.flatten import flatten_traces
from tracechat.model.summaries import TraceFilter
from tracechat.query.service import TraceQueries
from tracechat.store.analytics import TraceAnalytics
from tracechat.store.iceberg.analytics import IcebergAnalytics
from tracechat.store.iceberg.store import IcebergStore
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


def _usage_report(tokens: tuple[int, int]) -> dict[str, object]:
    """A span that only reports usage: no operation, no model asked for, the response's model
    and the tokens (AG2's ``record_usage`` spans)."""
    return {
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.provider.name": "openai",
        "gen_ai.usage.input_tokens": tokens[0],
        "gen_ai.usage.output_tokens": tokens[1],
    }


def test_a_span_that_only_reports_usage_counts_nothing(store: SpanStore) -> None:
    """A report of a call's usage after the call, and a report summing a sub-agent's calls
    after the tool that ran it, are no calls: the trace counts each call once, as the
    trajectory does."""
    trace = TraceBuilder()
    # (not at the whole second the builder starts on: the invariants compare times as text)
    root = trace.span("invoke_agent lead", {"gen_ai.operation.name": "invoke_agent"}, start_ms=1, duration_ms=100)
    trace.span("chat", _chat(None, (120, 40)), parent=root, start_ms=1, duration_ms=10)
    trace.span("record_usage model_call", _usage_report((120, 40)), parent=root, start_ms=11, duration_ms=0)
    tool = trace.span(
        "execute_tool ask", {"gen_ai.operation.name": "execute_tool"}, parent=root, start_ms=12, duration_ms=40
    )
    member = trace.span(
        "invoke_agent member", {"gen_ai.operation.name": "invoke_agent"}, parent=tool, start_ms=13, duration_ms=38
    )
    trace.span("chat", _chat(None, (50, 5)), parent=member, start_ms=14, duration_ms=10)
    trace.span("chat", _chat(None, (60, 6)), parent=member, start_ms=30, duration_ms=10)
    trace.span("record_usage subtask", _usage_report((110, 11)), parent=root, start_ms=53, duration_ms=0)
    assert _read(store, trace) == ((230, 51), [120, 50, 60])
    analytics = IcebergAnalytics(store) if isinstance(store, IcebergStore) else TraceAnalytics(store)  # type: ignore[arg-type]
    [by_model] = analytics.usage("p", 0)
    assert (by_model["calls"], by_model["input_tokens"], by_model["output_tokens"]) == (3, 230, 51)
