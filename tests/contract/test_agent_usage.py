"""Which agent a model call belongs to, on every store: the trajectory and the assistant's
"tokens by agent" read one rule (``spantree.attribution``), and it holds once a trace is
complete, whatever order its spans were committed in."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.traces import TraceBuilder, as_json
from tracechat.chat.tools import now_ns
from tracechat.ingest.flatten import flatten_traces
from tracechat.model.summaries import TraceFilter
from tracechat.query.service import TraceQueries
from tracechat.store.analytics import TraceAnalytics
from tracechat.store.duck import DuckDBStore
from tracechat.store.iceberg.analytics import IcebergAnalytics
from tracechat.store.protocol import SpanStore


def _commit(store: SpanStore, spans: list[Span]) -> None:
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(spans)
    store.submit(flatten_traces(request, lambda resource: "p").batch).result()


def _chat(tokens: tuple[int, int], system: str | None = None, **extra: object) -> dict[str, object]:
    messages = ([{"role": "system", "parts": [{"type": "text", "content": system}]}] if system else []) + [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    ]
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.input.messages": as_json(messages),
        "gen_ai.usage.input_tokens": tokens[0],
        "gen_ai.usage.output_tokens": tokens[1],
        **extra,
    }


def _by_agent(store: SpanStore, since_ns: int = 0) -> dict[str, tuple[int, int, int]]:
    rows = TraceQueries(store).usage_by_agent("p", since_ns)["usage"]
    return {r["agent"]: (r["calls"], r["input_tokens"], r["output_tokens"]) for r in rows}


def _trajectory_agents(store: SpanStore, trace: TraceBuilder) -> list[tuple[str | None, int | None]]:
    messages = TraceQueries(store).trajectory("p", trace.trace_hex).messages
    return [(m.agent_name, m.assistant_message.input_tokens) for m in messages if m.assistant_message]


def test_chat_spans_committed_before_their_agent_span_are_the_agents_once_it_arrives(store: SpanStore) -> None:
    trace = TraceBuilder(base_ns=now_ns() - 60 * 10**9)
    agent = trace.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather"})
    trace.span("chat", _chat((42, 17)), parent=agent, start_ms=1)
    trace.span("chat", _chat((60, 5)), parent=agent, start_ms=5)
    agent_span, *chats = trace.spans
    _commit(store, chats)
    assert _by_agent(store) == {}  # no agent yet: the calls belong to none
    _commit(store, [agent_span])
    assert _by_agent(store) == {"weather": (2, 102, 22)}
    assert _trajectory_agents(store, trace) == [("weather", 42), ("weather", 60)]


def test_a_call_no_span_names_belongs_to_the_agent_its_instructions_are(store: SpanStore) -> None:
    """No agent spans at all (LlamaIndex's AgentWorkflow): a handoff tool names the agent that
    takes over; the next call with new instructions is that agent's, and so is every later
    call with those instructions; a call with the first instructions is nobody's again."""
    trace = TraceBuilder(base_ns=now_ns() - 60 * 10**9)
    root = trace.span("workflow", {}, duration_ms=100)
    trace.span("chat", _chat((10, 1), "You triage."), parent=root, start_ms=1)
    handoff = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "handoff"}
    trace.span(
        "execute_tool handoff",
        {**handoff, "gen_ai.tool.call.arguments": '{"to_agent": "weather"}'},
        parent=root,
        start_ms=10,
    )
    trace.span("chat", _chat((20, 2), "You tell the weather."), parent=root, start_ms=20)
    trace.span("chat", _chat((30, 3), "You tell the weather."), parent=root, start_ms=30)
    trace.span("chat", _chat((40, 4), "You triage."), parent=root, start_ms=40)
    _commit(store, trace.spans)
    assert _by_agent(store) == {"weather": (2, 50, 5)}
    assert _trajectory_agents(store, trace) == [(None, 10), ("weather", 20), ("weather", 30), (None, 40)]


def test_the_window_holds_the_calls_that_started_in_it_whenever_their_trace_started(store: SpanStore) -> None:
    """As the other usage statistics (tokens by model) count them: the model calls that
    started in the window, also in a long trace that started before it (the trace is read
    when it was active in the window: its last span ended in it)."""
    since = now_ns() - 60 * 10**9
    before = TraceBuilder(base_ns=since - 10**9)  # started before the window, one call inside it
    agent = before.span(
        "invoke_agent", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "early"}, duration_ms=2000
    )
    before.span("chat", _chat((1, 1)), parent=agent, start_ms=1500)
    inside = TraceBuilder(base_ns=since - 10**6)  # its first call before the window, its second inside
    agent = inside.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather"})
    inside.span("chat", _chat((42, 17)), parent=agent)
    inside.span("chat", _chat((60, 5)), parent=agent, start_ms=5)
    old = TraceBuilder(base_ns=since - 10 * 10**9)  # over before the window
    agent = old.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "done"})
    old.span("chat", _chat((7, 7)), parent=agent, start_ms=1)
    for trace in (before, inside, old):
        _commit(store, trace.spans)
    active, _ = store.list_traces("p", TraceFilter(active_since_ns=since), 10, 0)
    assert {row[0] for row in active} == {before.trace_hex, inside.trace_hex}
    assert _by_agent(store, since - 2 * 10**6) == {"early": (1, 1, 1), "weather": (2, 102, 22)}
    assert _by_agent(store, since) == {"early": (1, 1, 1), "weather": (1, 60, 5)}
    analytics = TraceAnalytics(store) if isinstance(store, DuckDBStore) else IcebergAnalytics(store)  # type: ignore[arg-type]
    by_model = analytics.usage("p", since)
    assert [(row["calls"], row["input_tokens"], row["output_tokens"]) for row in by_model] == [(2, 61, 6)]


def test_a_window_of_more_traces_than_one_read_takes_says_it_is_incomplete(store: SpanStore) -> None:
    for offset_s in (30, 20):
        trace = TraceBuilder(base_ns=now_ns() - offset_s * 10**9)
        agent = trace.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather"})
        trace.span("chat", _chat((10, 1)), parent=agent, start_ms=1)
        _commit(store, trace.spans)
    queries = TraceQueries(store)
    newest = queries.usage_by_agent("p", 0, max_traces=1)
    assert (newest["usage"][0]["calls"], newest["complete"]) == (1, False)
    every = queries.usage_by_agent("p", 0, max_traces=2)
    assert (every["usage"][0]["calls"], every["complete"]) == (2, True)
