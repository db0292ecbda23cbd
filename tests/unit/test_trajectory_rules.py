"""The reading rules of a trajectory, on traces built span by span (conventions aside)."""

from __future__ import annotations

from tests.traces import BASE_NS, MS, TraceBuilder, as_json, outline, trajectory
from tests.trajectory_helpers import A1, U1, chat
from tracechat.model.summaries import TraceFilter
from tracechat.query.service import TraceQueries
from tracechat.query.session_queries import SessionQueries
from tracechat.store.analytics import TraceAnalytics
from tracechat.store.duck import DuckDBStore

SYSTEM = as_json([{"type": "text", "content": "You are a weather bot."}])
TOOLS = as_json([{"type": "function", "name": "get_weather"}])
CALL = {
    "role": "assistant",
    "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}],
}
RESULT = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "18C"}]}
U2 = {"role": "user", "parts": [{"type": "text", "content": "And tomorrow?"}]}
A2 = {"role": "assistant", "parts": [{"type": "text", "content": "Rain tomorrow."}]}


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


def test_a_failed_tool_whose_status_says_nothing_shows_the_exception_it_recorded(store: DuckDBStore) -> None:
    """pydantic-ai: status ERROR without a description, the reason in the ``exception`` event."""
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [CALL]))
    failed = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.id": "c1", "gen_ai.tool.name": "get_weather"}
    exception = {"exception.type": "ToolRetryError", "exception.message": "weather service down, try again"}
    tool_id = trace.span("execute_tool get_weather", failed, start_ms=20, error=True, events=[("exception", exception)])
    only_type = trace.span(
        "execute_tool x",
        {"gen_ai.operation.name": "execute_tool"},
        start_ms=30,
        error=True,
        events=[("exception", {"exception.type": "TimeoutError"})],
    )
    bare = trace.span("execute_tool y", {"gen_ai.operation.name": "execute_tool"}, start_ms=40, error=True)
    result = trajectory(store, trace)
    calls = {m.span_id: m.tool_call for m in result.messages if m.tool_call}
    assert calls[tool_id].error == "weather service down, try again"
    assert calls[only_type].error == "TimeoutError"
    assert calls[bare].error == "failed"


def test_a_tool_that_recorded_an_exception_and_returned_nothing_failed_whatever_its_status(store: DuckDBStore) -> None:
    """LangSmith's OTel export ends a failed run's span OK, then records the ``exception``: a tool
    span with an exception and no result failed; one that returned a result after recording an
    exception (one it handled) did not."""
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [CALL]))
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}
    exception = [("exception", {"exception.type": "Error", "exception.message": "weather service down"})]
    failed = trace.span("get_weather", tool, start_ms=20, events=exception)
    trace.spans[-1].status.code = 1  # OK, as exported
    handled = trace.span("get_weather", {**tool, "gen_ai.tool.call.result": "18C"}, start_ms=30, events=exception)
    result = trajectory(store, trace)
    calls = {m.span_id: m.tool_call for m in result.messages if m.tool_call}
    assert calls[failed].error == "weather service down"
    assert calls[handled].error is None


def test_a_tool_whose_result_says_it_failed_shows_its_error_whatever_its_status(store: DuckDBStore) -> None:
    """AgentScope ends a failed tool's span OK and records the caught exception's text as a
    ``ToolResponse`` with ``state: error``; MCP's ``CallToolResult`` flags ``isError``: the
    result says the tool failed, and its text is why."""
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [CALL]))
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}
    block = {"type": "text", "text": "weather service down", "id": "b1", "created_at": "2026-12-03T14:22:50"}
    said: list[str] = []
    for start_ms, state in ((20, "error"), (30, "success")):
        response = {"content": [block], "state": state, "metadata": {}, "id": f"c{start_ms}"}
        said.append(
            trace.span(
                "execute_tool get_weather", {**tool, "gen_ai.tool.call.result": as_json(response)}, start_ms=start_ms
            )
        )
    flagged = {"content": [{"type": "text", "text": "no such city"}], "isError": True}
    mcp = trace.span("execute_tool get_weather", {**tool, "gen_ai.tool.call.result": as_json(flagged)}, start_ms=40)
    result = trajectory(store, trace)
    calls = {m.span_id: m.tool_call for m in result.messages if m.tool_call}
    assert [(calls[i].error, calls[i].tool_result) for i in said] == [
        ("weather service down", "weather service down"),
        (None, "weather service down"),
    ]
    assert (calls[mcp].error, calls[mcp].tool_result) == ("no such city", "no such city")


