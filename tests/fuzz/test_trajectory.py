"""Property-based fuzzing of trajectory reconstruction: random span trees (missing parents,
cycles, skewed clocks) with random attribute values in every convention's keys. The
trajectory is always built, refers only to spans of the trace, drops nothing from the span
list, and keeps the invariants of ``tests/invariants.py``."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import invariants
from tests.traces import TraceBuilder
from tracechat.query.service import TraceQueries
from tracechat.store.duck import DuckDBStore

KEYS = [
    "gen_ai.operation.name",
    "gen_ai.agent.name",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.tool.name",
    "gen_ai.tool.call.id",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.handoff.to_agent",
    "gen_ai.usage.input_tokens",
    "openinference.span.kind",
    "llm.input_messages.0.message.role",
    "llm.input_messages.0.message.content",
    "llm.output_messages.0.message.content",
    "input.value",
    "output.value",
    "gen_ai.prompt.0.content",
    "gen_ai.completion.0.content",
    "ai.prompt.messages",
    "ai.response.text",
    "events",
    "weave.compaction.summary",
    "gcp.vertex.agent.llm_request",
    "traceloop.entity.output",
    "gen_ai.usage.reasoning.output_tokens",
    "metadata",
]
OPERATIONS = ["chat", "execute_tool", "invoke_agent", "handoff", "compact_events", "embeddings", "weird_new_op"]

message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "tool", "system", "model", "robot"])},
    optional={
        "content": st.text(max_size=20) | st.none(),
        "parts": st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(
                        ["text", "tool_call", "tool_call_response", "reasoning", "thinking", "blob", "mystery"]
                    )
                },
                optional={
                    "content": st.text(max_size=10),
                    "id": st.text(max_size=4),
                    "name": st.text(max_size=6),
                    "arguments": st.text(max_size=10),
                },
            ),
            max_size=3,
        ),
        "tool_call_id": st.text(max_size=4),
    },
)
# LangGraph run metadata as OpenInference's LangChain instrumentation writes it
graph_metadata = st.fixed_dictionaries(
    {"ls_integration": st.sampled_from(["langgraph", "langchain_chat_model"])},
    optional={
        "langgraph_node": st.sampled_from(["agent", "tools", "step", "agent run"]),
        "langgraph_checkpoint_ns": st.sampled_from(["agent:1", "a:1|agent:2", "", "|", 7]),
    },
).map(json.dumps)
values = st.one_of(
    graph_metadata,
    st.text(max_size=30),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.booleans(),
    st.sampled_from([*OPERATIONS, "LLM", "TOOL", "AGENT", "CHAIN", "<REDACTED>", "{}", '[{"role": "user"', "null"]),
    st.lists(message, max_size=4).map(json.dumps),
    st.lists(message, max_size=3),
)
span = st.fixed_dictionaries(
    {
        "name": st.sampled_from(
            [
                "chat x",
                "execute_tool t",
                "invoke_agent a",
                "handoff to b",
                "step",
                "POST /x",
                "compact_events",
                "agent run",
                "agent",
                "running tool",
                "openai.chat",
            ]
        ),
        "parent": st.integers(min_value=-1, max_value=12),
        "start": st.integers(min_value=0, max_value=1000),
        "duration": st.integers(min_value=0, max_value=500),
        "attributes": st.dictionaries(st.sampled_from(KEYS), values, max_size=6),
        "error": st.booleans(),
    }
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.lists(span, min_size=1, max_size=12))
def test_random_traces_always_read(store: DuckDBStore, spans: list[dict[str, Any]]) -> None:
    trace = TraceBuilder()
    ids: list[str] = []
    for index, spec in enumerate(spans):
        parent_index = spec["parent"]
        parent = None
        if parent_index == index:  # its own parent: a one-span cycle
            parent = format(index + 1, "016x")
        elif 0 <= parent_index < len(spans):
            parent = format(parent_index + 1, "016x")  # may point forward, backward or to a missing span
        elif parent_index == -1:
            parent = "00000000000000ff"
        ids.append(
            trace.span(
                spec["name"],
                spec["attributes"],
                parent=parent,
                start_ms=spec["start"],
                duration_ms=spec["duration"],
                error=spec["error"],
            )
        )
    trace.store_in(store)
    queries = TraceQueries(store)
    result = queries.trajectory("p", trace.trace_hex, include_feedback=True)
    shown = {m.span_id for m in result.messages}
    assert shown <= set(ids)
    spans = [v.model_dump() for v in queries.spans("p", trace.trace_hex).spans]
    assert {s["span_id"] for s in spans} == set(ids)  # nothing dropped from the span list
    invariants.check(json.loads(result.model_dump_json()), spans, one_clock=False)
    assert result.trace_id == trace.trace_hex
