"""Each instrumentation convention's own keys, read into the same trajectory."""

from __future__ import annotations

import json

import pytest

from tests.traces import TraceBuilder, as_json, outline, trajectory
from tracechat.genai.registry import normalize
from tracechat.genai.types import SpanFacts
from tracechat.model.records import SpanFields
from tracechat.model.span import SpanEvent, SpanPayload
from tracechat.model.summaries import TraceFilter
from tracechat.model.trajectory import AgentChatTrajectory
from tracechat.query.service import TraceQueries
from tracechat.store.duck import DuckDBStore

EXPECTED = [
    ("agent_start", "You are a weather bot."),
    ("user_message", "Weather in Paris?"),
    ("assistant_message", None),  # the call that only asked for the tool
    ("tool_call", "get_weather"),
    ("assistant_message", "18C in Paris."),
]


def _read(store: DuckDBStore, trace: TraceBuilder) -> list[tuple[str, str | None]]:
    return [(kind, main) for kind, _agent, main in outline(trajectory(store, trace))]


def _assert_the_weather_tool_call(result: AgentChatTrajectory) -> None:
    """The first tool call is ``get_weather`` (id ``c1``) asked for Paris, which was told 18C."""
    tool = next(m.tool_call for m in result.messages if m.tool_call)
    assert tool is not None
    assert (tool.tool_name, tool.tool_call_id, tool.tool_arguments, tool.tool_result) == (
        "get_weather",
        "c1",
        '{"city": "Paris"}',
        "18C",
    )


def test_otel_per_message_log_events(store: DuckDBStore) -> None:
    """semconv 1.28–1.36: content in gen_ai.*.message / gen_ai.choice log records."""
    trace = TraceBuilder()
    first = trace.span("chat gpt-4o", {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})
    trace.log(first, "gen_ai.system.message", {"content": "You are a weather bot."})
    trace.log(first, "gen_ai.user.message", {"content": "Weather in Paris?"})
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
    trace.log(first, "gen_ai.choice", {"index": 0, "finish_reason": "tool_calls", "message": {"tool_calls": [call]}})
    second = trace.span("chat gpt-4o", {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}, start_ms=20)
    trace.log(second, "gen_ai.system.message", {"content": "You are a weather bot."})
    trace.log(second, "gen_ai.user.message", {"content": "Weather in Paris?"})
    trace.log(second, "gen_ai.assistant.message", {"tool_calls": [call]})
    trace.log(second, "gen_ai.tool.message", {"content": "18C", "id": "c1"})
    trace.log(second, "gen_ai.choice", {"index": 0, "finish_reason": "stop", "message": {"content": "18C in Paris."}})
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    call_entry = next(m.tool_call for m in result.messages if m.tool_call)
    assert call_entry is not None
    assert (call_entry.tool_arguments, call_entry.tool_result) == ('{"city":"Paris"}', "18C")


def test_otel_operation_details_event_and_span_events_of_1_27(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    details = trace.span("chat m", {"gen_ai.operation.name": "chat"})
    trace.log(
        details,
        "gen_ai.client.inference.operation.details",
        "",
        {
            "gen_ai.input.messages": as_json([{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]),
            "gen_ai.output.messages": as_json([{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}]}]),
        },
    )
    trace.span(
        "chat m",
        {"gen_ai.operation.name": "chat"},
        start_ms=20,
        events=[
            ("gen_ai.content.prompt", {"gen_ai.prompt": as_json([{"role": "user", "content": "Bye"}])}),
            ("gen_ai.content.completion", {"gen_ai.completion": as_json([{"role": "assistant", "content": "Ciao"}])}),
        ],
    )
    assert [m for k, m in _read(store, trace) if k != "agent_start"] == ["Hi", "Hello", "Bye", "Ciao"]


def test_the_tools_a_request_offered_are_the_agents_tool_definitions(store: DuckDBStore) -> None:
    """``gen_ai.request.tools``: the request's tools, also as a list of one string holding the
    JSON text of the whole array (Langtrace), read as that array's definitions."""
    weather = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    clock = {"type": "function", "function": {"name": "get_time"}}
    trace = TraceBuilder()
    trace.span(
        "openai.chat.completions.create",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.request.tools": [json.dumps([weather, clock])],
        },
        events=[("gen_ai.content.prompt", {"gen_ai.prompt": as_json([{"role": "user", "content": "Hi"}])})],
    )
    start = next(m.agent_start for m in trajectory(store, trace).messages if m.agent_start)
    assert start is not None
    assert start.tool_definitions is not None
    assert json.loads(start.tool_definitions) == [weather, clock]


def test_openinference_flattened_messages_and_tool_span(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    agent = trace.span("Weather", {"openinference.span.kind": "AGENT", "agent.name": "Weather"}, duration_ms=100)
    trace.span(
        "ChatCompletion",
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o",
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": "You are a weather bot.",
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.content": "Weather in Paris?",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.id": "c1",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
            "llm.tools.0.tool.json_schema": as_json({"type": "function", "function": {"name": "get_weather"}}),
        },
        parent=agent,
        start_ms=1,
    )
    trace.span(
        "get_weather",
        {
            "openinference.span.kind": "TOOL",
            "tool.name": "get_weather",
            "input.value": '{"city": "Paris"}',
            "output.value": "18C",
        },
        parent=agent,
        start_ms=20,
    )
    trace.span(
        "ChatCompletion",
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o",
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": "You are a weather bot.",
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.content": "Weather in Paris?",
            "llm.input_messages.2.message.role": "assistant",
            "llm.input_messages.2.message.tool_calls.0.tool_call.id": "c1",
            "llm.input_messages.2.message.tool_calls.0.tool_call.function.name": "get_weather",
            "llm.input_messages.3.message.role": "tool",
            "llm.input_messages.3.message.tool_call_id": "c1",
            "llm.input_messages.3.message.content": "18C",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.contents.0.message_content.type": "reasoning",
            "llm.output_messages.0.message.contents.0.message_content.text": "Sunny.",
            "llm.output_messages.0.message.contents.1.message_content.type": "text",
            "llm.output_messages.0.message.contents.1.message_content.text": "18C in Paris.",
            "llm.token_count.completion_details.reasoning": 7,
            "llm.finish_reason": "stop",
        },
        parent=agent,
        start_ms=40,
    )
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    start, answer = result.messages[0].agent_start, result.messages[-1].assistant_message
    assert answer is not None
    assert answer.finish_reason == "stop"  # llm.finish_reason (LlamaIndex, LangChain)
    assert start is not None
    assert start.tool_definitions is not None
    assert "get_weather" in start.tool_definitions
    assert answer is not None
    assert (answer.reasoning_content, answer.reasoning_tokens) == ("Sunny.", 7)
    assert {m.agent_name for m in result.messages} == {"Weather"}