def test_an_untraced_tools_result_naming_an_error_is_a_failed_call(store: DuckDBStore) -> None:
    """A hand-written loop runs its tool untraced and sends its answer back; a tool that
    returns its failure as an object with an ``error`` text (``{"city": "Paris", "error":
    ...}``) failed, and that text is why; an ``error`` that is empty or null is no failure."""

    def call(call_id: str) -> dict[str, object]:
        return {"role": "assistant", "parts": [{**CALL["parts"][0], "id": call_id}]}  # type: ignore[index]

    def result(call_id: str, response: object) -> dict[str, object]:
        return {"role": "tool", "parts": [{"type": "tool_call_response", "id": call_id, "response": response}]}

    failed = as_json({"city": "Paris", "error": "weather service down, try again"})
    nothing = as_json({"city": "Paris", "temperature_c": 18, "error": ""})
    answered = as_json({"city": "Paris", "temperature_c": 18, "error": None})
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [call("c1")]))
    trace.span("chat gpt-4o", chat([U1, call("c1"), result("c1", failed)], [call("c2")]), start_ms=10)
    history = [U1, call("c1"), result("c1", failed), call("c2"), result("c2", nothing)]
    trace.span("chat gpt-4o", chat(history, [call("c3")]), start_ms=20)
    trace.span("chat gpt-4o", chat([*history, call("c3"), result("c3", answered)], [A1]), start_ms=30)
    calls = [m.tool_call for m in trajectory(store, trace).messages if m.tool_call]
    assert [(c.tool_call_id, c.error) for c in calls] == [
        ("c1", "weather service down, try again"),
        ("c2", None),
        ("c3", None),
    ]
    assert calls[0].tool_result == failed


def test_an_assistant_message_holding_its_calls_results_is_the_steps_the_model_exchanged(store: DuckDBStore) -> None:
    """AgentScope records a reply as one assistant message: the tool call, its result, the
    answer's text. Read as the call, the tool's result and the answer, the next turn's trace,
    whose input repeats that record, shows neither the result nor the answer again."""
    asked = {"gen_ai.conversation.id": "s1"}
    record = {"role": "assistant", "parts": [*CALL["parts"], *RESULT["parts"], *A1["parts"]]}
    first, second = TraceBuilder(), TraceBuilder(base_ns=BASE_NS + 10_000 * MS)
    first.span("chat gpt-4o", chat([U1], [CALL], **asked), start_ms=0)
    ran = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "c1"}
    first.span("execute_tool get_weather", {**ran, "gen_ai.tool.call.result": "18C", **asked}, start_ms=10)
    so_far = {"role": "assistant", "parts": CALL["parts"] + RESULT["parts"]}
    first.span("chat gpt-4o", chat([U1, so_far], [A1], **asked), start_ms=20)
    second.span("chat gpt-4o", chat([U1, record, U2], [A2], **asked))
    for trace in (first, second):
        trace.store_in(store)
    session = SessionQueries(store).session_trajectory("p", "s1")
    assert [(m.trace_id == first.trace_hex, m.type) for m in session.messages if m.type != "agent_start"] == [
        (True, "user_message"),
        (True, "assistant_message"),
        (True, "tool_call"),
        (True, "assistant_message"),
        (False, "user_message"),
        (False, "assistant_message"),
    ]


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


