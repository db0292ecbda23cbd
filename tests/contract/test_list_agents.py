"""The trace list, its ``?agent=`` filter, the session index and the assistant's agent
counts name the agents the trajectory names, on every store: decided at ingest by the
trajectory's rule (``ingest.agents``), not read from an agent-name attribute."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.traces import TraceBuilder, as_json
from tracechat.chat.tools import now_ns
from tracechat.ingest.flatten import flatten_traces
from tracechat.model.sessions import SessionFilter
from tracechat.model.summaries import TraceFilter
from tracechat.query.service import TraceQueries
from tracechat.store.analytics import TraceAnalytics
from tracechat.store.duck import DuckDBStore
from tracechat.store.iceberg.analytics import IcebergAnalytics
from tracechat.store.protocol import SpanStore

SESSION = {"session.id": "thread-1"}


def _commit(store: SpanStore, spans: list[Span]) -> None:
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(spans)
    store.submit(flatten_traces(request, lambda resource: "p").batch).result()


def _chat(system: str) -> dict[str, object]:
    messages = [
        {"role": "system", "parts": [{"type": "text", "content": system}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
    ]
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.input.messages": as_json(messages),
        "gen_ai.usage.input_tokens": 40,
        "gen_ai.usage.output_tokens": 8,
    }


def _trace() -> TraceBuilder:
    """An agent named only where the reader reads it (OpenInference's ``graph.node.id`` on an
    AGENT span), a span that constructs another agent (it starts nothing), and a model call
    that names an agent itself while the agent around it is another."""
    trace = TraceBuilder(base_ns=now_ns() - 60 * 10**9)
    root = trace.span("crew", {"openinference.span.kind": "CHAIN", **SESSION}, duration_ms=50)
    trace.span("create_agent builder", {"gen_ai.operation.name": "create_agent", "gen_ai.agent.name": "builder"})
    agent = trace.span(
        "planner._execute_core",
        {"openinference.span.kind": "AGENT", "graph.node.id": "planner"},
        parent=root,
        start_ms=1,
        duration_ms=40,
    )
    trace.span("chat", {**_chat("You plan."), "gen_ai.agent.name": "stale"}, parent=agent, start_ms=2)
    return trace


def _analytics(store: SpanStore) -> TraceAnalytics:
    return TraceAnalytics(store) if isinstance(store, DuckDBStore) else IcebergAnalytics(store)  # type: ignore[arg-type]


def _check(store: SpanStore, trace: TraceBuilder) -> None:
    queries = TraceQueries(store)
    named = {
        m.agent_name
        for m in queries.trajectory("p", trace.trace_hex).messages
        if m.agent_name and m.type in ("agent_start", "assistant_message")
    }
    assert named == {"planner"}
    (listed,) = queries.list_traces("p", TraceFilter(since_ns=0), 10, 0).traces
    assert listed.agents == ["planner"]
    assert [t.trace_id for t in queries.list_traces("p", TraceFilter(agent_name="planner"), 10, 0).traces] == [
        trace.trace_hex
    ]
    for other in ("builder", "stale"):
        assert queries.list_traces("p", TraceFilter(agent_name=other), 10, 0).traces == []
        assert store.list_sessions("p", SessionFilter(agent_name=other), 10, 0)[0] == []
    (session,), _ = store.list_sessions("p", SessionFilter(agent_name="planner"), 10, 0)
    assert session.agents == ["planner"]
    assert _analytics(store).catalog("p", 0)["agents"] == [{"agent": "planner", "traces": 1}]


def test_the_list_names_the_agents_the_trajectory_names(store: SpanStore) -> None:
    trace = _trace()
    _commit(store, trace.spans)
    _check(store, trace)


def test_a_trace_sent_children_first_names_them_once_its_agent_arrives(store: SpanStore) -> None:
    trace = _trace()
    root, builder, agent, chat = trace.spans
    _commit(store, [chat])  # the call's enclosing agent is not here yet: its own name waits
    assert TraceQueries(store).list_traces("p", TraceFilter(since_ns=0), 10, 0).traces[0].agents == []
    _commit(store, [builder, agent])
    _commit(store, [root])
    _check(store, trace)