def test_openinference_handoff_tool_span(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    root = trace.span("Agent workflow", {"openinference.span.kind": "AGENT"}, duration_ms=100)
    triage = trace.span("Triage", {"openinference.span.kind": "AGENT", "agent.name": "Triage"}, parent=root, start_ms=1)
    trace.span(
        "handoff to Weather",
        {"openinference.span.kind": "TOOL", "input.value": "Triage", "output.value": "Weather"},
        parent=triage,
        start_ms=5,
    )
    weather = trace.span(
        "Weather", {"openinference.span.kind": "AGENT", "agent.name": "Weather"}, parent=root, start_ms=10
    )
    trace.span(
        "ChatCompletion",
        {
            "openinference.span.kind": "LLM",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "Sunny",
        },
        parent=weather,
        start_ms=11,
    )
    result = trajectory(store, trace)
    handoffs = [m.agent_handoff for m in result.messages if m.agent_handoff]
    assert [(h.from_agent, h.to_agent) for h in handoffs] == [("Triage", "Weather")]
    assert "Agent workflow" not in {m.agent_name for m in result.messages}


def test_openllmetry_indexed_prompt_and_completion(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    workflow = trace.span("weather.workflow", {"traceloop.span.kind": "workflow"}, duration_ms=100)
    trace.span(
        "openai.chat",
        {
            "llm.request.type": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.prompt.0.role": "system",
            "gen_ai.prompt.0.content": "You are a weather bot.",
            "gen_ai.prompt.1.role": "user",
            "gen_ai.prompt.1.content": "Weather in Paris?",
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.tool_calls.0.id": "c1",
            "gen_ai.completion.0.tool_calls.0.name": "get_weather",
            "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Paris"}',
            "llm.request.functions.0.name": "get_weather",
        },
        parent=workflow,
        start_ms=1,
    )
    trace.span(
        "get_weather.tool",
        {
            "traceloop.span.kind": "tool",
            "traceloop.entity.name": "get_weather",
            "traceloop.entity.input": '{"args": [], "kwargs": {"city": "Paris"}}',
            "traceloop.entity.output": '"18C"',
        },
        parent=workflow,
        start_ms=20,
    )
    trace.span(
        "openai.chat",
        {
            "llm.request.type": "chat",
            "gen_ai.prompt.0.role": "system",
            "gen_ai.prompt.0.content": "You are a weather bot.",
            "gen_ai.prompt.1.role": "user",
            "gen_ai.prompt.1.content": "Weather in Paris?",
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": "18C in Paris.",
            "gen_ai.usage.reasoning_tokens": 3,
        },
        parent=workflow,
        start_ms=40,
    )
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    tool = next(m.tool_call for m in result.messages if m.tool_call)
    assert tool is not None
    assert (tool.tool_arguments, tool.tool_result) == ('{"city":"Paris"}', "18C")
    answer = result.messages[-1].assistant_message
    assert answer is not None
    assert answer.reasoning_tokens == 3


def test_vercel_ai_sdk_legacy_attributes(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    outer = trace.span(
        "ai.generateText",
        {
            "ai.operationId": "ai.generateText",
            "ai.telemetry.functionId": "weather-agent",
            "ai.prompt": as_json({"system": "You are a weather bot.", "prompt": "Weather in Paris?"}),
        },
        duration_ms=100,
    )
    trace.span(
        "ai.generateText.doGenerate",
        {
            "ai.operationId": "ai.generateText.doGenerate",
            "ai.model.id": "gpt-4o",
            "ai.prompt.messages": as_json(
                [
                    {"role": "system", "content": "You are a weather bot."},
                    {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
                ]
            ),
            "ai.response.toolCalls": as_json(
                [{"toolCallId": "c1", "toolName": "get_weather", "args": {"city": "Paris"}}]
            ),
            "ai.prompt.tools": [as_json({"type": "function", "name": "get_weather"})],
        },
        parent=outer,
        start_ms=1,
    )
    trace.span(
        "ai.toolCall",
        {
            "ai.operationId": "ai.toolCall",
            "ai.toolCall.name": "get_weather",
            "ai.toolCall.id": "c1",
            "ai.toolCall.args": '{"city":"Paris"}',
            "ai.toolCall.result": '"18C"',
        },
        parent=outer,
        start_ms=20,
    )
    trace.span(
        "ai.generateText.doGenerate",
        {
            "ai.operationId": "ai.generateText.doGenerate",
            "ai.model.id": "gpt-4o",
            "ai.prompt.messages": as_json(
                [
                    {"role": "system", "content": "You are a weather bot."},
                    {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
                    {
                        "role": "assistant",
                        "content": [
                            {
                                "type": "tool-call",
                                "toolCallId": "c1",
                                "toolName": "get_weather",
                                "input": {"city": "Paris"},
                            }
                        ],
                    },
                    {
                        "role": "tool",
                        "content": [
                            {
                                "type": "tool-result",
                                "toolCallId": "c1",
                                "toolName": "get_weather",
                                "output": {"type": "json", "value": "18C"},
                            }
                        ],
                    },
                ]
            ),
            "ai.response.text": "18C in Paris.",
            "ai.usage.reasoningTokens": 2,
        },
        parent=outer,
        start_ms=40,
    )
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    assert {m.agent_name for m in result.messages} == {"weather-agent"}


def test_pydantic_ai_format_1_events_and_format_2_tool_span(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    run = trace.span("agent run", {"agent_name": "weather", "model_name": "gpt-4o"}, duration_ms=100)
    events = [
        {"event.name": "gen_ai.system.message", "role": "system", "content": "You are a weather bot."},
        {"event.name": "gen_ai.user.message", "role": "user", "content": "Weather in Paris?"},
        {
            "event.name": "gen_ai.choice",
            "index": 0,
            "message": {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
        },
    ]
    trace.span("chat gpt-4o", {"gen_ai.operation.name": "chat", "events": as_json(events)}, parent=run, start_ms=1)
    trace.span(
        "running tool",
        {
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.id": "c1",
            "tool_arguments": '{"city": "Paris"}',
            "tool_response": "18C",
        },
        parent=run,
        start_ms=20,
    )
    later = [*events[:2], {"event.name": "gen_ai.choice", "message": {"role": "assistant", "content": "18C in Paris."}}]
    trace.span(
        "chat gpt-4o",
        {"gen_ai.operation.name": "chat", "events": as_json(later), "gen_ai.usage.details.reasoning_tokens": 5},
        parent=run,
        start_ms=40,
    )
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    answer = result.messages[-1].assistant_message
    assert answer is not None
    assert answer.reasoning_tokens == 5


def test_pydantic_ai_dialect_thinking_parts_and_result_key(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    output = [
        {
            "role": "assistant",
            "parts": [{"type": "thinking", "content": "Let me see."}, {"type": "text", "content": "Done."}],
        }
    ]
    trace.span(
        "chat m",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.input.messages": as_json(
                [
                    {
                        "role": "user",
                        "parts": [{"type": "tool_call_response", "id": "x", "name": "t", "result": {"ok": True}}],
                    }
                ]
            ),
            "gen_ai.output.messages": as_json(output),
        },
    )
    result = trajectory(store, trace)
    answer = next(m.assistant_message for m in result.messages if m.assistant_message)
    assert (answer.text, answer.reasoning_content) == ("Done.", "Let me see.")
    tool = next(m.tool_call for m in result.messages if m.tool_call)
    assert (tool.tool_name, tool.tool_result) == ("t", '{"ok":true}')


def test_google_adk_schema_1(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    agent = trace.span(
        "invoke_agent weather",
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather"},
        duration_ms=100,
    )
    request = {
        "model": "gemini-2.0-flash",
        "config": {"system_instruction": "You are a weather bot."},
        "contents": [{"role": "user", "parts": [{"text": "Weather in Paris?"}]}],
    }
    response = {
        "content": {
            "role": "model",
            "parts": [
                {"thought": True, "text": "Think."},
                {"function_call": {"id": "c1", "name": "get_weather", "args": {"city": "Paris"}}},
            ],
        }
    }
    trace.span(
        "call_llm",
        {"gcp.vertex.agent.llm_request": as_json(request), "gcp.vertex.agent.llm_response": as_json(response)},
        parent=agent,
        start_ms=1,
    )
    trace.span(
        "execute_tool get_weather",
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.id": "c1",
            "gcp.vertex.agent.tool_response": '{"result": "18C"}',
        },
        parent=agent,
        start_ms=20,
    )
    final = {"content": {"role": "model", "parts": [{"text": "18C in Paris."}]}}
    request2 = {
        **request,
        "contents": [
            *request["contents"],
            {"role": "model", "parts": [response["content"]["parts"][1]]},
            {
                "role": "user",
                "parts": [{"function_response": {"id": "c1", "name": "get_weather", "response": {"result": "18C"}}}],
            },
        ],
    }
    trace.span(
        "call_llm",
        {"gcp.vertex.agent.llm_request": as_json(request2), "gcp.vertex.agent.llm_response": as_json(final)},
        parent=agent,
        start_ms=40,
    )
    got = _read(store, trace)
    assert got == [
        ("agent_start", "You are a weather bot."),
        ("user_message", "Weather in Paris?"),
        ("assistant_message", None),
        ("tool_call", "get_weather"),
        ("assistant_message", "18C in Paris."),
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("gen_ai.usage.reasoning.output_tokens", 9),
        ("gen_ai.usage.reasoning_tokens", 9),
        ("llm.usage.reasoning_tokens", 9),
        ("llm.token_count.completion_details.reasoning", 9),
        ("gen_ai.usage.details.reasoning_tokens", 9),
        ("ai.usage.reasoningTokens", 9),
        ("ai.usage.outputTokenDetails.reasoningTokens", 9),  # ai 7 beside its OTel GenAI keys
        ("weave.usage.reasoning_tokens", 9),
    ],
)
def test_reasoning_tokens_under_every_key(store: DuckDBStore, key: str, value: int) -> None:
    trace = TraceBuilder()
    trace.span(
        "chat m",
        {
            "gen_ai.operation.name": "chat",
            key: value,
            "gen_ai.output.messages": as_json([{"role": "assistant", "parts": [{"type": "text", "content": "x"}]}]),
        },
    )
    answer = next(m.assistant_message for m in trajectory(store, trace).messages if m.assistant_message)
    assert answer.reasoning_tokens == 9


@pytest.mark.parametrize(
    "output",
    [
        [{"role": "assistant", "parts": [{"type": "reasoning", "content": "R"}]}],  # OTel 1.38
        [{"role": "assistant", "parts": [{"type": "thinking", "content": "R"}]}],  # Pydantic AI
        [{"role": "assistant", "content": "", "reasoning_content": "R"}],  # OpenAI-compatible servers
        [{"role": "assistant", "content": [{"type": "reasoning", "text": "R"}]}],  # Vercel
        [{"type": "reasoning", "summary": [{"type": "summary_text", "text": "R"}]}],  # OpenAI Responses
        [{"role": "model", "parts": [{"thought": True, "text": "R"}]}],  # Gemini
    ],
)
def test_reasoning_content_in_every_shape(store: DuckDBStore, output: list[object]) -> None:
    trace = TraceBuilder()
    trace.span("chat m", {"gen_ai.operation.name": "chat", "gen_ai.output.messages": as_json(output)})
    answer = next(m.assistant_message for m in trajectory(store, trace).messages if m.assistant_message)
    assert answer.reasoning_content == "R"


def test_weave_compaction_on_a_turn_span(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    trace.span(
        "invoke_agent claude-code",
        {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "claude-code",
            "weave.compaction.summary": "Earlier: set up repo.",
            "weave.compaction.items_before": 40,
            "weave.compaction.items_after": 3,
        },
    )
    compacted = next(m.context_compacted for m in trajectory(store, trace).messages if m.context_compacted)
    assert (compacted.compaction_summary, compacted.compaction_items_before, compacted.compaction_items_after) == (
        "Earlier: set up repo.",
        40,
        3,
    )


def test_draft_transfer_attributes_are_a_handoff(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    agent = trace.span("invoke_agent triage", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=50)
    trace.span(
        "execute_tool transfer_to_weather weather",
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.transfer.mode": "pass_control",
            "gen_ai.transfer.target.name": "weather",
        },
        parent=agent,
        start_ms=1,
    )
    handoff = next(m.agent_handoff for m in trajectory(store, trace).messages if m.agent_handoff)
    assert (handoff.from_agent, handoff.to_agent) == ("triage", "weather")


def _langgraph(kind: str, node: str | None = None, namespace: str | None = None, **extra: object) -> dict[str, object]:
    """Attributes of a span OpenInference's LangChain instrumentation writes in a LangGraph run."""
    metadata: dict[str, object] = {"thread_id": "t1", "ls_integration": "langgraph"}
    if node is not None:
        metadata |= {"langgraph_node": node, "langgraph_checkpoint_ns": namespace or f"{node}:1"}
    return {"openinference.span.kind": kind, "metadata": as_json(metadata), **extra}


def _oi_llm(
    inputs: list[tuple[str, str]], answer: str | None, call: tuple[str, str, str] | None = None
) -> dict[str, object]:
    attributes: dict[str, object] = {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o"}
    for i, (role, content) in enumerate(inputs):
        attributes[f"llm.input_messages.{i}.message.role"] = role
        attributes[f"llm.input_messages.{i}.message.content"] = content
    attributes["llm.output_messages.0.message.role"] = "assistant"
    if answer is not None:
        attributes["llm.output_messages.0.message.content"] = answer
    if call is not None:
        call_id, name, arguments = call
        attributes["llm.output_messages.0.message.tool_calls.0.tool_call.id"] = call_id
        attributes["llm.output_messages.0.message.tool_calls.0.tool_call.function.name"] = name
        attributes["llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments"] = arguments
    return attributes


def test_langgraph_nodes_are_steps_of_their_agent_and_plumbing_is_not_shown(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    graph = trace.span("weather_agent", _langgraph("AGENT"), duration_ms=100)
    node = trace.span("agent", _langgraph("AGENT", "agent"), parent=graph, start_ms=1, duration_ms=20)
    trace.span("call_model", _langgraph("CHAIN", "agent", **{"input.value": "{}"}), parent=node, start_ms=2)
    question = [("system", "Be brief."), ("user", "Weather in Paris?")]
    trace.span(
        "ChatOpenAI", _oi_llm(question, None, ("c1", "get_weather", '{"city": "Paris"}')), parent=node, start_ms=3
    )
    tools = trace.span("tools", _langgraph("CHAIN", "tools"), parent=graph, start_ms=30, duration_ms=10)
    result = as_json({"type": "tool", "data": {"content": "18C", "tool_call_id": "c1", "name": "get_weather"}})
    tool = {
        "openinference.span.kind": "TOOL",
        "tool.name": "get_weather",
        "input.value": "Paris",
        "output.value": result,
    }
    trace.span("get_weather", tool, parent=tools, start_ms=31, duration_ms=5)
    node = trace.span("agent", _langgraph("AGENT", "agent"), parent=graph, start_ms=50, duration_ms=20)
    history = [*question, ("assistant", ""), ("tool", "18C")]
    trace.span("ChatOpenAI", _oi_llm(history, "18C in Paris."), parent=node, start_ms=51)
    got = trajectory(store, trace)
    assert outline(got) == [
        ("agent_start", "weather_agent", "Be brief."),
        ("user_message", "weather_agent", "Weather in Paris?"),
        ("assistant_message", "weather_agent", None),
        ("tool_call", "weather_agent", "get_weather"),  # no "call_model" step, no handoff to "agent"
        ("assistant_message", "weather_agent", "18C in Paris."),
    ]
    call = got.messages[3].entry
    # the model's JSON arguments over the tool span's bare input; the message's content as the result
    assert (call.tool_arguments, call.tool_result) == ('{"city": "Paris"}', "18C")


def test_a_langgraph_node_running_its_own_graph_stays_an_agent(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    graph = trace.span("supervisor_agent", _langgraph("AGENT"), duration_ms=100)
    trace.span("ChatOpenAI", _oi_llm([("user", "Weather in Paris?")], "Asking the expert."), parent=graph, start_ms=1)
    expert = trace.span(
        "weather_agent", _langgraph("AGENT", "weather_agent"), parent=graph, start_ms=10, duration_ms=50
    )
    inner = trace.span(
        "agent", _langgraph("AGENT", "agent", "weather_agent:1|agent:2"), parent=expert, start_ms=11, duration_ms=20
    )
    trace.span("ChatOpenAI", _oi_llm([("user", "Weather in Paris?")], "18C in Paris."), parent=inner, start_ms=12)
    assert [(t, agent) for t, agent, _ in outline(trajectory(store, trace))] == [
        ("agent_start", "supervisor_agent"),
        ("user_message", "supervisor_agent"),
        ("assistant_message", "supervisor_agent"),
        ("agent_handoff", "supervisor_agent"),  # to weather_agent; its inner "agent" node is no third agent
        ("agent_start", "weather_agent"),
        ("assistant_message", "weather_agent"),
    ]


def test_a_chain_step_outside_any_agent_is_still_shown(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    root = trace.span("pipeline", {"openinference.span.kind": "CHAIN"}, duration_ms=50)
    step = {"openinference.span.kind": "CHAIN", "input.value": as_json({"path": "/docs"})}
    trace.span("load_documents", step, parent=root, start_ms=1)
    assert outline(trajectory(store, trace)) == [("tool_call", None, "load_documents")]


def test_strands_latest_mode_events_tool_names_and_finish_reason(store: DuckDBStore) -> None:
    """strands-agents 1.62 (gen_ai_latest_experimental): content in span events named
    gen_ai.client.inference.operation.details, tools as a list of names on the agent span,
    finish reasons inside the output messages, a swarm as invoke_swarm."""
    trace = TraceBuilder()
    swarm = trace.span("invoke_swarm", {"gen_ai.operation.name": "invoke_swarm"}, duration_ms=100)
    agent_attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "weather_agent",
        "gen_ai.agent.tools": as_json(["get_weather"]),
    }
    agent = trace.span("invoke_agent weather_agent", agent_attributes, parent=swarm, start_ms=1, duration_ms=90)
    output = [
        {"role": "assistant", "parts": [{"type": "text", "content": "18C in Paris."}], "finish_reason": "end_turn"}
    ]
    details = {
        "gen_ai.input.messages": as_json(
            [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]
        ),
        "gen_ai.output.messages": as_json(output),
    }
    trace.span(
        "chat",
        {"gen_ai.operation.name": "chat"},
        parent=agent,
        start_ms=2,
        events=[("gen_ai.client.inference.operation.details", details)],
    )
    trace.span("execute_event_loop_cycle", {"event_loop.cycle_id": "c1"}, parent=agent, start_ms=3)
    result = trajectory(store, trace)
    assert [(k, a, m) for k, a, m in outline(result)] == [
        ("agent_start", "weather_agent", None),
        ("user_message", "weather_agent", "Weather in Paris?"),
        ("assistant_message", "weather_agent", "18C in Paris."),
    ]
    start, answer = result.messages[0].agent_start, result.messages[2].assistant_message
    assert start is not None
    assert start.tool_definitions == '["get_weather"]'
    assert answer is not None
    assert answer.finish_reason == "end_turn"
    kinds = {v.name: v.kind for v in TraceQueries(store).spans("p", trace.trace_hex).spans}
    assert (kinds["invoke_swarm"], kinds["execute_event_loop_cycle"]) == ("workflow", "other")


def _mlflow(span_type: str, inputs: object, outputs: object, **more: object) -> dict[str, str]:
    """MLflow Tracing's attributes: every value JSON, strings quoted too."""
    values = {"mlflow.spanType": span_type, "mlflow.spanInputs": inputs, "mlflow.spanOutputs": outputs, **more}
    return {key: as_json(value) for key, value in values.items()}


def test_mlflow_span_types_inputs_and_raw_responses(store: DuckDBStore) -> None:
    """MLflow records no gen_ai.* key: the span type is the kind, the request body and the
    provider's raw response the messages, the token usage one JSON object, an agent or tool
    named by its span."""
    system = {"role": "system", "content": "You are a weather bot."}
    question = {"role": "user", "content": "Weather in Paris?"}
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    asked = {
        "choices": [
            {"finish_reason": "tool_calls", "message": {"role": "assistant", "content": None, "tool_calls": [call]}}
        ]
    }
    asked["usage"] = {"completion_tokens_details": {"reasoning_tokens": 3}}
    answered = {"choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "18C in Paris."}}]}
    usage = {"input_tokens": 30, "output_tokens": 7, "total_tokens": 37}
    tools = [{"type": "function", "function": {"name": "get_weather"}}]
    trace = TraceBuilder()
    agent = trace.span(
        "weather_bot", _mlflow("AGENT", {"question": "Weather in Paris?"}, "18C in Paris."), duration_ms=100
    )
    first_call = _mlflow(
        "CHAT_MODEL",
        {"model": "gpt-4o", "messages": [system, question]},
        asked,
        **{"mlflow.chat.tokenUsage": usage, "mlflow.llm.model": "gpt-4o", "mlflow.chat.tools": tools},
    )
    trace.span("Completions", first_call, parent=agent, start_ms=1)
    trace.span("get_weather", _mlflow("TOOL", {"city": "Paris"}, "18C"), parent=agent, start_ms=20)
    history = [
        system,
        question,
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
    ]
    second_call = _mlflow("CHAT_MODEL", {"messages": history}, answered, **{"mlflow.chat.tokenUsage": usage})
    trace.span("Completions", second_call, parent=agent, start_ms=30)
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    assert {m.agent_name for m in result.messages} == {"weather_bot"}
    first, second = (m.assistant_message for m in result.messages if m.assistant_message)
    assert first is not None
    assert second is not None
    assert (first.model, first.input_tokens, first.output_tokens, first.reasoning_tokens) == ("gpt-4o", 30, 7, 3)
    assert (first.finish_reason, second.finish_reason) == ("tool_calls", "stop")
    _assert_the_weather_tool_call(result)


def _genkit(kind: str, subtype: str | None, name: str, inputs: object, outputs: object) -> dict[str, object]:
    attributes: dict[str, object] = {
        "genkit:type": kind,
        "genkit:name": name,
        "genkit:input": as_json(inputs),
        "genkit:output": as_json(outputs),
    }
    if subtype:
        attributes["genkit:metadata:subtype"] = subtype
    return attributes


def test_genkit_actions_requests_and_raw_responses(store: DuckDBStore) -> None:
    """Genkit records no gen_ai.* key: the action's subtype is the kind, its input the request
    in Genkit's message format (``toolRequest`` / ``toolResponse`` parts, role ``model``), its
    output the response with usage and the provider's raw response (model, finish reason);
    the ``generate`` utility that repeats the last response's usage is a workflow step."""
    system = {"role": "system", "content": [{"text": "You are a weather bot."}]}
    question = {"role": "user", "content": [{"text": "Weather in Paris?"}]}
    request = {"toolRequest": {"name": "get_weather", "ref": "c1", "input": {"city": "Paris"}}}
    tools = [{"name": "get_weather", "description": "Weather of a city."}]
    raw_asked = {"model": "gpt-4o", "choices": [{"finish_reason": "tool_calls", "message": {}}]}
    asked = {
        "finishReason": "stop",
        "message": {"role": "model", "content": [request]},
        "usage": {"inputTokens": 30, "outputTokens": 7},
        "raw": raw_asked,
    }
    answered = {
        "finishReason": "stop",
        "message": {"role": "model", "content": [{"text": "18C in Paris."}]},
        "usage": {"inputTokens": 50, "outputTokens": 5},
    }
    history = [
        system,
        question,
        {"role": "model", "content": [request]},
        {"role": "tool", "content": [{"toolResponse": {"name": "get_weather", "ref": "c1", "output": "18C"}}]},
    ]
    trace = TraceBuilder()
    flow = trace.span("weatherFlow", _genkit("action", "flow", "weatherFlow", "Weather in Paris?", "18C in Paris."))
    loop = trace.span(
        "generate", _genkit("util", None, "generate", {"messages": [system, question]}, answered), parent=flow
    )
    first = _genkit("action", "model", "fake/gpt-4o", {"messages": [system, question], "tools": tools}, asked)
    trace.span("fake/gpt-4o", first, parent=loop, start_ms=1)
    trace.span(
        "get_weather", _genkit("action", "tool", "get_weather", {"city": "Paris"}, "18C"), parent=loop, start_ms=20
    )
    trace.span(
        "fake/gpt-4o",
        _genkit("action", "model", "fake/gpt-4o", {"messages": history}, answered),
        parent=loop,
        start_ms=30,
    )
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    calls = [m.assistant_message for m in result.messages if m.assistant_message]
    assert [(c.model, c.input_tokens, c.output_tokens, c.finish_reason) for c in calls if c] == [
        ("gpt-4o", 30, 7, "tool_calls"),  # the provider's, from the raw response
        ("fake/gpt-4o", 50, 5, "stop"),  # Genkit's, where no raw response was recorded
    ]
    assert calls[0] is not None
    assert calls[0].tool_calls is not None
    assert [(c.id, c.name) for c in calls[0].tool_calls] == [("c1", "get_weather")]
    _assert_the_weather_tool_call(result)


def test_genkit_agent_actions_name_their_agents(store: DuckDBStore) -> None:
    """An ``agent`` action (``ai.defineAgent``) is that agent's run, named by the action: a
    coordinator whose delegation tool (``@genkit-ai/middleware``'s ``agents()``) runs a
    sub-agent reads as the tool call, a handoff to the member, its entries, and back."""
    lead_question = {"role": "user", "content": [{"text": "Weather in Paris?"}]}
    task = {"role": "user", "content": [{"text": "Find the weather in Paris."}]}
    ask = {"toolRequest": {"name": "delegate_to_weatherAgent", "ref": "c1", "input": {"task": "Paris"}}}

    def reply(*parts: object) -> dict[str, object]:
        return {"message": {"role": "model", "content": list(parts)}, "usage": {"inputTokens": 9, "outputTokens": 2}}

    trace = TraceBuilder()
    lead = trace.span("travelAgent", _genkit("action", "agent", "travelAgent", None, None), duration_ms=100)
    trace.span(
        "fake/gpt-4o",
        _genkit("action", "model", "fake/gpt-4o", {"messages": [lead_question]}, reply(ask)),
        parent=lead,
        start_ms=1,
    )
    tool = trace.span(
        "delegate_to_weatherAgent",
        _genkit("action", "tool", "delegate_to_weatherAgent", {"task": "Paris"}, {"response": "18C."}),
        parent=lead,
        start_ms=20,
        duration_ms=40,
    )
    member = trace.span(
        "weatherAgent", _genkit("action", "agent", "weatherAgent", {"message": task}, None), parent=tool, start_ms=21
    )
    trace.span(
        "fake/gpt-4o",
        _genkit("action", "model", "fake/gpt-4o", {"messages": [task]}, reply({"text": "18C."})),
        parent=member,
        start_ms=22,
    )
    trace.span(
        "fake/gpt-4o",
        _genkit("action", "model", "fake/gpt-4o", {"messages": [lead_question]}, reply({"text": "18C in Paris."})),
        parent=lead,
        start_ms=70,
    )
    assert outline(trajectory(store, trace)) == [
        ("agent_start", "travelAgent", None),
        ("user_message", "travelAgent", "Weather in Paris?"),
        ("assistant_message", "travelAgent", None),
        ("tool_call", "travelAgent", "delegate_to_weatherAgent"),
        ("agent_handoff", "travelAgent", "weatherAgent"),
        ("agent_start", "weatherAgent", None),
        ("user_message", "weatherAgent", "Find the weather in Paris."),
        ("assistant_message", "weatherAgent", "18C."),
        ("agent_handoff", "weatherAgent", "travelAgent"),
        ("assistant_message", "travelAgent", "18C in Paris."),
    ]


def _voltagent(entity: str, span_type: str | None = None, **extra: object) -> dict[str, object]:
    attributes: dict[str, object] = {"entity.type": "agent", "entity.id": entity, "entity.name": entity, **extra}
    if span_type:
        attributes["span.type"] = span_type
    return attributes


def test_voltagent_spans_and_a_sub_agent_that_repeats_its_supervisors_entity(store: DuckDBStore) -> None:
    """VoltAgent's own keys: the agent span (``entity.*``, no ``span.type``), its model
    operation (``span.type = llm``: ``llm.messages``, ``llm.tools`` names, ``llm.usage.*``) and
    its tool runs (``span.type = tool``: ``tool.call.id``, ``input``, ``output``). A sub-agent's
    spans repeat the supervisor's ``entity.name`` and name the sub-agent in ``subagent.name``:
    they are the sub-agent's."""
    question = [
        {"role": "system", "content": "Delegate."},
        {"role": "user", "content": [{"type": "text", "text": "Paris?"}]},
    ]
    task = [{"role": "system", "content": "Weather bot."}, {"role": "user", "content": "Find Paris."}]
    trace = TraceBuilder()
    lead = trace.span("Travel", _voltagent("Travel", input="Paris?", output="18C."), duration_ms=100)
    usage = {"llm.usage.prompt_tokens": 30, "llm.usage.completion_tokens": 7, "llm.finish_reason": "stop"}
    trace.span(
        "llm:generateText",
        _voltagent(
            "Travel",
            "llm",
            **{"llm.model": "gpt-4o", "llm.messages": as_json(question), "llm.tools": "delegate_task", **usage},
        ),
        parent=lead,
        start_ms=1,
        duration_ms=98,
    )
    tool = trace.span(
        "tool.execution:delegate_task",
        _voltagent(
            "Travel",
            "tool",
            **{"tool.name": "delegate_task", "tool.call.id": "c1", "input": '{"task":"Find Paris."}', "output": "[]"},
        ),
        parent=lead,
        start_ms=10,
        duration_ms=50,
    )
    member = trace.span(
        "subagent:Weather",
        _voltagent("Travel", **{"subagent.name": "Weather", "output": "18C."}),
        parent=tool,
        start_ms=11,
        duration_ms=40,
    )
    trace.span(
        "llm:streamText",
        _voltagent(
            "Travel",
            "llm",
            **{
                "subagent.name": "Weather",
                "llm.model": "gpt-4o",
                "llm.messages": as_json(task),
                "llm.tools": "get_weather",
                **usage,
            },
        ),
        parent=member,
        start_ms=12,
        duration_ms=38,
    )
    result = trajectory(store, trace)
    assert [(kind, agent) for kind, agent, _ in outline(result)][:6] == [
        ("agent_start", "Travel"),
        ("user_message", "Travel"),
        ("assistant_message", "Travel"),
        ("tool_call", "Travel"),
        ("agent_handoff", "Travel"),
        ("agent_start", "Weather"),
    ]
    starts = [m.agent_start for m in result.messages if m.agent_start]
    assert [(s.model, s.system_instructions, s.tool_definitions) for s in starts if s] == [
        ("gpt-4o", "Delegate.", '["delegate_task"]'),
        ("gpt-4o", "Weather bot.", '["get_weather"]'),
    ]
    calls = [m.assistant_message for m in result.messages if m.assistant_message and m.span_id != member]
    assert [(c.input_tokens, c.output_tokens, c.finish_reason) for c in calls if c][:2] == [(30, 7, "stop")] * 2
    call = next(m.tool_call for m in result.messages if m.tool_call)
    assert call is not None
    assert (call.tool_name, call.tool_call_id, call.tool_arguments) == ("delegate_task", "c1", '{"task":"Find Paris."}')


def _create_agent(kind: str, agent: str, node: str | None = None, **extra: object) -> dict[str, object]:
    """A span OpenInference's LangChain tracer writes in a LangChain 1 ``create_agent`` run:
    the run metadata names the agent the run belongs to (``lc_agent_name``)."""
    metadata: dict[str, object] = {"ls_integration": "langchain_create_agent", "lc_agent_name": agent}
    if node is not None:
        metadata |= {"langgraph_node": node, "langgraph_checkpoint_ns": f"{node}:1"}
    return {"openinference.span.kind": kind, "metadata": as_json(metadata), **extra}


def test_langchain_create_agent_runs_name_their_agent_and_a_tool_marked_agent_is_a_tool(store: DuckDBStore) -> None:
    """An agent run is named by the agent its metadata names (OpenInference marks it AGENT
    only because its name holds "agent"); a run that records the tool it ran is that tool's
    call, though OpenInference marks it AGENT for the same reason (``ask_weather_agent``)."""
    trace = TraceBuilder()
    lead = trace.span("travel_desk", _create_agent("AGENT", "travel_desk"), duration_ms=100)
    asked = ("c1", "ask_weather_agent", '{"task": "Weather in Paris."}')
    trace.span("ChatOpenAI", _oi_llm([("user", "Weather in Paris?")], None, asked), parent=lead, start_ms=1)
    tools = trace.span(
        "tools", _create_agent("CHAIN", "travel_desk", "tools"), parent=lead, start_ms=10, duration_ms=50
    )
    answer = as_json({"type": "tool", "data": {"content": "18C", "tool_call_id": "c1", "name": "ask_weather_agent"}})
    tool = _create_agent(
        "AGENT",
        "travel_desk",
        "tools",
        **{"tool.name": "ask_weather_agent", "input.value": "Weather in Paris.", "output.value": answer},
    )
    ask = trace.span("ask_weather_agent", tool, parent=tools, start_ms=11, duration_ms=45)
    member = trace.span(
        "weather_expert", _create_agent("AGENT", "weather_expert", "tools"), parent=ask, start_ms=12, duration_ms=40
    )
    trace.span("ChatOpenAI", _oi_llm([("user", "Weather in Paris.")], "18C"), parent=member, start_ms=13)
    history = [("user", "Weather in Paris?"), ("assistant", ""), ("tool", "18C")]
    trace.span("ChatOpenAI", _oi_llm(history, "It is 18C."), parent=lead, start_ms=70)
    got = trajectory(store, trace)
    assert outline(got) == [
        ("agent_start", "travel_desk", None),
        ("user_message", "travel_desk", "Weather in Paris?"),
        ("assistant_message", "travel_desk", None),
        ("tool_call", "travel_desk", "ask_weather_agent"),
        ("agent_handoff", "travel_desk", "weather_expert"),
        ("agent_start", "weather_expert", None),
        ("user_message", "weather_expert", "Weather in Paris."),
        ("assistant_message", "weather_expert", "18C"),
        ("agent_handoff", "weather_expert", "travel_desk"),
        ("assistant_message", "travel_desk", "It is 18C."),
    ]
    call = got.messages[3].entry
    assert (call.tool_call_id, call.tool_arguments, call.tool_result, call.duration_ms) == (
        "c1",
        '{"task": "Weather in Paris."}',
        "18C",
        45,
    )


def _langfuse(kind: str, inputs: object = None, outputs: object = None, **more: object) -> dict[str, object]:
    """The Langfuse SDK's attributes: input and output as JSON, or as they were when text."""
    values: dict[str, object] = {"langfuse.observation.type": kind, **more}
    for key, value in (("langfuse.observation.input", inputs), ("langfuse.observation.output", outputs)):
        if value is not None:
            values[key] = value if isinstance(value, str) else as_json(value)
    return values


def test_langfuse_observations_agent_generations_and_tool(store: DuckDBStore) -> None:
    """Langfuse records no gen_ai.* key: the observation type is the kind; a generation's
    input the request (``{"messages", "tools"}`` from its OpenAI integration) or a prompt
    string, its output the assistant message or its text; an agent or tool named by its span."""
    system = {"role": "system", "content": "You are a weather bot."}
    question = {"role": "user", "content": "Weather in Paris?"}
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    tools = [{"type": "function", "function": {"name": "get_weather"}}]
    usage = {"prompt_tokens": 30, "completion_tokens": 7, "completion_tokens_details": {"reasoning_tokens": 2}}
    trace = TraceBuilder()
    agent = trace.span(
        "weather-agent", _langfuse("agent", {"args": ["Weather in Paris?"], "kwargs": {}}), duration_ms=100
    )
    asked = _langfuse(
        "generation",
        {"tools": tools, "messages": [system, question]},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        **{"langfuse.observation.model.name": "gpt-4o", "langfuse.observation.usage_details": as_json(usage)},
    )
    trace.span("OpenAI-generation", asked, parent=agent, start_ms=1)
    trace.span("get_weather", _langfuse("tool", {"city": "Paris"}, "18C"), parent=agent, start_ms=20)
    history = [
        system,
        question,
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
    ]
    answered = _langfuse(
        "generation",
        {"messages": history},
        "18C in Paris.",
        **{"langfuse.observation.usage_details": '{"input": 40, "output": 5}'},
    )
    trace.span("OpenAI-generation", answered, parent=agent, start_ms=30)
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    assert {m.agent_name for m in result.messages} == {"weather-agent"}
    start = result.messages[0].agent_start
    assert start is not None
    assert start.tool_definitions is not None
    assert "get_weather" in start.tool_definitions
    first, second = (m.assistant_message for m in result.messages if m.assistant_message)
    assert first is not None
    assert second is not None
    assert (first.model, first.input_tokens, first.output_tokens, first.reasoning_tokens) == ("gpt-4o", 30, 7, 2)
    assert (first.tool_calls or [])[0].name == "get_weather"
    assert (second.input_tokens, second.output_tokens) == (40, 5)
    _assert_the_weather_tool_call(result)


def test_a_langfuse_generation_given_a_prompt_string(store: DuckDBStore) -> None:
    """A generation made by hand (``start_as_current_generation(input="…")``) with text in and out."""
    trace = TraceBuilder()
    trace.span("summarize", _langfuse("generation", "Weather in Paris?", "18C in Paris."))
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)][-2:] == [
        ("user_message", "Weather in Paris?"),
        ("assistant_message", "18C in Paris."),
    ]


def test_a_langfuse_agent_called_with_its_question_and_no_generation_recording_it(store: DuckDBStore) -> None:
    """An ``@observe`` agent records its call, ``{"args": [question], "kwargs": {}}``: with no
    model call recording the question, that one text is it; a tool called with one string is
    given an argument, asked nothing."""
    trace = TraceBuilder()
    agent = trace.span("weather-agent", _langfuse("agent", {"args": ["Weather in Paris?"], "kwargs": {}}, "18C."))
    trace.span("get_weather", _langfuse("tool", {"args": ["Paris"], "kwargs": {}}, "18C"), parent=agent, start_ms=1)
    assert ("user_message", "Weather in Paris?") in _read(store, trace)
    tool_only = TraceBuilder()
    tool_only.span("get_weather", _langfuse("tool", {"args": ["Paris"], "kwargs": {}}, "18C"))
    assert [kind for kind, _ in _read(store, tool_only)] == ["tool_call"]


def _langsmith(kind: str, inputs: object = None, outputs: object = None, **more: object) -> dict[str, object]:
    """LangSmith's OTel export: the run type, and the run's inputs and outputs as JSON documents."""
    values: dict[str, object] = {"langsmith.span.kind": kind, "langsmith.traceable": "true", **more}
    for key, value in (("gen_ai.prompt", inputs), ("gen_ai.completion", outputs)):
        if value is not None:
            values[key] = as_json(value)
    return values


def _langchain(message: dict[str, object]) -> dict[str, object]:
    """A chat message serialized as the LangChain message it is, as a run's inputs and outputs
    hold it (``{"lc": 1, "type": "constructor", "kwargs": …}``)."""
    kind = {"system": "system", "user": "human", "assistant": "ai", "tool": "tool"}[str(message["role"])]
    fields: dict[str, object] = {"type": kind, "content": message.get("content") or ""}
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        fields["tool_calls"] = [
            {"name": c["function"]["name"], "args": json.loads(c["function"]["arguments"]), "id": c["id"]}
            for c in calls
        ]
    if "tool_call_id" in message:
        fields["tool_call_id"] = message["tool_call_id"]
    name = {"system": "SystemMessage", "human": "HumanMessage", "ai": "AIMessage", "tool": "ToolMessage"}[kind]
    return {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", name], "kwargs": fields}


_AGENT = {"langsmith.metadata.lc_agent_name": "weather_agent"}
"""What LangChain 1's ``create_agent`` puts in every run's metadata: the agent it belongs to."""


def _langsmith_python_model_run(
    history: list[dict[str, object]], reply: dict[str, object], finish: str
) -> dict[str, object]:
    """A LangChain chat model run as the Python SDK exports it: the serialized messages in, a
    generation out, the tools offered as ``gen_ai.tool.definitions``; no reasoning count."""
    generation = {"text": "", "generation_info": {"finish_reason": finish}, "message": _langchain(reply)}
    return _langsmith(
        "llm",
        {"messages": [[_langchain(m) for m in history]]},
        {"generations": [[generation]]},
        **{"gen_ai.tool.definitions": as_json(_WEATHER_TOOLS), **_AGENT},
    )


def _langsmith_js_model_run(
    history: list[dict[str, object]], reply: dict[str, object], finish: str
) -> dict[str, object]:
    """A ``wrapOpenAI`` call as the JS SDK exports it: the request body in, the raw chat
    completion out, the reasoning count as ``gen_ai.usage.output_token_details``."""
    return _langsmith(
        "llm",
        {"model": "gpt-4o", "messages": history, "tools": _WEATHER_TOOLS},
        {"object": "chat.completion", "choices": [{"index": 0, "message": reply, "finish_reason": finish}]},
        **{"gen_ai.usage.output_token_details": as_json({"audio": 0, "reasoning": 2})},
    )


_WEATHER_TOOLS = [{"type": "function", "function": {"name": "get_weather"}}]


@pytest.mark.parametrize(
    ("sdk", "agent", "reasoning"),
    [("python", "weather_agent", None), ("js", None, 2)],
)
def test_langsmith_otel_runs_read_as_model_and_tool_calls(
    store: DuckDBStore, sdk: str, agent: str | None, reasoning: int | None
) -> None:
    """LangSmith's OTel export records no message key: a model run's ``gen_ai.prompt`` /
    ``gen_ai.completion`` are the serialized LangChain messages and generations (Python, a
    ``create_agent`` graph whose run is named as the agent its metadata names, its model runs
    under the graph's ``model`` node) or the provider request and raw chat completion (JS
    ``wrapOpenAI`` under a ``traceable``); a tool run's inputs are its arguments, its result
    LangChain's ``ToolMessage`` dumped flat (Python) or a plain value as ``{"outputs": …}`` (JS);
    the reasoning count is a usage detail, recorded only by the JS SDK."""
    system = {"role": "system", "content": "You are a weather bot."}
    question = {"role": "user", "content": "Weather in Paris?"}
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    asks = {"role": "assistant", "content": None, "tool_calls": [call]}
    told = {"role": "tool", "tool_call_id": "c1", "content": "18C"}
    answer = {"role": "assistant", "content": "18C in Paris."}
    trace = TraceBuilder()
    if sdk == "python":
        root = trace.span("weather_agent", _langsmith("chain", **_AGENT), duration_ms=100)
        node = _langsmith("chain", **{"langsmith.metadata.langgraph_node": "model", **_AGENT})
        steps = [trace.span("model", node, parent=root, start_ms=start) for start in (1, 40)]
        runs = [
            _langsmith_python_model_run(h, r, f) for h, r, f in _weather_calls(system, question, asks, told, answer)
        ]
        result = {"output": {"content": "18C", "type": "tool", "tool_call_id": "c1"}}
        tool = _langsmith("tool", {"city": "Paris"}, result, **{"gen_ai.tool.call.id": "c1", **_AGENT})
    else:
        root = trace.span("weather_agent", _langsmith("chain", {"input": "Weather in Paris?"}, {"outputs": "18C."}))
        steps = [root, root]
        runs = [_langsmith_js_model_run(h, r, f) for h, r, f in _weather_calls(system, question, asks, told, answer)]
        tool = _langsmith("tool", {"city": "Paris"}, {"outputs": "18C"})
    trace.span("ChatOpenAI", runs[0], parent=steps[0], start_ms=2, duration_ms=5)
    trace.span("get_weather", {**tool, "gen_ai.tool.name": "get_weather"}, parent=root, start_ms=20)
    trace.span("ChatOpenAI", runs[1], parent=steps[1], start_ms=41, duration_ms=5)
    read = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(read)] == EXPECTED
    assert {m.agent_name for m in read.messages} == {agent}
    start = read.messages[0].agent_start
    assert start is not None
    assert "get_weather" in (start.tool_definitions or "")
    first, second = (m.assistant_message for m in read.messages if m.assistant_message)
    assert first is not None
    assert second is not None
    assert (first.finish_reason, first.reasoning_tokens, [c.id for c in first.tool_calls or []]) == (
        "tool_calls",
        reasoning,
        ["c1"],
    )
    assert second.finish_reason == "stop"
    _assert_the_weather_tool_call(read)


def _weather_calls(
    system: dict[str, object],
    question: dict[str, object],
    asks: dict[str, object],
    told: dict[str, object],
    answer: dict[str, object],
) -> list[tuple[list[dict[str, object]], dict[str, object], str]]:
    """The two model calls of the weather loop: what each was sent, its reply, its finish reason."""
    return [([system, question], asks, "tool_calls"), ([system, question, asks, told], answer, "stop")]


def test_a_recorded_responses_api_response_is_the_calls_output(store: DuckDBStore) -> None:
    """Logfire's OpenAI Agents integration records on each response span the Responses API
    ``response`` (its output, and the ``instructions`` and ``tools`` it was sent) and the
    ``raw_input`` items; its ``events`` list the reply as one more ``gen_ai.assistant.message``,
    with nothing saying it is the reply."""
    asks = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "c1",
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
    }
    tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
    question = {"role": "user", "content": "Weather in Paris?"}

    def response(output: list[object], raw_input: list[object], reply: dict[str, object]) -> dict[str, object]:
        body = {"id": "resp_1", "instructions": "You are a weather bot.", "tools": [tool], "output": output}
        events = [
            {"event.name": "gen_ai.system.message", "role": "system", "content": "You are a weather bot."},
            {"event.name": "gen_ai.user.message", "role": "user", "content": "Weather in Paris?"},
            {"event.name": "gen_ai.assistant.message", "role": "assistant", **reply},
        ]
        return {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "response": as_json(body),
            "raw_input": as_json(raw_input),
            "events": as_json(events),
        }

    trace = TraceBuilder()
    agent = trace.span("Agent run: {name!r}", {"name": "Weather Agent"}, duration_ms=100)
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    trace.span("Responses API", response([asks], [question], {"tool_calls": [call]}), parent=agent, start_ms=1)
    trace.span(
        "Function: {name}",
        {"name": "get_weather", "input": '{"city": "Paris"}', "output": "18C"},
        parent=agent,
        start_ms=20,
    )
    told = {"type": "function_call_output", "call_id": "c1", "output": "18C"}
    answer = {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "18C in Paris."}]}
    trace.span(
        "Responses API",
        response([answer], [question, asks, told], {"content": "18C in Paris."}),
        parent=agent,
        start_ms=40,
    )
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    start = result.messages[0].agent_start
    assert start is not None
    assert "get_weather" in (start.tool_definitions or "")
    first = next(m.assistant_message for m in result.messages if m.assistant_message)
    assert first is not None
    assert [c.id for c in first.tool_calls or []] == ["c1"]  # the call's id, not its item's (fc_1)
    _assert_the_weather_tool_call(result)


def test_the_reply_in_logfires_events_is_no_input_of_the_call(store: DuckDBStore) -> None:
    """Logfire's ``events`` end with the reply; with the recorded response read first, the
    reply's transfer call is the call's output, so the handoff follows the call that asked
    for it (read as input, it would be a call asked before the call began)."""
    transfer = {"id": "c1", "type": "function", "function": {"name": "transfer_to_weather_agent", "arguments": "{}"}}
    asks = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "c1",
        "name": "transfer_to_weather_agent",
        "arguments": "{}",
    }
    events = [
        {"event.name": "gen_ai.system.message", "role": "system", "content": "You triage."},
        {"event.name": "gen_ai.user.message", "role": "user", "content": "Weather in Paris?"},
        {"event.name": "gen_ai.assistant.message", "role": "assistant", "tool_calls": [transfer]},
    ]
    trace = TraceBuilder()
    agent = trace.span("Agent run: {name!r}", {"name": "Triage Agent"}, duration_ms=100)
    turn = trace.span("Turn {turn} for agent Triage Agent", {}, parent=agent, start_ms=1, duration_ms=50)
    response = {"id": "resp_1", "instructions": "You triage.", "output": [asks]}
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "response": as_json(response),
        "raw_input": as_json([{"role": "user", "content": "Weather in Paris?"}]),
        "events": as_json(events),
    }
    trace.span("Responses API", attributes, parent=turn, start_ms=2, duration_ms=20)
    trace.span("Handoff", {"from_agent": "Triage Agent", "to_agent": "Weather Agent"}, parent=turn, start_ms=30)
    kinds = [kind for kind, _ in _read(store, trace)]
    assert kinds == ["agent_start", "user_message", "assistant_message", "agent_handoff"]


def test_a_langsmith_tool_given_one_plain_value_was_asked_what_the_model_asked(store: DuckDBStore) -> None:
    """A ``traceable`` tool called with one value that is no object records ``{"input": value}``:
    that value is what it was given (a bare argument, so the call's JSON arguments are the
    model's), not a document with an ``input`` key."""
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    reply = {"role": "assistant", "content": None, "tool_calls": [call]}
    trace = TraceBuilder()
    root = trace.span("weather_agent", _langsmith("chain", {"input": "Weather in Paris?"}))
    asked = _langsmith(
        "llm", {"messages": [{"role": "user", "content": "Weather in Paris?"}]}, {"choices": [{"message": reply}]}
    )
    trace.span("ChatOpenAI", asked, parent=root, start_ms=1)
    trace.span("get_weather", _langsmith("tool", {"input": "Paris"}, {"outputs": "18C"}), parent=root, start_ms=20)
    _assert_the_weather_tool_call(trajectory(store, trace))


def test_a_langsmith_tool_run_records_the_arguments_it_ran_with(store: DuckDBStore) -> None:
    """A ``tool`` run's inputs are what the tool ran with, which the trajectory shows over what the
    model asked (here the app added a default)."""
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    reply = {"role": "assistant", "content": None, "tool_calls": [call]}
    trace = TraceBuilder()
    root = trace.span("weather_agent", _langsmith("chain", {"input": "Weather in Paris?"}))
    asked = _langsmith(
        "llm", {"messages": [{"role": "user", "content": "Weather?"}]}, {"choices": [{"message": reply}]}
    )
    trace.span("ChatOpenAI", asked, parent=root, start_ms=1)
    ran = _langsmith("tool", {"city": "Paris", "units": "metric"}, {"outputs": "18C"})
    trace.span("get_weather", ran, parent=root, start_ms=20)
    tool = next(m.tool_call for m in trajectory(store, trace).messages if m.tool_call)
    assert tool is not None
    assert (tool.tool_call_id, tool.tool_arguments) == ("c1", '{"city": "Paris", "units": "metric"}')


def test_a_create_agent_run_was_asked_the_last_of_its_input_messages(store: DuckDBStore) -> None:
    """The run of a ``create_agent`` graph records the messages it was given: with no model run
    recording the question, the last of them is it."""
    trace = TraceBuilder()
    asked = {"messages": [{"role": "user", "content": "Weather in Paris?"}]}
    root = trace.span("weather_agent", _langsmith("chain", asked, **_AGENT), duration_ms=100)
    trace.span("get_weather", _langsmith("tool", {"city": "Paris"}, {"outputs": "18C"}), parent=root, start_ms=2)
    assert [kind for kind, _ in _read(store, trace)] == ["agent_start", "user_message", "tool_call"]
    assert ("user_message", "Weather in Paris?") in _read(store, trace)


def test_langfuse_langchain_handler_tools_in_the_input_and_a_tool_runs_record(store: DuckDBStore) -> None:
    """Langfuse's LangChain callback handler appends the tools offered to a generation's input
    as ``role: tool`` messages holding a function definition (definitions, not messages); a
    tool's input is Python's repr of its arguments (the JSON ones in the run's
    ``metadata.inputs``), its call id ``metadata.tool_call_id``; ``usage_details`` counts
    reasoning as ``output_reasoning``; ``metadata.ls_provider`` names the provider."""
    definition = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    system = {"role": "system", "content": "You are a weather bot."}
    question = {"role": "user", "content": "Weather in Paris?"}
    call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1", "type": "tool_call"}
    meta = "langfuse.observation.metadata."
    trace = TraceBuilder()
    agent = trace.span("weather_agent", _langfuse("agent", {"messages": [question]}), duration_ms=100)
    asked = _langfuse(
        "generation",
        [system, question, {"role": "tool", "content": definition}],
        {"role": "assistant", "content": "", "tool_calls": [call]},
        **{
            "langfuse.observation.model.name": "gpt-4o",
            "langfuse.observation.usage_details": as_json({"input": 30, "output": 7, "output_reasoning": 3}),
            meta + "ls_provider": "openai",
        },
    )
    trace.span("ChatOpenAI", asked, parent=agent, start_ms=1)
    tool = _langfuse(
        "tool", "{'city': 'Paris'}", "18C", **{meta + "inputs": '{"city": "Paris"}', meta + "tool_call_id": "c1"}
    )
    trace.span("get_weather", tool, parent=agent, start_ms=20)
    history = [
        system,
        question,
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
        {"role": "tool", "content": definition},
    ]
    answered = _langfuse(
        "generation",
        history,
        {"role": "assistant", "content": "18C in Paris."},
        **{"langfuse.observation.usage_details": '{"input": 40, "output": 5}', meta + "ls_provider": "openai"},
    )
    trace.span("ChatOpenAI", answered, parent=agent, start_ms=30)
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    start = result.messages[0].agent_start
    assert start is not None
    assert json.loads(start.tool_definitions or "null") == [definition]
    first = next(m.assistant_message for m in result.messages if m.assistant_message)
    assert first is not None
    assert first.reasoning_tokens == 3
    assert result.provider == "openai"
    _assert_the_weather_tool_call(result)
    tool_alone = TraceBuilder()  # no model call to take the JSON arguments from
    recorded = {meta + "inputs": '{"city": "Paris"}', meta + "tool_call_id": "c1"}
    tool_alone.span("get_weather", _langfuse("tool", "{'city': 'Paris'}", "18C", **recorded))
    alone = next(m.tool_call for m in trajectory(store, tool_alone).messages if m.tool_call)
    assert alone is not None
    assert (alone.tool_call_id, alone.tool_arguments) == ("c1", '{"city": "Paris"}')


def _genai(operation: str, **more: object) -> dict[str, object]:
    return {"gen_ai.operation.name": operation, **more}


def _parts(role: str, *parts: dict[str, object]) -> dict[str, object]:
    return {"role": role, "parts": list(parts)}


def test_openlit_langchain_tool_records_and_graph_node_runs_marked_agent(store: DuckDBStore) -> None:
    """OpenLIT on LangChain: a tool span's arguments are Python's repr of the dict (the call's
    JSON arguments stand), its result a ``ToolMessage``'s repr (its content is the result);
    its LangGraph instrumentation records each graph node run as ``invoke_agent <node>``
    beside the agent, with the node's input only and nothing under it: no agent run."""
    system = _parts("system", {"type": "text", "content": "You are a weather bot."})
    question = _parts("user", {"type": "text", "content": "Weather in Paris?"})
    call = {"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": '{"city": "Paris"}'}
    trace = TraceBuilder()
    root = trace.span("invoke_workflow weather", _genai("invoke_workflow"), duration_ms=100)
    agent = trace.span("invoke_agent weather", _genai("invoke_agent", **{"gen_ai.agent.name": "weather"}), parent=root)
    node = _genai("invoke_agent", **{"gen_ai.agent.name": "model", "gen_ai.input.messages": as_json([question])})
    trace.span("invoke_agent model", node, parent=root, start_ms=1, duration_ms=30)
    asked = _genai(
        "chat",
        **{
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": as_json([system, question]),
            "gen_ai.output.messages": as_json([_parts("assistant", call)]),
        },
    )
    trace.span("chat gpt-4o", asked, parent=agent, start_ms=2)
    tool = _genai(
        "execute_tool",
        **{
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.id": "c1",
            "gen_ai.tool.call.arguments": "{'city': 'Paris'}",
            "gen_ai.tool.call.result": "content='18C' name='get_weather' tool_call_id='c1'",
        },
    )
    trace.span("execute_tool get_weather", tool, parent=agent, start_ms=20)
    answered = _genai(
        "chat",
        **{
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": as_json(
                [system, question, _parts("assistant", call), _parts("tool", {"type": "text", "content": "18C"})]
            ),
            "gen_ai.output.messages": as_json([_parts("assistant", {"type": "text", "content": "18C in Paris."})]),
        },
    )
    trace.span("chat gpt-4o", answered, parent=agent, start_ms=40)
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    assert {m.agent_name for m in result.messages} == {"weather"}
    _assert_the_weather_tool_call(result)
    listed = TraceQueries(store).list_traces("p", TraceFilter(since_ns=0), 10, 0).traces
    assert [t.agents for t in listed] == [["weather"]]


def test_openllmetry_agents_handoff_span_without_target_and_responses_item_ids(store: DuckDBStore) -> None:
    """OpenLLMetry on the OpenAI Agents SDK: each model call is recorded twice, by the agents
    instrumentation (its output's tool calls by ``call_id``) around the OpenAI one (by the
    Responses item id, ``fc_…``, also for the calls in later inputs, whose results answer
    the ``call_id``); the handoff span names only the agent handing over. A call's id is the
    one its result answers; the handoff sits at its span."""
    triage_system = _parts("system", {"type": "text", "content": "You triage."})
    system = _parts("system", {"type": "text", "content": "You are a weather bot."})
    question = _parts("user", {"type": "text", "content": "Weather in Paris?"})

    def call(item: str, name: str, arguments: str) -> dict[str, object]:
        return {"type": "tool_call", "id": item, "name": name, "arguments": arguments}

    def result(call_id: str, text: str) -> dict[str, object]:
        return _parts("tool", {"type": "tool_call_response", "id": call_id, "response": text})

    transfer = ("transfer_to_weather", "{}")
    weather = ("get_weather", '{"city": "Paris"}')
    trace = TraceBuilder()
    root = trace.span("Agent Workflow", {"traceloop.span.kind": "workflow"}, duration_ms=200)

    def recorded_twice(
        parent: str, start: int, inputs: list[object], outputs: list[object], inner: list[object]
    ) -> None:
        usage = {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 10 + start}
        outer = _genai("chat", **usage, **{"gen_ai.input.messages": as_json(inputs)})
        outer["gen_ai.output.messages"] = as_json(outputs)
        outer["gen_ai.tool.definitions"] = as_json([{"type": "function", "function": {"name": "offered"}}])
        span = trace.span("openai.response", outer, parent=parent, start_ms=start, duration_ms=9)
        client = _genai("chat", **usage, **{"gen_ai.input.messages": as_json(inputs)})
        client["gen_ai.output.messages"] = as_json(inner)
        client["gen_ai.tool.definitions"] = as_json([{"type": "function", "name": "offered"}])  # as the call sent them
        trace.span("openai.response", client, parent=span, start_ms=start, duration_ms=8)

    triage = trace.span("Triage.agent", _genai("invoke_agent", **{"gen_ai.agent.name": "Triage"}), parent=root)
    asked = [triage_system, question]
    recorded_twice(
        triage,
        1,
        asked,
        [_parts("assistant", call("call_1", *transfer))],
        [_parts("assistant", call("fc_1", *transfer))],
    )
    handoff_span = trace.span(
        "Triage → unknown.handoff",
        _genai("handoff", **{"gen_ai.handoff.from_agent": "Triage"}),
        parent=triage,
        start_ms=12,
    )
    agent = _genai("invoke_agent", **{"gen_ai.agent.name": "Weather"})
    weather_agent = trace.span("Weather.agent", agent, parent=root, start_ms=20, duration_ms=100)
    history = [
        system,
        question,
        _parts("assistant", call("fc_1", *transfer)),
        result("call_1", '{"assistant": "Weather"}'),
    ]
    recorded_twice(
        weather_agent,
        21,
        history,
        [_parts("assistant", call("call_2", *weather))],
        [_parts("assistant", call("fc_2", *weather))],
    )
    tool = _genai("execute_tool", **{"gen_ai.tool.name": "get_weather", "gen_ai.tool.call.arguments": weather[1]})
    tool["gen_ai.tool.call.result"] = "18C"
    trace.span("get_weather.tool", tool, parent=weather_agent, start_ms=35)
    answer = [_parts("assistant", {"type": "text", "content": "18C in Paris."})]
    later = [*history, _parts("assistant", call("fc_2", *weather)), result("call_2", "18C")]
    recorded_twice(weather_agent, 50, later, answer, answer)
    result_ = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result_)] == [
        ("agent_start", "You triage."),
        ("user_message", "Weather in Paris?"),
        ("assistant_message", None),
        ("agent_handoff", "Weather"),
        ("agent_start", "You are a weather bot."),
        ("assistant_message", None),
        ("tool_call", "get_weather"),
        ("assistant_message", "18C in Paris."),
    ]
    start = result_.messages[0].agent_start
    assert start is not None
    assert json.loads(start.tool_definitions or "null") == [{"type": "function", "name": "offered"}]  # the speaker's
    handoff = next(m for m in result_.messages if m.agent_handoff)
    assert handoff.span_id == handoff_span  # the handoff span, not the call that asked
    asked_ids = [[c.id for c in m.assistant_message.tool_calls or ()] for m in result_.messages if m.assistant_message]
    assert asked_ids == [["call_1"], ["call_2"], []]
    tool_call = next(m.tool_call for m in result_.messages if m.tool_call)
    assert tool_call is not None
    assert (tool_call.tool_call_id, tool_call.tool_result) == ("call_2", "18C")


