"""The reading rules of a trajectory, on traces built span by span (conventions aside)."""

from __future__ import annotations

from tests.traces import TraceBuilder, as_json, outline, trajectory
from tracechat.query.service import TraceQueries
from tracechat.store.duck import DuckDBStore

SYSTEM = as_json([{"type": "text", "content": "You are a weather bot."}])
TOOLS = as_json([{"type": "function", "name": "get_weather"}])
U1 = {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
CALL = {
    "role": "assistant",
    "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}],
}
RESULT = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "18C"}]}
A1 = {"role": "assistant", "parts": [{"type": "text", "content": "18C in Paris."}]}
U2 = {"role": "user", "parts": [{"type": "text", "content": "And tomorrow?"}]}
A2 = {"role": "assistant", "parts": [{"type": "text", "content": "Rain tomorrow."}]}


def chat(inputs: list[object], outputs: list[object], **extra: object) -> dict[str, object]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.input.messages": as_json(inputs),
        "gen_ai.output.messages": as_json(outputs),
        **extra,
    }


def test_history_is_read_once_and_tool_result_comes_from_the_next_input(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [CALL], **{"gen_ai.system_instructions": SYSTEM}), start_ms=0)
    trace.span("chat gpt-4o", chat([U1, CALL, RESULT], [A1]), start_ms=20)
    trace.span("chat gpt-4o", chat([U1, CALL, RESULT, A1, U2], [A2]), start_ms=40)
    result = trajectory(store, trace)
    assert outline(result) == [
        ("agent_start", None, "You are a weather bot."),
        ("user_message", None, "Weather in Paris?"),
        ("assistant_message", None, None),  # asked for the tool
        ("tool_call", None, "get_weather"),
        ("assistant_message", None, "18C in Paris."),
        ("user_message", None, "And tomorrow?"),
        ("assistant_message", None, "Rain tomorrow."),
    ]
    call = result.messages[3].tool_call
    assert call is not None
    assert (call.tool_call_id, call.tool_arguments, call.tool_result) == ("c1", '{"city":"Paris"}', "18C")