def test_an_agent_span_whose_input_holds_messages_unwraps_its_model_calls_question(store: DuckDBStore) -> None:
    """BeeAI records a member agent's input as ``{"input": [<messages>]}`` and sends the
    model ``Your task: <task>``: the task is the member's user message, as it was given."""
    trace = TraceBuilder()
    given = as_json({"input": [{"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]}]})
    agent = trace.span("weather", {"openinference.span.kind": "AGENT", "agent.name": "weather", "input.value": given})
    wrapped = {"role": "user", "parts": [{"type": "text", "content": "Your task: Weather in Paris?"}]}
    trace.span("chat gpt-4o", chat([wrapped], [A1]), parent=agent, start_ms=1)
    result = trajectory(store, trace)
    assert [m.user_message.text for m in result.messages if m.user_message] == ["Weather in Paris?"]


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


def test_an_answer_tool_s_only_text_argument_is_the_answer_whatever_its_name(store: DuckDBStore) -> None:
    """BeeAI's RequirementAgent answers through ``final_answer({"response": …})``."""
    trace = TraceBuilder()
    final = {"type": "tool_call", "id": "f1", "name": "final_answer", "arguments": {"response": "18C in Paris."}}
    trace.span("chat gpt-4o", chat([U1], [{"role": "assistant", "parts": [final]}]))
    two = {"type": "tool_call", "id": "f2", "name": "final_answer", "arguments": {"response": "18C.", "note": "x"}}
    trace.span("chat gpt-4o", chat([U1], [{"role": "assistant", "parts": [two]}]), start_ms=20)
    answers = [m.assistant_message.text for m in trajectory(store, trace).messages if m.assistant_message]
    assert answers == ["18C in Paris.", '{"response":"18C.","note":"x"}']  # two arguments: all of them


def test_spans_whose_parents_form_a_cycle_are_roots(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [A1]), parent="0000000000000002")
    trace.span("chat gpt-4o", chat([U1, A1, U2], [A2]), parent="0000000000000001", start_ms=10)
    trace.span("execute_tool t", {"gen_ai.operation.name": "execute_tool"}, parent="0000000000000002", start_ms=12)
    result = trajectory(store, trace)
    assert [m.type for m in result.messages].count("assistant_message") == 2  # one per call, both read
    assert any(m.type == "tool_call" for m in result.messages)  # below the cycle, still under its parent


def test_a_call_that_says_its_conversation_was_compacted_shows_one_compaction(store: DuckDBStore) -> None:
    """Server-side compaction (OpenAI's ``context_management``, recorded by util-genai as
    ``gen_ai.conversation.compacted``): one ``context_compacted`` before the reply of the
    call that first says so, of the context it was sent; the calls after it that carry the
    compaction in their input say so too, and are no compaction of their own, until a call
    no longer says so."""

    def said(role: str, content: str) -> dict[str, object]:
        return {"role": role, "parts": [{"type": "text", "content": content}]}

    history = [U1]
    trace = TraceBuilder()
    for turn, flag in enumerate((None, True, True, None, "true")):
        extra = {"gen_ai.conversation.compacted": flag} if flag is not None else {}
        reply = said("assistant", f"Answer {turn}.")
        trace.span("chat gpt-4o", chat(history, [reply], **extra), start_ms=20 * turn)
        history = [*history, reply, said("user", f"Question {turn + 1}?")]
    result = trajectory(store, trace)
    kinds = [m.type for m in result.messages if m.type != "agent_start"]
    assert kinds == [
        *("user_message", "assistant_message"),
        *("user_message", "context_compacted", "assistant_message"),
        *("user_message", "assistant_message"),  # still compacted: the same compaction
        *("user_message", "assistant_message"),
        *("user_message", "context_compacted", "assistant_message"),  # compacted again
    ]
    compactions = [m.context_compacted for m in result.messages if m.context_compacted]
    assert [(c.compaction_summary, c.compaction_items_before, c.compaction_items_after) for c in compactions] == [
        (None, 3, None),
        (None, 9, None),
    ]


def test_one_call_recorded_by_a_model_call_span_inside_another_counts_its_tokens_once(store: DuckDBStore) -> None:
    """Double instrumentation (OpenInference's LLM span over the Anthropic SDK's own ``chat``
    span): one assistant entry, and the trace list counts the call's tokens once too."""
    usage = {"gen_ai.usage.input_tokens": 117, "gen_ai.usage.output_tokens": 29}
    trace = TraceBuilder()
    root = trace.span("weather-chat", {}, duration_ms=100)
    outer = trace.span("messages.create", chat([U1], [A1], **usage), parent=root, start_ms=1, duration_ms=50)
    sdk = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", **usage}
    trace.span("anthropic.messages.create", sdk, parent=outer, start_ms=2)
    tool = trace.span("execute_tool get_weather", {"gen_ai.operation.name": "execute_tool"}, parent=root, start_ms=60)
    # no operation and no model asked for: a usage report (AG2's record_usage), counted nowhere
    trace.span("plain", {"gen_ai.usage.input_tokens": 5}, parent=tool, start_ms=61)
    # Google ADK schema 1: call_llm (no operation) over generate_content, both with the usage
    adk = {"gen_ai.usage.input_tokens": 40, "gen_ai.usage.output_tokens": 4}
    call_llm = trace.span("call_llm", {"gen_ai.request.model": "gpt-4o", **adk}, parent=root, start_ms=70)
    trace.span("generate_content m", chat([U1, A1, U2], [A2], **adk), parent=call_llm, start_ms=71)
    result = trajectory(store, trace)
    assistants = [m.assistant_message for m in result.messages if m.assistant_message]
    assert [(a.input_tokens, a.output_tokens) for a in assistants] == [(117, 29), (40, 4)]
    [listed] = TraceQueries(store).list_traces("p", TraceFilter(since_ns=0), 10, 0).traces
    assert (listed.input_tokens, listed.output_tokens) == (157, 33)  # the assistant entries' sum
    usage = TraceAnalytics(store).usage("p", 0)  # the assistant's "tokens by model" too
    assert [(row["calls"], row["input_tokens"]) for row in usage] == [(2, 157)]


def test_one_call_recorded_by_two_sibling_spans_speaks_once_and_counts_once(store: DuckDBStore) -> None:
    """OpenLLMetry's span beside the Anthropic SDK's own (neither is current in the other):
    the model-call span within the other's time with the same input tokens is the same
    call; a sibling call with other input tokens, or outside its time, is a call of its own."""
    usage = {"gen_ai.usage.input_tokens": 117, "gen_ai.usage.output_tokens": 30}
    trace = TraceBuilder()
    root = trace.span("weather-chat", {}, duration_ms=200)
    trace.span("anthropic.chat", chat([U1], [CALL], **usage), parent=root, start_ms=1, duration_ms=50)
    sdk = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 117}
    sdk["gen_ai.usage.output_tokens"] = 29
    trace.span("anthropic.messages.create", sdk, parent=root, start_ms=5, duration_ms=40)
    other = {**sdk, "gen_ai.usage.input_tokens": 50}  # another call that happens to overlap
    trace.span("chat other", other, parent=root, start_ms=10, duration_ms=20)
    trace.span("chat later", sdk, parent=root, start_ms=100, duration_ms=20)  # not within: a call of its own
    result = trajectory(store, trace)
    assistants = [m.assistant_message for m in result.messages if m.assistant_message]
    assert [(a.input_tokens, a.output_tokens) for a in assistants] == [(117, 30), (50, 29), (117, 29)]
    [listed] = TraceQueries(store).list_traces("p", TraceFilter(since_ns=0), 10, 0).traces
    assert (listed.input_tokens, listed.output_tokens) == (284, 88)
    usage = TraceAnalytics(store).usage("p", 0)
    assert [(row["calls"], row["input_tokens"]) for row in usage] == [(3, 284)]


def test_elided_content_is_not_captured_and_the_innermost_call_names_the_provider(store: DuckDBStore) -> None:
    """Google ADK schema 1: ``call_llm`` holds the request and response; the client span
    inside it has only ``<elided>`` log bodies (content capture off), which are no content,
    so ``call_llm`` speaks; the provider is the inner span's (the model's, not ADK's)."""
    request = {"contents": [{"role": "user", "parts": [{"text": "Weather in Paris?"}]}], "model": "m"}
    response = {"content": {"role": "model", "parts": [{"text": "18C in Paris."}]}}
    trace = TraceBuilder()
    root = trace.span("invocation", {}, duration_ms=60)
    outer = trace.span(
        "call_llm",
        {
            "gen_ai.system": "gcp.vertex.agent",
            "gcp.vertex.agent.llm_request": as_json(request),
            "gcp.vertex.agent.llm_response": as_json(response),
        },
        parent=root,
        duration_ms=50,
    )
    called = {"gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 5}  # as the capture's: a call was made
    inner = trace.span(
        "generate_content m",
        {"gen_ai.operation.name": "generate_content", "gen_ai.system": "openai", **called},
        parent=outer,
    )
    trace.log(inner, "gen_ai.user.message", {"content": "<elided>"})
    trace.log(inner, "gen_ai.choice", {"content": "<elided>", "index": 0})
    result = trajectory(store, trace)
    assert [(kind, main) for kind, _, main in outline(result) if kind != "agent_start"] == [
        ("user_message", "Weather in Paris?"),
        ("assistant_message", "18C in Paris."),
    ]
    assert result.provider == "openai"


def test_a_span_marked_as_a_model_call_that_recorded_none_makes_no_entry(store: DuckDBStore) -> None:
    """LlamaIndex marks the step that builds a request as an LLM span: a model name, its
    arguments and the request it built, nothing a model returned."""
    trace = TraceBuilder()
    step = trace.span("agent step", {"openinference.span.kind": "CHAIN"}, duration_ms=100)
    builder = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o",
        "input.value": as_json({"tools": ["<FunctionTool>"], "chat_history": ["..."]}),
        "output.value": as_json({"messages": ["ChatMessage(...)"]}),
    }
    trace.span("OpenAI._prepare_chat_with_tools", builder, parent=step, start_ms=1)
    trace.span("chat gpt-4o", chat([U1], [A1]), parent=step, start_ms=5)
    result = trajectory(store, trace)
    assert [(m.type, m.span_id) for m in result.messages if m.type != "user_message"] == [
        ("agent_start", result.messages[-1].span_id),
        ("assistant_message", result.messages[-1].span_id),
    ]
    kinds = {v.name: v.kind for v in TraceQueries(store).spans("p", trace.trace_hex).spans}
    assert kinds["OpenAI._prepare_chat_with_tools"] == "other"  # still listed, as no model call


def test_a_workflows_bookkeeping_steps_in_a_run_that_calls_a_model_make_no_entry(store: DuckDBStore) -> None:
    """LlamaIndex's agent workflow: its steps (init_run, parse_agent_output…) record Python
    reprs of events; the model and tool calls show what the run did."""
    trace = TraceBuilder()
    run = trace.span("FunctionAgent.run", {"openinference.span.kind": "CHAIN"}, duration_ms=100)
    events = {"openinference.span.kind": "CHAIN", "input.value": '{"ev": "StartEvent()"}', "output.value": "Input()"}
    trace.span("BaseWorkflowAgent.init_run", events, parent=run, start_ms=1)
    trace.span("chat gpt-4o", chat([U1], [A1]), parent=run, start_ms=5)
    trace.span("BaseWorkflowAgent.parse_agent_output", events, parent=run, start_ms=30)
    result = trajectory(store, trace)
    assert [m.type for m in result.messages] == ["agent_start", "user_message", "assistant_message"]


def test_a_tool_span_with_the_display_name_of_the_called_function_is_that_call(store: DuckDBStore) -> None:
    """CrewAI's tool span says `Delegate work to coworker` for `delegate_work_to_coworker`,
    with no call id: one tool call, not two."""
    call = {"role": "assistant", "parts": [{"type": "tool_call", "id": "c9", "name": "delegate_work_to_coworker"}]}
    trace = TraceBuilder()
    agent = trace.span("lead", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "lead"}, duration_ms=90)
    trace.span("chat gpt-4o", chat([U1], [call]), parent=agent, start_ms=1)
    tool = {"openinference.span.kind": "TOOL", "tool.name": "Delegate work to coworker", "output.value": "done"}
    trace.span("Delegate work to coworker.run", tool, parent=agent, start_ms=20)
    result = trajectory(store, trace)
    calls = [m.tool_call for m in result.messages if m.tool_call]
    assert [(c.tool_name, c.tool_call_id, c.tool_result) for c in calls] == [
        ("Delegate work to coworker", "c9", "done")
    ]


def test_a_tool_that_calls_a_model_runs_an_agent_of_its_own(store: DuckDBStore) -> None:
    """CrewAI's delegation through OpenInference: the coworker's model calls run inside the
    delegation tool's span, under the delegating agent's span, and no span names the
    coworker: its entries are an unnamed agent's, not the delegating agent's."""
    lead_system = {"gen_ai.system_instructions": as_json([{"type": "text", "content": "You lead."}])}
    member_system = {"gen_ai.system_instructions": as_json([{"type": "text", "content": "You look it up."}])}
    delegate = {"role": "assistant", "parts": [{"type": "tool_call", "id": "d1", "name": "delegate"}]}
    trace = TraceBuilder()
    agent = trace.span("lead", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "lead"}, duration_ms=90)
    trace.span("chat gpt-4o", chat([U1], [delegate], **lead_system), parent=agent, start_ms=1)
    tool = trace.span(
        "delegate",
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.id": "d1"},
        parent=agent,
        start_ms=10,
        duration_ms=40,
    )
    trace.span("chat gpt-4o", chat([U2], [A2], **member_system), parent=tool, start_ms=11)
    final = [U1, delegate, {"role": "tool", "parts": [{"type": "tool_call_response", "id": "d1", "response": "Rain"}]}]
    trace.span("chat gpt-4o", chat(final, [A1], **lead_system), parent=agent, start_ms=60)
    result = trajectory(store, trace)
    assert [(m.type, m.agent_name) for m in result.messages] == [
        ("agent_start", "lead"),
        ("user_message", "lead"),
        ("assistant_message", "lead"),
        ("tool_call", "lead"),
        ("agent_start", None),  # the member, with its own instructions
        ("user_message", None),
        ("assistant_message", None),
        ("assistant_message", "lead"),  # the lead again, with no second start
    ]