def test_an_openllmetry_task_that_records_the_tool_it_runs_is_that_tools_call(store: DuckDBStore) -> None:
    """OpenLLMetry's LlamaIndex instrumentation records an agent workflow's steps as
    ``task`` spans under a ``workflow`` one; the tool step records the tool it runs
    (``tool.name``, ``tool.arguments``) and, as its output, the finished call's record
    (``ToolCallResult``: the call's id and arguments, the tool's ``ToolOutput`` with
    LlamaIndex's ``block_type`` text blocks); the tool object's own run is a task inside it.
    The step is the tool call; the other steps are the workflow's bookkeeping and make no
    entry."""
    system = _parts("system", {"type": "text", "content": "You are a weather bot."})
    question = _parts("user", {"type": "text", "content": "Weather in Paris?"})
    asks = _parts("assistant", {"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}})
    answered = _parts("tool", {"type": "tool_call_response", "id": "c1", "response": "18C"})
    trace = TraceBuilder()
    root = trace.span("FunctionAgent.workflow", {"traceloop.span.kind": "workflow"}, duration_ms=100)

    def task(start: int, **more: object) -> str:
        attributes = {"traceloop.span.kind": "task", "traceloop.entity.name": "Agent.task", **more}
        return trace.span("Agent.task", attributes, parent=root, start_ms=start, duration_ms=5)

    def chat(parent: str, start: int, inputs: list[object], output: dict[str, object]) -> None:
        attributes = _genai("chat", **{"gen_ai.request.model": "gpt-4o", "gen_ai.input.messages": as_json(inputs)})
        attributes["gen_ai.output.messages"] = as_json([output])
        trace.span("openai.chat", attributes, parent=parent, start_ms=start, duration_ms=3)

    task(1, **{"traceloop.entity.output": as_json({"input": [question], "current_agent_name": "weather"})})
    chat(task(10), 11, [system, question], asks)
    tool_output = {
        "blocks": [{"block_type": "text", "text": "18C"}],
        "tool_name": "get_weather",
        "raw_input": {"args": [], "kwargs": {"city": "Paris"}},
        "raw_output": "18C",
        "is_error": False,
    }
    record = {"tool_name": "get_weather", "tool_kwargs": {"city": "Paris"}, "tool_id": "c1"}
    step = task(
        20,
        **{
            "tool.name": "get_weather",
            "tool.arguments": '{"city": "Paris"}',
            "traceloop.entity.output": as_json({**record, "tool_output": tool_output, "return_direct": False}),
        },
    )
    inner = {
        "traceloop.span.kind": "task",
        "traceloop.entity.name": "FunctionTool.task",
        "traceloop.entity.input": as_json({"kwargs": {"city": "Paris"}}),
        "traceloop.entity.output": as_json(tool_output),
    }
    trace.span("FunctionTool.task", inner, parent=step, start_ms=21, duration_ms=1)
    chat(
        task(30),
        31,
        [system, question, asks, answered],
        _parts("assistant", {"type": "text", "content": "18C in Paris."}),
    )
    task(40, **{"traceloop.entity.output": as_json({"result": {"response": "18C in Paris."}})})
    result = trajectory(store, trace)
    assert [(k, m) for k, _, m in outline(result)] == EXPECTED
    tool = next(m for m in result.messages if m.tool_call)
    assert tool.span_id == step
    assert tool.tool_call is not None
    assert (tool.tool_call.tool_call_id, tool.tool_call.duration_ms) == ("c1", 5)
    _assert_the_weather_tool_call(result)


def test_an_openllmetry_tool_step_names_the_call_it_answers(store: DuckDBStore) -> None:
    """Two calls of one tool asked in one response, run in the other order: each tool step's
    ``ToolCallResult`` names the call it answers (``tool_id``), which the span's order and
    tool name alone would get the wrong way round."""
    question = _parts("user", {"type": "text", "content": "Weather in Paris and London?"})

    def asks(call_id: str, city: str) -> dict[str, object]:
        return {"type": "tool_call", "id": call_id, "name": "get_weather", "arguments": {"city": city}}

    trace = TraceBuilder()
    root = trace.span("FunctionAgent.workflow", {"traceloop.span.kind": "workflow"}, duration_ms=100)
    step = trace.span("Agent.task", {"traceloop.span.kind": "task"}, parent=root, start_ms=1, duration_ms=9)
    chat = _genai("chat", **{"gen_ai.request.model": "gpt-4o", "gen_ai.input.messages": as_json([question])})
    chat["gen_ai.output.messages"] = as_json([_parts("assistant", asks("c1", "Paris"), asks("c2", "London"))])
    trace.span("openai.chat", chat, parent=step, start_ms=2, duration_ms=5)
    for start, call_id, city in ((20, "c2", "London"), (30, "c1", "Paris")):
        record = {"tool_name": "get_weather", "tool_kwargs": {"city": city}, "tool_id": call_id, "tool_output": city}
        attributes = {
            "traceloop.span.kind": "task",
            "tool.name": "get_weather",
            "tool.arguments": as_json({"city": city}),
            "traceloop.entity.output": as_json({**record, "return_direct": False}),
        }
        trace.span("Agent.task", attributes, parent=root, start_ms=start, duration_ms=2)
    result = trajectory(store, trace)
    calls = [(m.tool_call.tool_call_id, m.tool_call.tool_arguments) for m in result.messages if m.tool_call]
    assert calls == [("c2", '{"city": "London"}'), ("c1", '{"city": "Paris"}')]


def _haystack_component(name: str, kind: str) -> dict[str, object]:
    """Haystack 2.x's own tracer: a pipeline component's run, content tracing off."""
    return {"haystack.component.name": name, "haystack.component.type": kind}


def test_a_haystack_agent_component_is_that_agents_run_named_as_the_pipeline_names_it(store: DuckDBStore) -> None:
    """Haystack's ``Agent`` takes no name: the component of class ``Agent`` that a pipeline runs
    as ``weather_agent`` is that agent's run; its generator, a component of another class
    inside it, is no agent."""
    system = {"role": "system", "parts": [{"type": "text", "content": "You are a weather bot."}]}
    question = {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    answer = {"role": "assistant", "parts": [{"type": "text", "content": "18C in Paris."}]}
    trace = TraceBuilder()
    run = trace.span("haystack.component.run", _haystack_component("weather_agent", "Agent"), duration_ms=100)
    loop = trace.span("haystack.agent.run", {"haystack.agent.steps_taken": 1}, parent=run, start_ms=1)
    generator = trace.span(
        "haystack.component.run", _haystack_component("chat_generator", "OpenAIChatGenerator"), parent=loop, start_ms=2
    )
    call = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.input.messages": as_json([system, question]),
        "gen_ai.output.messages": as_json([answer]),
    }
    trace.span("openai.chat", call, parent=generator, start_ms=3)
    result = trajectory(store, trace)
    assert outline(result) == [
        ("agent_start", "weather_agent", "You are a weather bot."),
        ("user_message", "weather_agent", "Weather in Paris?"),
        ("assistant_message", "weather_agent", "18C in Paris."),
    ]
    assert result.messages[0].span_id == run


def test_the_calls_a_haystack_tool_invoker_ran_are_shown_where_it_ran_them(store: DuckDBStore) -> None:
    """A ``ToolInvoker`` component records neither the tool nor the call (content tracing off):
    the call the model asked for, read from its request and completed by the next input, is
    shown at the invoker's span with its duration, once; the invoker is no tool of its own."""
    system = {"role": "system", "parts": [{"type": "text", "content": "You are a weather bot."}]}
    question = {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    ask = {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}],
    }
    result = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "18C"}]}
    answer = {"role": "assistant", "parts": [{"type": "text", "content": "18C in Paris."}]}

    def call(inputs: list[object], output: object) -> dict[str, object]:
        return {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": as_json(inputs),
            "gen_ai.output.messages": as_json([output]),
        }

    trace = TraceBuilder()
    run = trace.span("haystack.component.run", _haystack_component("weather_agent", "Agent"), duration_ms=100)
    trace.span("openai.chat", call([system, question], ask), parent=run, start_ms=1, duration_ms=10)
    invoker = trace.span(
        "haystack.component.run",
        _haystack_component("tool_invoker", "ToolInvoker"),
        parent=run,
        start_ms=20,
        duration_ms=7,
    )
    trace.span("openai.chat", call([system, question, ask, result], answer), parent=run, start_ms=30, duration_ms=10)
    read = trajectory(store, trace)
    assert _read(store, trace) == EXPECTED
    tool = next(m for m in read.messages if m.tool_call)
    assert (tool.span_id, tool.agent_name) == (invoker, "weather_agent")
    assert tool.tool_call is not None
    assert (tool.tool_call.tool_call_id, tool.tool_call.tool_result, tool.tool_call.duration_ms) == ("c1", "18C", 7)


