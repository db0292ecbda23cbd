"""OpenInference records that leave something out or keep something stale (capoi13: the
reader on setups it had not seen): each rule reads what the spans mean."""

from __future__ import annotations

import pytest

from tests.traces import TraceBuilder, as_json, outline, trajectory
from tracechat.store.duck import DuckDBStore

SYSTEM = "You are a weather bot."


def _history(prefix: str, *, tool_ids: bool = True) -> dict[str, object]:
    """system, user, the assistant's call ``c1`` of get_weather, and its result."""
    recorded: dict[str, object] = {
        f"{prefix}.0.message.role": "system",
        f"{prefix}.0.message.content": SYSTEM,
        f"{prefix}.1.message.role": "user",
        f"{prefix}.1.message.content": "Weather in Paris?",
        f"{prefix}.2.message.role": "assistant",
        f"{prefix}.2.message.tool_calls.0.tool_call.function.name": "get_weather",
        f"{prefix}.2.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
        f"{prefix}.3.message.role": "tool",
        f"{prefix}.3.message.content": "18C",
    }
    if tool_ids:
        recorded[f"{prefix}.2.message.tool_calls.0.tool_call.id"] = "c1"
        recorded[f"{prefix}.3.message.tool_call_id"] = "c1"
    return recorded


def test_a_call_does_not_ask_for_a_tool_call_its_own_input_already_answers(store: DuckDBStore) -> None:
    """One span holding the last of two calls, with the first call's ``tool_calls`` keys left
    over beside the answer (OpenInference's ADK instrumentation on ADK 2.13): the answer asked
    for nothing; c1 was asked before, and its tool span still shows it."""
    trace = TraceBuilder()
    agent = trace.span("agent_run", {"openinference.span.kind": "AGENT", "agent.name": "Weather"}, duration_ms=100)
    llm = trace.span(
        "invoke_agent Weather",
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o",
            **_history("llm.input_messages"),
            "llm.output_messages.0.message.role": "model",
            "llm.output_messages.0.message.tool_calls.0.tool_call.id": "c1",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
            "llm.output_messages.0.message.contents.0.message_content.type": "text",
            "llm.output_messages.0.message.contents.0.message_content.text": "18C in Paris.",
        },
        parent=agent,
        start_ms=1,
        duration_ms=90,
    )
    trace.span(
        "execute_tool get_weather",
        {"openinference.span.kind": "TOOL", "tool.name": "get_weather", "tool.id": "c1", "output.value": "18C"},
        parent=llm,
        start_ms=50,
    )
    result = trajectory(store, trace)
    answer = next(m.assistant_message for m in result.messages if m.assistant_message)
    assert (answer.text, answer.tool_calls) == ("18C in Paris.", None)
    assert [(k, m) for k, _, m in outline(result) if k == "tool_call"] == [("tool_call", "get_weather")]


_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}}


@pytest.mark.parametrize(
    ("recorded", "copied", "kept", "dropped"),
    [
        pytest.param(
            [{"name": "get_weather", "parameters": None, "type": "function"}],
            {"name": "get_weather", "parameters_json_schema": _SCHEMA},
            '"parameters_json_schema"',
            '"parameters":null',
            id="llm-tools-replace-definitions-that-record-no-parameters",
        ),
        pytest.param(
            [{"type": "function", "name": "get_weather", "inputSchema": _SCHEMA, "description": "Weather."}],
            {
                "type": "function",
                "function": {"name": "get_weather", "description": "Weather.", "parameters": _SCHEMA},
            },
            '"inputSchema"',
            '"parameters"',
            id="definitions-with-an-input-schema-kept-beside-llm-tools",
        ),
    ],
)
def test_llm_tools_replace_only_definitions_that_say_less(
    store: DuckDBStore, recorded: list[dict[str, object]], copied: dict[str, object], kept: str, dropped: str
) -> None:
    """``gen_ai.tool.definitions`` (read first, by the GenAI convention) beside OpenInference's
    ``llm.tools`` on the same span. Definitions with ``"parameters": null`` say less than
    ``llm.tools``, which replace them. The AI SDK 7's definitions record each tool's
    parameters as ``inputSchema``; OpenInference's processor copies the same tools into
    ``llm.tools``, which then say nothing more: the definitions read first stay."""
    trace = TraceBuilder()
    trace.span(
        "chat",
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o",
            "gen_ai.tool.definitions": as_json(recorded),
            "llm.tools.0.tool.json_schema": as_json(copied),
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "Weather in Paris?",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "Sunny.",
        },
    )
    start = trajectory(store, trace).messages[0].agent_start
    assert start is not None
    assert start.tool_definitions is not None
    assert kept in start.tool_definitions
    assert dropped not in start.tool_definitions


def test_flattened_messages_take_what_langchain_js_left_out_from_the_serialized_input(store: DuckDBStore) -> None:
    """OpenInference's LangChain JS instrumentation drops a system prompt given as content
    parts and every ``tool_call_id``; the serialized messages in ``input.value`` hold both, so
    the agent's instructions are known and a failed tool (no output of its own) shows the
    error text the model was sent as its result."""

    def constructed(cls: str, **kwargs: object) -> dict[str, object]:
        return {"lc": 1, "type": "constructor", "id": ["langchain_core", "messages", cls], "kwargs": kwargs}

    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    asked = [{"name": "get_weather", "args": {"city": "Paris"}, "id": "c1", "type": "tool_call"}]
    serialized = [
        constructed("SystemMessage", content=[{"type": "text", "text": SYSTEM}]),
        constructed("HumanMessage", content="Weather in Paris?"),
        constructed("AIMessage", content="", tool_calls=asked, additional_kwargs={"tool_calls": [call]}),
        constructed("ToolMessage", content="Error: down", tool_call_id="c1", status="error"),
    ]
    first_output = {
        "generations": [
            [
                {
                    "message": constructed(
                        "AIMessage", content="", tool_calls=asked, additional_kwargs={"tool_calls": [call]}
                    )
                }
            ]
        ]
    }
    flattened = _history("llm.input_messages", tool_ids=False)
    del flattened["llm.input_messages.0.message.content"]
    flattened["llm.input_messages.3.message.content"] = "Error: down"
    trace = TraceBuilder()
    agent = trace.span("Weather", {"openinference.span.kind": "AGENT", "agent.name": "Weather"}, duration_ms=100)
    trace.span(
        "ChatOpenAI",
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o",
            "input.value": as_json({"messages": [serialized[:2]]}),
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.content": "Weather in Paris?",
            "output.value": as_json(first_output),
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
        },
        parent=agent,
        start_ms=1,
    )
    trace.span(
        "get_weather",
        {"openinference.span.kind": "TOOL", "tool.name": "get_weather", "input.value": "Paris"},
        parent=agent,
        start_ms=20,
        error=True,
    )
    trace.span(
        "ChatOpenAI",
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o",
            "input.value": as_json({"messages": [serialized]}),
            **flattened,
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "The weather service is down.",
        },
        parent=agent,
        start_ms=40,
    )
    result = trajectory(store, trace)
    start = result.messages[0].agent_start
    assert start is not None
    assert start.system_instructions == SYSTEM
    tool = next(m.tool_call for m in result.messages if m.tool_call)
    assert (tool.tool_call_id, tool.tool_result) == ("c1", "Error: down")