def test_a_tool_span_named_after_the_method_its_tool_ran_is_that_tool(store: DuckDBStore) -> None:
    """DSPy's tool spans record no tool name: `get_weather.__call__`."""
    trace = TraceBuilder()
    trace.span("get_weather.__call__", {"openinference.span.kind": "TOOL", "output.value": "18C"})
    calls = [m.tool_call for m in trajectory(store, trace).messages if m.tool_call]
    assert [c.tool_name for c in calls] == ["get_weather"]


def test_the_provider_is_the_model_calls_not_a_framework_the_root_names(store: DuckDBStore) -> None:
    """CrewAI's crew span says `gen_ai.provider.name = crewai`; its model calls are OpenAI's."""
    trace = TraceBuilder()
    crew = trace.span("crewai.workflow", {"gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "crewai"})
    trace.span("openai.chat", chat([U1], [A1], **{"gen_ai.provider.name": "openai"}), parent=crew, start_ms=1)
    assert trajectory(store, trace).provider == "openai"


def test_a_handoff_tool_naming_its_agent_in_to_agent_hands_over_to_it_where_it_ran(store: DuckDBStore) -> None:
    """LlamaIndex's AgentWorkflow: a `handoff` tool with `to_agent`, a tool span without a
    call id, and no agent spans: the call after it, with other instructions, is that agent's."""
    triage = {"gen_ai.system_instructions": as_json([{"type": "text", "content": "Route it."}])}
    weather = {"gen_ai.system_instructions": as_json([{"type": "text", "content": "Answer it."}])}
    handoff = {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "h1", "name": "handoff", "arguments": {"to_agent": "weather_agent"}}],
    }
    handed = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "h1", "response": "Agent weather_agent…"}]}
    trace = TraceBuilder()
    run = trace.span("AgentWorkflow.run", {"openinference.span.kind": "CHAIN"}, duration_ms=100)
    trace.span("chat gpt-4o", chat([U1], [handoff], **triage), parent=run, start_ms=1)
    tool = {
        "openinference.span.kind": "TOOL",
        "tool.name": "handoff",
        "input.value": '{"kwargs": {"to_agent": "weather_agent"}}',
    }
    handoff_span = trace.span("FunctionTool.acall", tool, parent=run, start_ms=20)
    trace.span("chat gpt-4o", chat([U1, handoff, handed], [A1], **weather), parent=run, start_ms=40)
    result = trajectory(store, trace)
    assert [(m.type, m.agent_name) for m in result.messages] == [
        ("agent_start", None),
        ("user_message", None),
        ("assistant_message", None),
        ("agent_handoff", None),
        ("agent_start", "weather_agent"),
        ("assistant_message", "weather_agent"),
    ]
    handed_over = result.messages[3]
    assert handed_over.span_id == handoff_span  # where control passed
    assert handed_over.agent_handoff is not None
    assert handed_over.agent_handoff.to_agent == "weather_agent"