def test_a_call_read_from_the_next_input_ran_at_the_tool_invoker_before_it(store: DuckDBStore) -> None:
    """The model call that asked for the tool recorded no output: the call, read from the
    next call's input, ran at the ``ToolInvoker`` that ended before that call began, not at
    one after it."""
    system = {"role": "system", "parts": [{"type": "text", "content": "You are a weather bot."}]}
    question = {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    ask = {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {}}]}
    result = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "18C"}]}
    answer = {"role": "assistant", "parts": [{"type": "text", "content": "18C in Paris."}]}
    trace = TraceBuilder()
    run = trace.span("haystack.component.run", _haystack_component("weather_agent", "Agent"), duration_ms=100)
    invoker = _haystack_component("tool_invoker", "ToolInvoker")
    ran = trace.span("haystack.component.run", invoker, parent=run, start_ms=1, duration_ms=7)
    second = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.input.messages": as_json([system, question, ask, result]),
        "gen_ai.output.messages": as_json([answer]),
    }
    trace.span("openai.chat", second, parent=run, start_ms=10, duration_ms=10)
    trace.span("haystack.component.run", invoker, parent=run, start_ms=30, duration_ms=3)
    tool = next(m for m in trajectory(store, trace).messages if m.tool_call)
    assert tool.tool_call is not None
    assert (tool.span_id, tool.tool_call.tool_call_id, tool.tool_call.duration_ms) == (ran, "c1", 7)