def test_a_tool_span_is_the_one_entry_for_its_call(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    agent = trace.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    trace.span("chat gpt-4o", chat([U1], [CALL]), parent=agent, start_ms=1)
    trace.span(
        "execute_tool get_weather",
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.id": "c1", "gen_ai.tool.call.result": "18C"},
        parent=agent,
        start_ms=20,
        duration_ms=7,
    )
    trace.span("chat gpt-4o", chat([U1, CALL, RESULT], [A1]), parent=agent, start_ms=30)
    result = trajectory(store, trace)
    assert [m.type for m in result.messages] == [
        "agent_start",
        "user_message",
        "assistant_message",  # the call that asked for the tool
        "tool_call",
        "assistant_message",
    ]
    call = result.messages[3].tool_call
    assert call is not None
    assert (call.tool_name, call.tool_arguments, call.tool_result, call.duration_ms) == (
        "get_weather",
        '{"city":"Paris"}',
        "18C",
        7,
    )
    assert {m.agent_name for m in result.messages} == {"weather"}
    assert result.total_duration_ms == 100


def test_agent_start_from_first_model_call_and_again_when_instructions_change(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    first = {"gen_ai.system_instructions": SYSTEM, "gen_ai.tool.definitions": TOOLS}
    trace.span("chat gpt-4o", chat([U1], [A1], **first))
    changed = as_json([{"type": "text", "content": "Be brief."}])
    trace.span("chat gpt-4o", chat([U1, A1, U2], [A2], **{"gen_ai.system_instructions": changed}), start_ms=20)
    result = trajectory(store, trace)
    starts = [m.agent_start for m in result.messages if m.agent_start]
    assert [s.system_instructions for s in starts] == ["You are a weather bot.", "Be brief."]
    assert starts[0].model == "gpt-4o"
    assert starts[0].tool_definitions == '[{"type":"function","name":"get_weather"}]'


def test_next_agent_taking_over_is_a_handoff(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    root = trace.span("workflow", {}, duration_ms=100)
    triage = trace.span("invoke_agent triage", {"gen_ai.operation.name": "invoke_agent"}, parent=root, start_ms=1)
    trace.span(
        "chat gpt-4o",
        chat([U1], [{"role": "assistant", "parts": [{"type": "text", "content": "Passing on."}]}]),
        parent=triage,
        start_ms=2,
    )
    weather = trace.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"}, parent=root, start_ms=20)
    trace.span("chat gpt-4o", chat([U1], [A1]), parent=weather, start_ms=21)
    result = trajectory(store, trace)
    assert outline(result) == [
        ("agent_start", "triage", None),
        ("user_message", "triage", "Weather in Paris?"),
        ("assistant_message", "triage", "Passing on."),
        ("agent_handoff", "triage", "weather"),
        ("agent_start", "weather", None),
        ("assistant_message", "weather", "18C in Paris."),
    ]


def test_transfer_tool_and_handoff_span_make_one_handoff(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    triage = trace.span("invoke_agent Triage", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=15)
    transfer = {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "t1", "name": "transfer_to_weather_agent", "arguments": "{}"}],
    }
    trace.span("chat gpt-4o", chat([U1], [transfer]), parent=triage, start_ms=1)
    trace.span(
        "Triage → Weather Agent.handoff",
        {
            "traceloop.span.kind": "handoff",
            "gen_ai.handoff.from_agent": "Triage",
            "gen_ai.handoff.to_agent": "Weather Agent",
        },
        parent=triage,
        start_ms=12,
    )
    weather = trace.span("invoke_agent Weather Agent", {"gen_ai.operation.name": "invoke_agent"}, start_ms=20)
    trace.span("chat gpt-4o", chat([U1, transfer], [A1]), parent=weather, start_ms=21)
    kinds = [(m.type, m.agent_handoff.to_agent if m.agent_handoff else None) for m in trajectory(store, trace).messages]
    assert kinds == [
        ("agent_start", None),
        ("user_message", None),
        ("assistant_message", None),  # Triage's call that asked for the transfer
        ("agent_handoff", "Weather Agent"),  # the handoff span names the agent better than the tool name
        ("agent_start", None),
        ("assistant_message", None),
    ]


def test_compaction_span_and_shrinking_history(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    agent = trace.span("invoke_agent helper", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    trace.span("chat gpt-4o", chat([U1, CALL, RESULT], [A1]), parent=agent, start_ms=1)
    trace.span(
        "compact_events token_threshold",
        {"gen_ai.operation.name": "compact_events", "gen_ai.compaction.event_count": 4},
        parent=agent,
        start_ms=10,
    )
    summary = {"role": "user", "parts": [{"type": "text", "content": "Summary: user asked about Paris; 18C."}]}
    trace.span("chat gpt-4o", chat([summary, A1, U2], [A2]), parent=agent, start_ms=20)
    result = trajectory(store, trace)
    compactions = [m.context_compacted for m in result.messages if m.context_compacted]
    assert compactions[0].compaction_items_before == 4
    assert compactions[1].compaction_summary == "Summary: user asked about Paris; 18C."
    assert (compactions[1].compaction_items_before, compactions[1].compaction_items_after) == (4, 3)
    users = [m.user_message.text for m in result.messages if m.user_message]
    assert users == ["Weather in Paris?", "And tomorrow?"]  # the summary is not a user turn


def test_new_material_in_front_of_a_whole_history_is_no_compaction(store: DuckDBStore) -> None:
    """Retrieved context put before the conversation changes its first message, but nothing
    of what came before was dropped: the context grew, it was not compacted."""
    retrieved = {"role": "user", "parts": [{"type": "text", "content": "Context: Paris forecast, 18C."}]}
    trace = TraceBuilder()
    agent = trace.span("invoke_agent helper", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    trace.span("chat gpt-4o", chat([U1, CALL, RESULT], [A1]), parent=agent, start_ms=1)
    trace.span("chat gpt-4o", chat([retrieved, U1, CALL, RESULT, A1, U2], [A2]), parent=agent, start_ms=20)
    result = trajectory(store, trace)
    assert [m.type for m in result.messages if m.context_compacted] == []
    assert outline(result) == [
        ("agent_start", "helper", None),
        ("user_message", "helper", "Weather in Paris?"),
        ("tool_call", "helper", "get_weather"),
        ("assistant_message", "helper", "18C in Paris."),
        ("user_message", "helper", "Context: Paris forecast, 18C."),
        ("user_message", "helper", "And tomorrow?"),
        ("assistant_message", "helper", "Rain tomorrow."),
    ]


def test_a_result_for_a_call_no_span_recorded_is_an_entry_with_its_id(store: DuckDBStore) -> None:
    orphan = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c9", "response": "42"}]}
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [A1]), start_ms=0)
    trace.span("chat gpt-4o", chat([U1, A1, orphan, U2], [A2]), start_ms=20)
    result = trajectory(store, trace)
    assert [m.type for m in result.messages] == [
        "agent_start",
        "user_message",
        "assistant_message",
        "tool_call",
        "user_message",
        "assistant_message",
    ]
    call = result.messages[3].tool_call
    assert call is not None
    assert (call.tool_name, call.tool_call_id, call.tool_result) == (None, "c9", "42")


def test_a_result_naming_only_its_tool_answers_the_open_call_of_that_tool(store: DuckDBStore) -> None:
    by_name = {"role": "tool", "parts": [{"type": "tool_call_response", "name": "get_weather", "response": "18C"}]}
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [CALL]), start_ms=0)
    trace.span("chat gpt-4o", chat([U1, CALL, by_name], [A1]), start_ms=20)
    result = trajectory(store, trace)
    calls = [m.tool_call for m in result.messages if m.tool_call]
    assert [(c.tool_name, c.tool_call_id, c.tool_result) for c in calls] == [("get_weather", "c1", "18C")]


def test_a_tool_result_too_large_to_inline_is_referenced_from_its_own_span(store: DuckDBStore) -> None:
    import hashlib

    from tracechat.query.content import PREVIEW_CHARS, TEXT_LIMIT

    huge = "r" * (TEXT_LIMIT + 1)
    trace = TraceBuilder()
    agent = trace.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    trace.span("chat gpt-4o", chat([U1], [CALL]), parent=agent, start_ms=1)
    tool = trace.span(
        "execute_tool get_weather",
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.id": "c1", "gen_ai.tool.call.result": huge},
        parent=agent,
        start_ms=20,
    )
    result = trajectory(store, trace)
    call = next(m.tool_call for m in result.messages if m.tool_call)
    digest = hashlib.sha256(huge.encode()).hexdigest()[:32]
    assert call.content_refs == [f"{trace.trace_hex}.{tool}.{digest}"]
    assert call.tool_result == "r" * PREVIEW_CHARS + f"… [{len(huge)} characters; the whole text is in content_refs]"


def test_the_provider_is_the_roots_else_the_one_most_model_calls_used(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    agent = trace.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    for start, provider in enumerate(["OpenAI", "Anthropic", "anthropic"]):
        trace.span("chat", chat([U1], [A1], **{"gen_ai.provider.name": provider}), parent=agent, start_ms=start)
    assert trajectory(store, trace).provider == "anthropic"  # two of three calls, whatever the case
    rooted = TraceBuilder()
    rooted.span(
        "invoke_agent weather", {"gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "AWS.Bedrock"}
    )
    assert trajectory(store, rooted).provider == "aws.bedrock"
    plain = TraceBuilder()
    plain.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"})
    assert trajectory(store, plain).provider is None


def test_orphans_several_roots_and_clock_skew_are_all_shown(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    root = trace.span("invoke_agent a", {"gen_ai.operation.name": "invoke_agent"}, start_ms=10, duration_ms=50)
    trace.span("chat gpt-4o", chat([U1], [A1]), parent=root, start_ms=5)  # starts before its parent
    trace.span("execute_tool lookup", {"gen_ai.operation.name": "execute_tool"}, parent="00000000000000ff", start_ms=70)
    trace.span("second root", {"openinference.span.kind": "CHAIN", "output.value": "done"}, start_ms=80)
    result = trajectory(store, trace)
    assert [m.type for m in result.messages] == [
        "agent_start",
        "user_message",
        "assistant_message",
        "tool_call",
        "tool_call",
    ]
    assert result.messages[-1].tool_call is not None
    assert result.messages[-1].tool_call.tool_name == "second root"
    assert result.total_duration_ms == 85  # no single root: the whole trace's wall clock, 5 ms to 90 ms


def test_plumbing_makes_no_entry_and_a_step_needs_content(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    call = trace.span("chat gpt-4o", chat([U1], [A1]))
    trace.span("POST /v1/chat/completions", {"http.method": "POST"}, parent=call, start_ms=1)
    trace.span("db.query", {"db.statement": "select 1"}, start_ms=30)  # plumbing
    trace.span("autogen publish", {"messaging.operation": "publish", "input.value": "{}"}, start_ms=35)
    trace.span("parse", {"openinference.span.kind": "CHAIN"}, start_ms=40)  # a workflow step that said nothing
    trace.span(
        "retrieve", {"openinference.span.kind": "CHAIN", "input.value": "Paris", "output.value": "doc"}, start_ms=50
    )
    result = trajectory(store, trace)
    steps = [m.tool_call for m in result.messages if m.tool_call]
    assert [(s.tool_name, s.tool_arguments, s.tool_result) for s in steps] == [("retrieve", "Paris", "doc")]
    listed = {v.name for v in TraceQueries(store).spans("p", trace.trace_hex).spans}
    assert {"db.query", "autogen publish", "parse", "POST /v1/chat/completions"} <= listed  # still in the span list


def test_content_not_captured_is_null_never_invented(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    trace.span(
        "chat gpt-4o",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "m",
            "gen_ai.input.messages": "<REDACTED>",
            "gen_ai.usage.input_tokens": 3,
            "gen_ai.usage.output_tokens": 2,
        },
    )
    trace.span(
        "execute_tool t",
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.call.arguments": "{}",
            "gen_ai.tool.call.result": "__REDACTED__",
        },
        start_ms=20,
    )
    result = trajectory(store, trace)
    assert [m.type for m in result.messages] == ["agent_start", "assistant_message", "tool_call"]
    reply, call = result.messages[1].assistant_message, result.messages[2].tool_call
    assert reply is not None
    assert (reply.text, reply.input_tokens, reply.output_tokens) == (None, 3, 2)
    assert call is not None
    assert (call.tool_arguments, call.tool_result) == (None, None)


def test_structured_values_and_truncated_json_are_read(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    structured_input = [{"role": "user", "parts": [{"type": "text", "content": "Hi there"}]}]
    truncated = '[{"role": "assistant", "parts": [{"type": "text", "content": "Hello! How can I he'
    trace.span(
        "chat m",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.input.messages": structured_input,
            "gen_ai.output.messages": truncated,
        },
    )
    result = trajectory(store, trace)
    assert [m.user_message.text for m in result.messages if m.user_message] == ["Hi there"]
    assert [m.assistant_message.text for m in result.messages if m.assistant_message] == ["Hello! How can I he"]


def test_agent_output_is_used_only_when_no_model_call_answered(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    agent = trace.span(
        "invoke_agent a", {"gen_ai.operation.name": "invoke_agent", "gen_ai.output.messages": as_json([A1])}
    )
    trace.span("chat gpt-4o", chat([U1], [A1]), parent=agent, start_ms=1)
    assert [m.type for m in trajectory(store, trace).messages].count("assistant_message") == 1
    bare = TraceBuilder()
    bare.span(
        "invoke_agent b",
        {"gen_ai.operation.name": "invoke_agent", "input.value": "What now?", "output.value": "Nothing."},
    )
    assert outline(trajectory(store, bare)) == [
        ("agent_start", "b", None),
        ("user_message", "b", "What now?"),
        ("assistant_message", "b", "Nothing."),
    ]


def test_a_call_that_only_asked_for_tools_is_an_assistant_entry_with_its_calls(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    agent = trace.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    usage = {"gen_ai.usage.input_tokens": 42, "gen_ai.usage.output_tokens": 17}
    finish = {"gen_ai.response.finish_reasons": ["tool_calls"]}
    trace.span("chat gpt-4o", chat([U1], [CALL], **usage, **finish), parent=agent, start_ms=1)
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.id": "c1", "gen_ai.tool.call.result": "18C"}
    trace.span("execute_tool get_weather", tool, parent=agent, start_ms=20)
    answer_usage = {"gen_ai.usage.input_tokens": 88, "gen_ai.usage.output_tokens": 14}
    trace.span("chat gpt-4o", chat([U1, CALL, RESULT], [A1], **answer_usage), parent=agent, start_ms=30)
    result = trajectory(store, trace)
    asked = result.messages[2].assistant_message
    assert asked is not None
    assert (asked.text, asked.input_tokens, asked.output_tokens, asked.finish_reason) == (None, 42, 17, "tool_calls")
    assert [(c.id, c.name) for c in asked.tool_calls or ()] == [("c1", "get_weather")]
    assert result.messages[3].type == "tool_call"
    replies = [m.assistant_message for m in result.messages if m.assistant_message]
    assert sum(r.input_tokens or 0 for r in replies) == 130  # as the trace list counts them
    assert sum(r.output_tokens or 0 for r in replies) == 31


def test_an_agents_own_answer_does_not_count_its_calls_tokens_twice(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    answer = as_json([{"role": "assistant", "content": "Done: 18C."}])
    agent = trace.span(
        "invoke_agent weather",
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.output.messages": answer, "gen_ai.usage.input_tokens": 42},
        duration_ms=100,
    )
    trace.span("chat gpt-4o", chat([U1], [CALL], **{"gen_ai.usage.input_tokens": 42}), parent=agent, start_ms=1)
    result = trajectory(store, trace)
    replies = [m.assistant_message for m in result.messages if m.assistant_message]
    assert [(r.text, r.input_tokens) for r in replies] == [(None, 42), ("Done: 18C.", None)]


def test_a_failed_tool_shows_its_error(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [CALL]))
    failed = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.id": "c1", "gen_ai.tool.name": "get_weather"}
    tool_id = trace.span("execute_tool get_weather", failed, start_ms=20, error=True)
    trace.spans[-1].status.message = "ConnectionError: weather service down"
    trace.span("execute_tool ok", {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "ok"}, start_ms=30)
    result = trajectory(store, trace)
    calls = {m.span_id: m.tool_call for m in result.messages if m.tool_call}
    assert calls[tool_id].error == "ConnectionError: weather service down"
    assert [c.error for i, c in calls.items() if i != tool_id] == [None]


def test_a_tool_and_the_call_reading_its_result_in_one_millisecond_read_in_causal_order(store: DuckDBStore) -> None:
    """The OTel JS SDK stamps to the millisecond; the answer must not come before the tool."""
    trace = TraceBuilder()
    agent = trace.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    trace.span("chat gpt-4o", chat([U1], [CALL]), parent=agent, start_ms=1, duration_ms=9)
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.id": "c1", "gen_ai.tool.name": "get_weather"}
    # the answer's span id sorts first, and both start and end in the same millisecond
    answer_id = trace.span("chat gpt-4o", chat([U1, CALL, RESULT], [A1]), parent=agent, start_ms=10, duration_ms=0)
    tool_id = trace.span("execute_tool get_weather", tool, parent=agent, start_ms=10, duration_ms=0)
    assert answer_id < tool_id
    result = trajectory(store, trace)
    order = [m.span_id for m in result.messages if m.type in ("tool_call", "assistant_message")]
    assert order[1:] == [tool_id, answer_id]


def test_a_guessed_handoff_names_the_agent_as_it_names_itself(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    transfer = {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "t1", "name": "transfer_to_weather_agent", "arguments": {}}],
    }
    triage = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "Triage"}
    first = trace.span("invoke_agent Triage", triage, duration_ms=15)
    trace.span("chat gpt-4o", chat([U1], [transfer]), parent=first, start_ms=1)
    weather = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "Weather Agent"}
    second = trace.span("invoke_agent Weather Agent", weather, start_ms=20)
    trace.span("chat gpt-4o", chat([U1, transfer], [A1]), parent=second, start_ms=21)
    handoffs = [m.agent_handoff for m in trajectory(store, trace).messages if m.agent_handoff]
    assert [(h.from_agent, h.to_agent) for h in handoffs] == [("Triage", "Weather Agent")]


def test_constructing_an_agent_starts_nothing(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    tools = {"gen_ai.agent.tools": as_json([{"name": "get_weather"}])}
    trace.span("create_agent helper", {"gen_ai.operation.name": "create_agent", "gen_ai.agent.name": "helper"})
    named = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather", **tools}
    agent = trace.span("invoke_agent weather", named, start_ms=10, duration_ms=50)
    trace.span("chat gpt-4o", chat([U1], [A1]), parent=agent, start_ms=11)
    result = trajectory(store, trace)
    assert [(m.type, m.agent_name) for m in result.messages] == [
        ("agent_start", "weather"),
        ("user_message", "weather"),
        ("assistant_message", "weather"),
    ]
    start = result.messages[0].agent_start
    assert start is not None
    assert start.tool_definitions == '[{"name":"get_weather"}]'  # gen_ai.agent.tools, as Strands records them


def test_one_call_recorded_by_nested_spans_is_one_entry_from_the_span_with_content(store: DuckDBStore) -> None:
    """ADK's call_llm (content) over a client instrumentation's span (tokens only)."""
    trace = TraceBuilder()
    outer = trace.span("call_llm", chat([U1], [A1]), duration_ms=50)
    usage = {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 3}
    trace.span("chat gpt-4o", usage, parent=outer, start_ms=1, duration_ms=40)
    result = trajectory(store, trace)
    [answer] = [m for m in result.messages if m.assistant_message]
    assert answer.span_id == outer
    assert answer.assistant_message is not None
    assert (answer.assistant_message.text, answer.assistant_message.input_tokens) == ("18C in Paris.", 12)
    assert [m.user_message.text for m in result.messages if m.user_message] == ["Weather in Paris?"]


def test_a_frameworks_wrapping_of_the_question_is_no_second_user_turn(store: DuckDBStore) -> None:
    """Strands' Swarm hands each agent 'Context:\\nUser Request: …'; the swarm span holds the question."""
    trace = TraceBuilder()
    question = as_json([{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}])
    swarm = trace.span(
        "invoke_swarm", {"gen_ai.operation.name": "invoke_swarm", "gen_ai.input.messages": question}, duration_ms=90
    )
    for index, agent in enumerate(("triage", "weather")):
        wrapped = {
            "role": "user",
            "parts": [{"type": "text", "content": f"Context:\nUser Request: Weather in Paris?\nYou are {agent}."}],
        }
        named = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent}
        span = trace.span(f"invoke_agent {agent}", named, parent=swarm, start_ms=10 + 40 * index, duration_ms=30)
        trace.span("chat gpt-4o", chat([wrapped], [A1]), parent=span, start_ms=11 + 40 * index)
    result = trajectory(store, trace)
    users = [(m.span_id, m.agent_name, m.user_message.text) for m in result.messages if m.user_message]
    assert users == [(swarm, None, "Weather in Paris?")]
    assert result.messages[0].type == "user_message"  # where the swarm started: before the first agent


def test_a_handoff_tool_hands_over_where_it_ran_and_the_last_word_before_is_no_handback(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    handoff = {"type": "tool_call", "id": "h1", "name": "handoff_to_agent", "arguments": {"agent_name": "weather"}}
    asks = {"role": "assistant", "parts": [handoff]}
    handed = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "h1", "response": "handed over"}]}
    triage = trace.span(
        "invoke_agent triage", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage"}, duration_ms=30
    )
    trace.span("chat gpt-4o", chat([U1], [asks]), parent=triage, start_ms=1)
    tool = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "handoff_to_agent",
        "gen_ai.tool.call.id": "h1",
    }
    tool_span = trace.span("execute_tool handoff_to_agent", tool, parent=triage, start_ms=10)
    trace.span("chat gpt-4o", chat([U1, asks, handed], [A1]), parent=triage, start_ms=20)  # a last word
    weather = trace.span(
        "invoke_agent weather", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather"}, start_ms=40
    )
    trace.span("chat gpt-4o", chat([U1], [A1]), parent=weather, start_ms=41)
    handoffs = [
        (m.span_id, m.agent_handoff.from_agent, m.agent_handoff.to_agent)
        for m in trajectory(store, trace).messages
        if m.agent_handoff
    ]
    assert handoffs == [(tool_span, "triage", "weather")]