def test_one_tool_call_recorded_by_nested_spans_of_the_same_tool_is_one_entry(store: DuckDBStore) -> None:
    """OpenInference's AutoGen TOOL span (arguments, result) over AutoGen's own
    `execute_tool` span (the call id) of the same call."""
    trace = TraceBuilder()
    agent = trace.span(
        "weather", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather"}, duration_ms=90
    )
    trace.span("chat gpt-4o", chat([U1], [CALL]), parent=agent, start_ms=1)
    outer = {
        "openinference.span.kind": "TOOL",
        "tool.name": "get_weather",
        "input.value": '{"city": "Paris"}',
        "output.value": "18C",
    }
    tool = trace.span("weather.get_weather", outer, parent=agent, start_ms=20, duration_ms=10)
    inner = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "c1"}
    trace.span("execute_tool get_weather", inner, parent=tool, start_ms=21, duration_ms=5)
    result = trajectory(store, trace)
    calls = [(m.span_id, m.tool_call) for m in result.messages if m.tool_call]
    assert [(span_id, c.tool_call_id, c.tool_result) for span_id, c in calls] == [(tool, "c1", "18C")]


def test_the_note_a_transfer_returned_is_no_user_turn_of_the_agent_taken_over(store: DuckDBStore) -> None:
    """AutoGen's Swarm gives the agent handed to the transfer tool's result as a user message."""
    note = "Transferred to weather, adopting the role of weather immediately."
    transfer = {"role": "assistant", "parts": [{"type": "tool_call", "id": "t1", "name": "transfer_to_weather"}]}
    trace = TraceBuilder()
    triage = trace.span(
        "triage", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage"}, duration_ms=30
    )
    trace.span("chat gpt-4o", chat([U1], [transfer]), parent=triage, start_ms=1)
    handed = {
        "openinference.span.kind": "TOOL",
        "tool.name": "transfer_to_weather",
        "input.value": "{}",
        "output.value": note,
    }
    trace.span("triage.transfer_to_weather", handed, parent=triage, start_ms=20)
    weather = trace.span(
        "weather", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather"}, start_ms=40
    )
    passed = {"role": "user", "parts": [{"type": "text", "content": note}]}
    trace.span("chat gpt-4o", chat([U1, passed], [A1]), parent=weather, start_ms=41)
    result = trajectory(store, trace)
    assert [m.user_message.text for m in result.messages if m.user_message] == ["Weather in Paris?"]
    assert [(h.from_agent, h.to_agent) for h in (m.agent_handoff for m in result.messages) if h] == [
        ("triage", "weather")
    ]