def _request_event(messages: list[dict[str, object]], **more: object) -> tuple[str, dict[str, object]]:
    """A framework's own event of a model request, its fields flattened as span event
    attributes (``llama-index-observability-otel``'s shape)."""
    return ("LLMChatStartEvent", {"messages": as_json(messages), **more})


REQUEST = [
    {"role": "system", "content": "You are a weather bot."},
    {"role": "user", "content": "Weather in Paris?"},
]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


def test_a_span_event_holding_the_messages_sent_to_a_named_model_is_that_calls_request(store: DuckDBStore) -> None:
    """An event carrying ``messages`` beside the model's name (here nested, as a flattened
    ``model_dict.model_name``) makes its span a model call: those messages its input, the
    system one its instructions, the ``tools`` under any prefix the tools it offered."""
    trace = TraceBuilder()
    root = trace.span("run", duration_ms=50)
    event = _request_event(REQUEST, **{"model_dict.model_name": "m-1", "additional_kwargs.tools": as_json(TOOLS)})
    trace.span("Llm.chat_stream", parent=root, start_ms=1, events=[event])
    result = trajectory(store, trace)
    assert [(kind, main) for kind, _agent, main in outline(result)] == [
        ("agent_start", "You are a weather bot."),
        ("user_message", "Weather in Paris?"),
        ("assistant_message", None),
    ]
    start = result.messages[0].agent_start
    assert start is not None
    assert start.model == "m-1"
    assert json.loads(start.tool_definitions or "null") == TOOLS


