"""Property-based fuzzing of trajectory reconstruction: random span trees (missing parents,
cycles, skewed clocks) with random attribute values in every convention's keys. The
trajectory is always built, refers only to spans of the trace, drops nothing from the span
list, and keeps the invariants of ``tests/invariants.py``.

Most generated spans mean something (a model call sent part of the trace's conversation, a
tool span of a call it asked for, an agent, a handoff, a compaction), with random keys on
top, so most inputs reach the checks. Their clocks are skewed (a child may start before its
parent), so causal order is not checked on them; ``one_clock_spans`` generates trees whose
clocks agree, stamped to the millisecond with ties everywhere, and every invariant is
checked on those, causal order included. Measured with ``--hypothesis-show-statistics``
(150 examples each, ``event()`` labels): on one clock 89–94% of inputs reach the causal
order check (the rest are inputs Hypothesis discarded), 57–63% have a tool call a model
call asked for, and in 26–54% a tool and the call that reads its result start in the same
millisecond (the tie broken by evidence); on skewed trees 70–74% reach the
one-assistant-entry check, 31–50% the shown-once check of a tool call, 89–92% have entries
to check for plumbing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, event, given, settings
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
NAMES = st.sampled_from(
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
)
# Spans that mean something: most spans of a generated tree are one of the kinds the
# invariants speak of, written as a convention writes it, with a few random keys on top
# (which may contradict them); the rest are plumbing or random keys alone. The model calls
# of a trace share one conversation in which a tool result follows the call it answers,
# each call with an id of its own (or none); a call starts after the calls that sent less
# of it, and a tool span of a call after the model call that asked for it (as a trace
# records them; the parents, drawn at random, may still start late: clock skew).
STEP_MS = 100
AGENTS = st.sampled_from(["triage", "weather", "Weather Agent", ""])
TOOL_NAMES = st.sampled_from(
    ["get_weather", "search", "get_weather", "lookup", "transfer_to_weather", "handoff_to_agent", "final_answer"]
)
ARGUMENTS = st.sampled_from(['{"city": "Paris"}', "{}", '{"agent_name": "weather"}', '{"answer": "18C"}', "Paris"])


@st.composite
def conversations(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, tuple[int, str]]]:
    """Messages, and each call id with the index of the message that asked and its tool."""
    history: list[dict[str, Any]] = []
    calls: dict[str, tuple[int, str]] = {}
    for index in range(draw(st.integers(1, 6))):
        parts: list[dict[str, Any]] = []
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["text", "text", "tool_call", "tool_call_response", "reasoning"]))
            if kind == "tool_call":
                call_id = draw(st.sampled_from([f"c{len(calls) + 1}", ""]))
                name = draw(TOOL_NAMES)
                if call_id:
                    calls[call_id] = (index, name)
                parts.append({"type": kind, "id": call_id, "name": name, "arguments": draw(ARGUMENTS)})
            elif kind == "tool_call_response":
                answered = draw(st.sampled_from(["", *(i for i, (at, _) in calls.items() if at < index)]))
                parts.append({"type": kind, "id": answered, "response": draw(st.text(max_size=8))})
            else:
                parts.append({"type": kind, "content": draw(st.text(max_size=12))})
        role = draw(st.sampled_from(["user", "assistant", "tool", "system"]))
        history.append({"role": role, "parts": parts})
    return history, calls


@st.composite
def _model_call(draw: st.DrawFn, history: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """A call sent a prefix of the conversation (now and then with its start replaced by
    a summary: a compaction) and answered with the message that follows; and its start."""
    cut = draw(st.integers(0, len(history)))
    inputs = history[:cut]
    if cut >= 2 and draw(st.integers(0, 4)) == 0:
        inputs = [
            {"role": "user", "parts": [{"type": "text", "content": "Summary: earlier turns."}]},
            *inputs[cut // 2 :],
        ]
    outputs = history[cut : cut + 1] or [{"role": "assistant", "parts": [{"type": "text", "content": "Done."}]}]
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": draw(st.sampled_from(["chat", "generate_content"])),
        "gen_ai.request.model": draw(st.sampled_from(["gpt-4o", "claude"])),
        "gen_ai.input.messages": json.dumps(inputs),
        "gen_ai.output.messages": json.dumps(outputs),
    }
    optional = {
        "gen_ai.usage.input_tokens": st.integers(0, 50),
        "gen_ai.system_instructions": st.sampled_from(["Be brief.", "You are a weather bot."]),
        "gen_ai.agent.name": AGENTS,
        "gen_ai.conversation.compacted": st.booleans(),
    }
    return attributes | draw(st.fixed_dictionaries({}, optional=optional)), cut * STEP_MS + draw(st.integers(0, 30))


@st.composite
def _tool(draw: st.DrawFn, calls: dict[str, tuple[int, str]]) -> tuple[dict[str, Any], int | None]:
    """A tool span, of a call the conversation asked for (after the asking) or of none."""
    call_id = draw(st.sampled_from(["", *calls]))
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": calls[call_id][1] if call_id and draw(st.booleans()) else draw(TOOL_NAMES),
    }
    if call_id:
        attributes["gen_ai.tool.call.id"] = call_id
    optional = {"gen_ai.tool.call.arguments": ARGUMENTS, "gen_ai.tool.call.result": st.text(max_size=10)}
    attributes |= draw(st.fixed_dictionaries({}, optional=optional))
    return attributes, (calls[call_id][0] * STEP_MS + draw(st.integers(40, 90)) if call_id else None)


_agent = st.fixed_dictionaries(
    {"gen_ai.operation.name": st.just("invoke_agent"), "gen_ai.agent.name": AGENTS},
    optional={
        "gen_ai.input.messages": st.lists(message, max_size=2).map(json.dumps),
        "gen_ai.output.messages": st.lists(message, max_size=1).map(json.dumps),
    },
)
_handoff = st.fixed_dictionaries(
    {"gen_ai.operation.name": st.just("handoff"), "gen_ai.handoff.to_agent": AGENTS},
    optional={"gen_ai.handoff.from_agent": AGENTS},
)
_compaction = st.fixed_dictionaries(
    {"gen_ai.operation.name": st.just("compact_events")},
    optional={
        "weave.compaction.summary": st.text(max_size=10),
        "weave.compaction.items_before": st.integers(0, 9),
        "weave.compaction.items_after": st.integers(0, 9),
    },
)
_step = st.fixed_dictionaries(
    {"openinference.span.kind": st.sampled_from(["CHAIN", "RETRIEVER", "GUARDRAIL"])},
    optional={"input.value": st.text(max_size=10), "output.value": st.text(max_size=10)},
)
_plumbing = st.fixed_dictionaries({"http.method": st.just("GET")}, optional={"url.path": st.just("/x")})
_UNTIMED = [_agent, _agent, _handoff, _compaction, _step, _plumbing, st.just({}), st.just({})]


@st.composite
def _meaning(
    draw: st.DrawFn, history: list[dict[str, Any]], calls: dict[str, tuple[int, str]]
) -> tuple[dict[str, Any], int | None]:
    """A span's attributes, and the start its place in the conversation gives it (if any)."""
    choice = draw(st.integers(0, 13))
    if choice < 3:
        base, start = draw(_model_call(history))
    elif choice < 6:
        base, start = draw(_tool(calls))
    else:
        base, start = draw(_UNTIMED[choice - 6]), None
    noise = draw(st.dictionaries(st.sampled_from(KEYS), values, max_size=6 if not base else 2))
    return ({**noise, **base} if draw(st.integers(0, 4)) else {**base, **noise}), start