def test_a_langgraph_graph_that_is_no_node_of_another_is_the_agent_named_after_it(store: DuckDBStore) -> None:
    """OpenInference's JS instrumentation marks the graph run CHAIN (the Python one AGENT)."""
    trace = TraceBuilder()
    graph_metadata = as_json({"ls_integration": "langgraph"})
    node_metadata = as_json({"ls_integration": "langgraph", "langgraph_node": "agent", "langgraph_step": 1})
    graph = trace.span(
        "weather_agent", {"openinference.span.kind": "CHAIN", "metadata": graph_metadata}, duration_ms=50
    )
    node = trace.span(
        "agent", {"openinference.span.kind": "CHAIN", "metadata": node_metadata}, parent=graph, start_ms=1
    )
    llm = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "Weather in Paris?",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "18C in Paris.",
    }
    trace.span("ChatOpenAI", llm, parent=node, start_ms=2)
    assert outline(trajectory(store, trace)) == [
        ("agent_start", "weather_agent", None),
        ("user_message", "weather_agent", "Weather in Paris?"),
        ("assistant_message", "weather_agent", "18C in Paris."),
    ]


def test_an_agent_span_that_names_the_agent_it_came_from_and_runs_nothing_is_the_handoff(store: DuckDBStore) -> None:
    """OpenLIT records the OpenAI Agents SDK's handoff as an empty ``invoke_agent <to>`` span
    with ``gen_ai.agent.source = <from>``, inside the handing agent's turn: the handoff sits
    there, and the agent taken over starts where it runs, with what its own span records."""
    transfer = {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "t1", "name": "transfer_to_weather_agent", "arguments": {}}],
    }
    trace = TraceBuilder()
    triage = trace.span("invoke_agent Triage", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "Triage"})
    trace.span("chat gpt-4o", chat([U1], [transfer]), parent=triage, start_ms=1)
    record = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "Weather Agent",
        "gen_ai.agent.source": "Triage",
    }
    handed = trace.span("invoke_agent Weather Agent", record, parent=triage, start_ms=30, duration_ms=0)
    weather = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "Weather Agent",
        "gen_ai.tool.definitions": TOOLS,
    }
    second = trace.span("invoke_agent Weather Agent", weather, start_ms=40)
    trace.span("chat gpt-4o", chat([U1], [A1], **{"gen_ai.system_instructions": SYSTEM}), parent=second, start_ms=41)
    result = trajectory(store, trace)
    assert [(m.type, m.span_id) for m in result.messages if m.type in ("agent_handoff", "agent_start")] == [
        ("agent_start", triage),
        ("agent_handoff", handed),
        ("agent_start", second),
    ]
    start = result.messages[-2].agent_start
    assert start is not None
    assert (start.system_instructions, start.tool_definitions) == ("You are a weather bot.", TOOLS.replace(" ", ""))