def test_messages_in_an_event_that_names_no_model_are_no_request() -> None:
    """A chat memory's or a template's messages, with no model named, are no model call's
    input; beside a model's name they are."""

    def facts(**more: object) -> SpanFacts:
        name, attributes = _request_event(REQUEST, **more)
        span = SpanFields("00" * 8, None, "Memory.put", 1, 0, 1, 0, None, *([None] * (len(SpanFields._fields) - 8)))
        payload = SpanPayload({}, (SpanEvent(name, 1, attributes),), (), "", 0, 0, 0, 0)
        return normalize(span, payload, [], {})

    assert facts(class_name="memory").input_messages is None
    assert [m.role for m in facts(model="m-1").input_messages or []] == ["system", "user"]


ASKED_CALL = "ToolCall(tool_name='get_weather', tool_kwargs={'city': 'Paris'}, tool_id='c1')"


def test_a_span_whose_recorded_input_is_a_tool_call_asked_for_runs_that_call(store: DuckDBStore) -> None:
    """A step whose input (here a summary of it, the Python repr of the event it took) is a
    record of a tool call, the tool's name, its keyword arguments and the call's id, is that
    call; a span inside it that carries the same record (tags its children inherit) is the
    same call, not a second one."""
    trace = TraceBuilder()
    root = trace.span("run", duration_ms=50)
    step = trace.span("Agent.call_tool", {"fw.step.input_summary": ASKED_CALL}, parent=root, start_ms=1, duration_ms=4)
    trace.span("Tool.acall", {"fw.step.input_summary": ASKED_CALL}, parent=step, start_ms=2, duration_ms=1)
    result = trajectory(store, trace)
    [entry] = [m for m in result.messages if m.tool_call is not None]
    assert entry.span_id == step
    assert entry.tool_call is not None
    assert (entry.tool_call.tool_name, entry.tool_call.tool_call_id, entry.tool_call.tool_arguments) == (
        "get_weather",
        "c1",
        '{"city":"Paris"}',
    )


@pytest.mark.parametrize(
    "recorded",
    [
        # cut short (a summary at its length limit): no literal to read
        "ToolCall(tool_name='get_weather', tool_kwargs={'city': 'Par...",
        # the finished call's record, with the tool's output: the input of a step after the call
        "ToolCallResult(tool_name='get_weather', tool_kwargs={'city': 'Paris'}, tool_id='c1', tool_output='18C')",
        "Step(name='get_weather', tool_kwargs={'city': 'Paris'})",  # no tool named
    ],
)
def test_an_input_that_is_no_whole_record_of_an_asked_call_runs_no_tool(store: DuckDBStore, recorded: str) -> None:
    trace = TraceBuilder()
    root = trace.span("run", duration_ms=50)
    trace.span("Agent.step", {"fw.step.input_summary": recorded}, parent=root, start_ms=1)
    assert outline(trajectory(store, trace)) == []