@st.composite
def trace_spans(draw: st.DrawFn, max_size: int = 12) -> list[dict[str, Any]]:
    """The spans of one trace: each a name, a parent (an index into the trace: forward,
    backward, itself, or missing), a start, a duration and attributes."""
    history, calls = draw(conversations())
    count = draw(st.integers(1, max_size))
    specs = []
    for _ in range(count):
        attributes, start = draw(_meaning(history, calls))
        specs.append(
            {
                "name": draw(NAMES),
                "parent": draw(st.integers(min_value=-1, max_value=count)),
                "start": draw(st.integers(min_value=0, max_value=1000)) if start is None else start,
                "duration": draw(st.integers(min_value=0, max_value=500 if start is None else 60)),
                "attributes": attributes,
                "error": draw(st.booleans()),
            }
        )
    return specs


def label(spans: list[dict[str, Any]], messages: list[dict[str, Any]]) -> None:
    """hypothesis ``event()``s: which checks of ``tests/invariants.py`` an input reaches."""
    kinds = {s["kind"] for s in spans}
    types = {m["type"] for m in messages}
    event("checked: a model call's one assistant entry" if "llm" in kinds else "no model call")
    event("checked: a tool call shown once" if invariants.tool_calls(spans) else "no tool call to count")
    event("checked: no entry from plumbing" if messages else "no entries")
    asked = {
        c["id"]
        for m in messages
        if m["type"] == "assistant_message"
        for c in m["assistant_message"]["tool_calls"] or ()
    }
    if any(m["type"] == "tool_call" and m["tool_call"]["tool_call_id"] in asked for m in messages):
        event("entries include a tool call a model call asked for")
    for kind in ("agent_handoff", "context_compacted"):
        if kind in types:
            event(f"entries include {kind}")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(trace_spans())
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
    messages = json.loads(result.model_dump_json())["messages"]
    label(spans, messages)
    event("causal order not checked: skewed clocks (test_trees_on_one_clock_read_in_causal_order checks it)")
    invariants.check({"messages": messages}, spans, one_clock=False)
    assert result.trace_id == trace.trace_hex


# -- one clock ------------------------------------------------------------------------------
# Trees whose clocks agree, as one process stamps them to the millisecond (the OTel JS SDK):
# children within their parents, siblings in time order, and ties everywhere: a tool starts
# in the millisecond its call ended, the next model call in the millisecond the tool
# ended, an agent span in the millisecond of its first child. The full invariants hold,
# causal order included (``tests/invariants.py``: a requested tool after the entry that
# asked for it, a tool's entry before the call whose input holds its result, entries in
# time order).