def test_an_empty_agent_span_holding_siblings_in_its_time_is_their_agent(store: DuckDBStore) -> None:
    """OpenLLMetry's LangChain handler records an agent run inside a tool as an empty
    ``invoke_agent helper`` span beside the run that does the work: what ran within its
    time is that agent's, so a handoff to it and back frame its entries."""
    ask = {"role": "assistant", "parts": [{"type": "tool_call", "id": "a1", "name": "ask_helper", "arguments": {}}]}
    answer = [U1, ask, {"role": "tool", "parts": [{"type": "tool_call_response", "id": "a1", "response": "Rain"}]}]
    trace = TraceBuilder()
    lead = trace.span("invoke_agent lead", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "lead"})
    trace.span("chat gpt-4o", chat([U1], [ask]), parent=lead, start_ms=1)
    tool = trace.span(
        "execute_tool ask_helper", {"gen_ai.operation.name": "execute_tool"}, parent=lead, start_ms=10, duration_ms=40
    )
    helper = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "helper"}
    trace.span("invoke_agent helper", helper, parent=tool, start_ms=11, duration_ms=38)
    run = trace.span(
        "execute_task helper", {"gen_ai.operation.name": "execute_task"}, parent=tool, start_ms=12, duration_ms=36
    )
    trace.span("chat gpt-4o", chat([U2], [A2]), parent=run, start_ms=13)
    trace.span("chat gpt-4o", chat(answer, [A1]), parent=lead, start_ms=60)
    result = trajectory(store, trace)
    assert [(m.type, m.agent_name) for m in result.messages] == [
        ("agent_start", "lead"),
        ("user_message", "lead"),
        ("assistant_message", "lead"),
        ("tool_call", "lead"),
        ("agent_handoff", "lead"),
        ("agent_start", "helper"),
        ("user_message", "helper"),
        ("assistant_message", "helper"),
        ("agent_handoff", "helper"),
        ("assistant_message", "lead"),
    ]