def test_an_answer_tool_is_the_answer_of_the_call_that_asked_for_it(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    final = {"type": "tool_call", "id": "f1", "name": "final_answer", "arguments": {"answer": "18C in Paris."}}
    trace.span("chat gpt-4o", chat([U1], [{"role": "assistant", "parts": [final]}]))
    trace.span("FinalAnswerTool", {"openinference.span.kind": "TOOL", "tool.name": "final_answer"}, start_ms=20)
    result = trajectory(store, trace)
    assert [m.type for m in result.messages] == ["agent_start", "user_message", "assistant_message"]
    answer = result.messages[-1].assistant_message
    assert answer is not None
    assert answer.text == "18C in Paris."
    assert [c.name for c in answer.tool_calls or ()] == ["final_answer"]


def test_spans_whose_parents_form_a_cycle_are_roots(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [A1]), parent="0000000000000002")
    trace.span("chat gpt-4o", chat([U1, A1, U2], [A2]), parent="0000000000000001", start_ms=10)
    trace.span("execute_tool t", {"gen_ai.operation.name": "execute_tool"}, parent="0000000000000002", start_ms=12)
    result = trajectory(store, trace)
    assert [m.type for m in result.messages].count("assistant_message") == 2  # one per call, both read
    assert any(m.type == "tool_call" for m in result.messages)  # below the cycle, still under its parent