ONE_CLOCK_TOOLS = st.sampled_from(["get_weather", "search", "lookup", "transfer_to_weather", "handoff_to_agent"])
_CALL_EXTRAS = {
    "gen_ai.usage.input_tokens": st.integers(0, 50),
    "gen_ai.system_instructions": st.sampled_from(["Be brief.", "You are a weather bot."]),
    "gen_ai.agent.name": AGENTS,
}


def _text(content: str, role: str = "assistant") -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": content}]}


@st.composite
def one_clock_spans(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A run of model calls under an agent span that holds them all: each call sends the
    conversation so far and answers with text or tool calls; the tool spans of those calls
    follow (one after another, or in parallel), their results go into the next call's input;
    now and then a stretch of the run sits under a nested agent or step span of its own."""
    history: list[dict[str, Any]] = [_text(draw(st.text(max_size=8)) or "Weather?", role="user")]
    now, calls, work = 0, 0, []
    for turn in range(draw(st.integers(1, 4))):
        asking = [f"c{calls + n + 1}" for n in range(draw(st.integers(0, 2)))]
        calls += len(asking)
        tools = {call_id: draw(ONE_CLOCK_TOOLS) for call_id in asking}
        answer = (
            {
                "role": "assistant",
                "parts": [{"type": "tool_call", "id": i, "name": n, "arguments": "{}"} for i, n in tools.items()],
            }
            if tools
            else _text(draw(st.text(max_size=8)))
        )
        call = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": json.dumps(history),
            "gen_ai.output.messages": json.dumps([answer]),
            "gen_ai.response.id": f"resp-{turn}",  # two calls, whatever their times and tokens
            **draw(st.fixed_dictionaries({}, optional=_CALL_EXTRAS)),
        }
        duration = draw(st.sampled_from([0, 1, 5]))
        work.append({"name": "chat x", "start": now, "duration": duration, "attributes": call})
        now += duration
        history.append(answer)
        ends, results = [now], []
        for call_id in draw(st.permutations(list(tools))):
            took = draw(st.sampled_from([0, 0, 2]))
            result = draw(st.text(max_size=6))
            attributes = {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": tools[call_id],
                "gen_ai.tool.call.id": call_id,
                "gen_ai.tool.call.result": result,
            }
            work.append({"name": "execute_tool t", "start": now, "duration": took, "attributes": attributes})
            results.append({"type": "tool_call_response", "id": call_id, "response": result})
            ends.append(now + took)
            if draw(st.booleans()):
                now += took  # one after the other; else in parallel, all from the call's end
        if results:
            history.append({"role": "tool", "parts": results})
        now = max(ends) + draw(st.sampled_from([0, 0, 1]))  # the next call starts as the last tool ends
    root = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": draw(AGENTS) or "triage"}
    specs = [{"name": "invoke_agent a", "parent": -1, "start": 0, "duration": now, "attributes": root}]
    low, high = sorted(draw(st.lists(st.integers(0, len(work)), min_size=2, max_size=2)))
    nested = draw(st.sampled_from([_agent, _step])) if high > low and draw(st.booleans()) else None
    if nested is not None:
        start = work[low]["start"]
        end = max(w["start"] + w["duration"] for w in work[low:high])
        specs.append({"name": "step", "parent": 0, "start": start, "duration": end - start, "attributes": draw(nested)})
    for index, spec in enumerate(work):
        specs.append({**spec, "parent": 1 if nested is not None and low <= index < high else 0})
    return specs


def _tie_broken_by_evidence(spans: list[dict[str, Any]]) -> bool:
    """Whether a tool span starts in the millisecond of a model call that reads its result."""
    tools = {s["attributes"].get("gen_ai.tool.call.id"): s["start_ns"] for s in spans if s["kind"] == "tool"}
    for span in spans:
        if span["kind"] != "llm":
            continue
        for message in json.loads(str(span["attributes"].get("gen_ai.input.messages") or "[]")):
            for part in message.get("parts") or ():
                if part.get("type") == "tool_call_response" and tools.get(part.get("id")) == span["start_ns"]:
                    return True
    return False


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(one_clock_spans())
def test_trees_on_one_clock_read_in_causal_order(store: DuckDBStore, spans: list[dict[str, Any]]) -> None:
    trace = TraceBuilder()
    for spec in spans:
        parent = format(spec["parent"] + 1, "016x") if spec["parent"] >= 0 else None
        trace.span(
            spec["name"], spec["attributes"], parent=parent, start_ms=spec["start"], duration_ms=spec["duration"]
        )
    trace.store_in(store)
    queries = TraceQueries(store)
    messages = json.loads(queries.trajectory("p", trace.trace_hex).model_dump_json())["messages"]
    views = [v.model_dump() for v in queries.spans("p", trace.trace_hex).spans]
    label(views, messages)
    event("checked: causal order on one clock")
    if _tie_broken_by_evidence(views):
        event("a tool and the call that reads its result start in one millisecond")
    invariants.check({"messages": messages}, views)