def test_a_reply_recorded_only_as_a_legacy_function_call_learns_its_id_from_the_next_input(store: DuckDBStore) -> None:
    """LiteLLM's OTel callback: the reply that asked for a tool is ``gen_ai.output.messages``
    with no part at all (it says nothing) beside ``gen_ai.completion.0.function_call.*`` (no
    id); the next call's input repeats the call with its id and answers it. One call, with
    the id, on the assistant entry too."""
    system = {"role": "system", "parts": [{"type": "text", "content": "You are a weather bot."}]}
    question = {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    asked = {"role": "assistant", "parts": [], "tool_calls": [call]}
    told = {"role": "tool", "parts": [{"type": "text", "content": "18C"}], "tool_call_id": "c1"}
    trace = TraceBuilder()
    root = trace.span("weather agent", {}, duration_ms=100)
    trace.span(
        "litellm_request",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": as_json([system, question]),
            "gen_ai.output.messages": as_json([{"role": "assistant", "parts": [], "finish_reason": "tool_calls"}]),
            "gen_ai.completion.0.function_call.name": "get_weather",
            "gen_ai.completion.0.function_call.arguments": '{"city": "Paris"}',
        },
        parent=root,
        start_ms=1,
    )
    answer = [{"role": "assistant", "parts": [{"type": "text", "content": "18C in Paris."}], "finish_reason": "stop"}]
    trace.span(
        "litellm_request",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": as_json([system, question, asked, told]),
            "gen_ai.output.messages": as_json(answer),
        },
        parent=root,
        start_ms=30,
    )
    result = trajectory(store, trace)
    assert [(kind, main) for kind, _, main in outline(result)] == [
        ("agent_start", "You are a weather bot."),
        ("user_message", "Weather in Paris?"),
        ("assistant_message", None),
        ("tool_call", "get_weather"),
        ("assistant_message", "18C in Paris."),
    ]
    first = next(m.assistant_message for m in result.messages if m.assistant_message)
    assert first is not None
    assert [(c.id, c.name) for c in first.tool_calls or []] == [("c1", "get_weather")]
    tool = next(m.tool_call for m in result.messages if m.tool_call)
    assert tool is not None
    assert (tool.tool_call_id, tool.tool_arguments, tool.tool_result) == ("c1", '{"city": "Paris"}', "18C")
