"""OpenInference's record of a LangGraph run (``genai/conventions/openinference.py: _graph``):
a CHAIN run of LangGraph that is no node of another graph (no ``langgraph_node`` in its
metadata: the graph itself, as OpenInference's JS instrumentation marks it) is an agent named
after its graph; a CHAIN run that is a node of a graph stays a step of it."""

from __future__ import annotations

from tests.traces import TraceBuilder, as_json
from tracechat.genai.types import Kind
from tracechat.query.service import trace_facts
from tracechat.store.duck import DuckDBStore


def _chain(node: str | None = None) -> dict[str, object]:
    metadata: dict[str, object] = {"thread_id": "t1", "ls_integration": "langgraph"}
    if node is not None:
        metadata |= {"langgraph_node": node, "langgraph_checkpoint_ns": f"{node}:1"}
    return {"openinference.span.kind": "CHAIN", "metadata": as_json(metadata)}


def test_a_langgraph_chain_is_an_agent_only_when_it_is_no_node_of_a_graph(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    graph = trace.span("weather_graph", _chain(), duration_ms=100)
    trace.span("agent", _chain("agent"), parent=graph, start_ms=1, duration_ms=20)
    trace.span("tools", _chain("tools"), parent=graph, start_ms=30, duration_ms=10)
    trace.store_in(store)
    stored = store.read_trace("p", trace.trace_hex)
    assert stored is not None
    facts, _ = trace_facts(stored.spans, stored.logs)
    assert [(f.name, f.kind, f.operation, f.agent_name, f.graph_node) for f in facts] == [
        ("weather_graph", Kind.AGENT, "invoke_agent", "weather_graph", None),
        ("agent", Kind.WORKFLOW, "chain", None, "agent"),
        ("tools", Kind.WORKFLOW, "chain", None, "tools"),
    ]
