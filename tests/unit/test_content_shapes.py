"""Content in the shapes frameworks record, read by meaning (genai/messages.py): Bedrock
Converse blocks, wrappers that carry one value, ReAct observations."""

from __future__ import annotations

import json

import pytest

from tests.traces import TraceBuilder, as_json, outline, trajectory
from tracechat.genai.messages import langchain_messages, parse_messages, plain_arguments, plain_name, plain_result
from tracechat.store.duck import DuckDBStore

QUESTION = {"role": "user", "content": [{"text": "Weather in Paris?"}]}
ASKS = {
    "role": "assistant",
    "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}}],
}
ANSWERED = {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "18C"}]}}]}


def _chat(inputs: list[object], output: object, start_ms: int) -> tuple[str, dict[str, object], int]:
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.input.messages": as_json(inputs),
        "gen_ai.output.messages": as_json([output]),
    }
    return "chat m", attributes, start_ms


def test_bedrock_converse_blocks_read_as_text_tool_calls_and_results(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    for name, attributes, start in (
        _chat([QUESTION], ASKS, 0),
        _chat([QUESTION, ASKS, ANSWERED], {"role": "assistant", "content": [{"text": "18C in Paris."}]}, 20),
    ):
        trace.span(name, attributes, start_ms=start)
    result = trajectory(store, trace)
    assert [(kind, main) for kind, _, main in outline(result)] == [
        ("user_message", "Weather in Paris?"),  # no model, instructions or tools recorded: no agent_start
        ("assistant_message", None),
        ("tool_call", "get_weather"),
        ("assistant_message", "18C in Paris."),
    ]
    call = result.messages[2].tool_call
    assert call is not None
    assert (call.tool_call_id, call.tool_arguments, call.tool_result) == ("t1", '{"city":"Paris"}', "18C")


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        ('{"result": "sunny"}', "sunny"),  # Google ADK
        ('{"result": {"temp": 18}}', '{"temp":18}'),
        ('[{"text": "18C"}]', "18C"),  # Bedrock / MCP text blocks
        ('[{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]', "a\nb"),
        ('[{"json": {"temp": 18}}]', '{"temp":18}'),
        ('{"type": "text", "text": "18C"}', "18C"),  # one MCP text block (the OpenAI Agents SDK's MCP tool)
        ('{"type": "image", "text": "18C"}', '{"type": "image", "text": "18C"}'),  # no text block: as recorded
        ('{"city": "Paris"}', '{"city": "Paris"}'),  # not a wrapper: as recorded
        # a Gemini FunctionResponse (OpenInference's Google ADK instrumentation), ADK's
        # {"result": …} inside it
        ('{"id": "c1", "name": "get_weather", "response": {"result": "sunny"}}', "sunny"),
        ('{"name": "get_weather", "response": {"temp": 18}}', '{"temp":18}'),
        ('{"name": "Paris", "country": "FR", "response": 1}', '{"name": "Paris", "country": "FR", "response": 1}'),
        ('["Paris"]', '["Paris"]'),
        ("sunny", "sunny"),
    ],
)
def test_a_result_wrapper_that_carries_one_value_reads_as_it(recorded: str, shown: str) -> None:
    assert plain_result(recorded) == shown


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        ('{"args": [], "kwargs": {"city": "Paris"}}', '{"city":"Paris"}'),  # smolagents, LlamaIndex
        ('{"kwargs": {"city": "Paris"}}', '{"city":"Paris"}'),
        ('{"args": [], "sanitize_inputs_outputs": true, "kwargs": {"city": "Paris"}}', '{"city":"Paris"}'),
        (
            '{"args": [], "kwargs": {"city": "Paris"}, "note": "x"}',
            '{"args": [], "kwargs": {"city": "Paris"}, "note": "x"}',
        ),
        ('{"text": "hello"}', '{"text": "hello"}'),  # an argument named text stays
        ('{"args": ["Paris"], "kwargs": {}}', '{"args": ["Paris"], "kwargs": {}}'),
        ('{"input": {"city": "Paris"}, "options": null}', '{"city":"Paris"}'),  # BeeAI
        ('{"input": {"city": "Paris"}}', '{"input": {"city": "Paris"}}'),  # an argument named input
        ('{"input": {"city": "Paris"}, "units": "metric"}', '{"input": {"city": "Paris"}, "units": "metric"}'),
    ],
)
def test_call_arguments_wrapped_as_args_and_kwargs_read_as_the_keywords(recorded: str, shown: str) -> None:
    assert plain_arguments(recorded) == shown


def test_a_tool_spans_wrapped_values_are_shown_unwrapped(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    tool = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.arguments": '{"args": [], "kwargs": {"city": "Paris"}}',
        "gen_ai.tool.call.result": '{"result": "sunny"}',
    }
    trace.span("execute_tool get_weather", tool)
    [message] = [m for m in trajectory(store, trace).messages if m.tool_call]
    assert message.tool_call is not None
    assert (message.tool_call.tool_arguments, message.tool_call.tool_result) == ('{"city":"Paris"}', "sunny")


def test_a_react_observation_is_the_tools_result_not_a_user_turn(store: DuckDBStore) -> None:
    question = {"role": "user", "content": "Weather in Paris?"}
    thought = {"role": "assistant", "content": "Thought: I need the weather.\nAction: get_weather"}
    observation = {"role": "user", "content": "Observation: 18C and sunny"}
    final = {"role": "assistant", "content": "Answer: 18C."}
    trace = TraceBuilder()
    agent = trace.span("invoke_agent react", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=100)
    _, first, _ = _chat([question], thought, 1)
    trace.span("chat m", first, parent=agent, start_ms=1)
    trace.span("execute_tool get_weather", {"gen_ai.operation.name": "execute_tool"}, parent=agent, start_ms=20)
    _, second, _ = _chat([question, thought, observation], final, 40)
    trace.span("chat m", second, parent=agent, start_ms=40)
    result = trajectory(store, trace)
    assert [m.user_message.text for m in result.messages if m.user_message] == ["Weather in Paris?"]
    [call] = [m.tool_call for m in result.messages if m.tool_call]
    assert (call.tool_name, call.tool_result) == ("get_weather", "18C and sunny")


def test_content_recorded_as_json_text_of_blocks_reads_as_those_blocks(store: DuckDBStore) -> None:
    """Strands' legacy per-message events: ``content`` and a ``gen_ai.choice``'s ``message``
    are the JSON text of Bedrock blocks; they are the message, not text that shows JSON."""
    blocks = json.dumps
    system = ("gen_ai.system.message", {"content": blocks([{"text": "Be brief."}])})
    user = ("gen_ai.user.message", {"content": blocks([{"text": "Weather in Paris?"}])})
    asks = [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}}]
    result = [{"toolResult": {"toolUseId": "t1", "status": "success", "content": [{"text": "18C"}]}}]
    trace = TraceBuilder()
    trace.span(
        "chat",
        {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"},
        events=[system, user, ("gen_ai.choice", {"finish_reason": "tool_use", "message": blocks(asks)})],
        start_ms=0,
    )
    trace.span(
        "execute_tool get_weather", {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.id": "t1"}, start_ms=10
    )
    trace.span(
        "chat",
        {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"},
        events=[
            system,
            user,
            ("gen_ai.assistant.message", {"content": blocks(asks)}),
            ("gen_ai.tool.message", {"content": blocks(result)}),
            ("gen_ai.choice", {"finish_reason": "end_turn", "message": blocks([{"text": "18C in Paris."}])}),
        ],
        start_ms=20,
    )
    got = trajectory(store, trace)
    assert [(kind, main) for kind, _, main in outline(got)] == [
        ("agent_start", "Be brief."),
        ("user_message", "Weather in Paris?"),
        ("assistant_message", None),
        ("tool_call", "get_weather"),
        ("assistant_message", "18C in Paris."),
    ]
    _, _, asked, call, _ = got.messages
    assert asked.assistant_message is not None
    assert asked.assistant_message.tool_calls is not None
    assert [c.name for c in asked.assistant_message.tool_calls] == ["get_weather"]
    assert call.tool_call is not None
    assert (call.tool_call.tool_arguments, call.tool_call.tool_result) == ('{"city":"Paris"}', "18C")


@pytest.mark.parametrize("text", ['[{"city": "Paris"}]', "[1, 2]", "[not json", '["a"]'])
def test_json_text_that_is_no_list_of_blocks_stays_text(store: DuckDBStore, text: str) -> None:
    trace = TraceBuilder()
    trace.span("chat", {"gen_ai.operation.name": "chat"}, events=[("gen_ai.user.message", {"content": text})])
    [user] = [m.user_message for m in trajectory(store, trace).messages if m.user_message]
    assert user.text == text


def test_an_openinference_tool_use_content_is_the_call_beside_it_once(store: DuckDBStore) -> None:
    """openinference-instrumentation-anthropic: ``contents.0.message_content.type = tool_use``
    with the call in ``contents.0.tool_call.*``, and the same call again in ``tool_calls.0``:
    one call, named; the span's ``llm.finish_reason`` as recorded."""
    out = "llm.output_messages.0.message."
    call = {"id": "toolu_1", "function.name": "get_weather", "function.arguments": '{"city": "Paris"}'}
    attributes: dict[str, object] = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "claude",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "Weather in Paris?",
        f"{out}role": "assistant",
        f"{out}contents.0.message_content.type": "tool_use",
        **{f"{out}contents.0.tool_call.{k}": v for k, v in call.items()},
        **{f"{out}tool_calls.0.tool_call.{k}": v for k, v in call.items()},
        "llm.finish_reason": "tool_use",
    }
    trace = TraceBuilder()
    trace.span("messages.create", attributes)
    [asked] = [m.assistant_message for m in trajectory(store, trace).messages if m.assistant_message]
    assert asked.tool_calls is not None
    assert [(c.id, c.name) for c in asked.tool_calls] == [("toolu_1", "get_weather")]
    assert asked.finish_reason == "tool_use"


def test_a_log_body_that_is_the_json_text_of_a_message_is_that_message(store: DuckDBStore) -> None:
    """Semantic Kernel's sensitive diagnostics: each message a log record whose body is the
    JSON text of the message, the reply ``{"message": {…}, "finish_reason": …}``."""
    asks = {"role": "assistant", "tool_calls": [{"id": "c1", "function": {"name": "get_weather", "arguments": "{}"}}]}
    trace = TraceBuilder()
    chat = trace.span("chat m", {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"})
    trace.log(chat, "gen_ai.system.message", json.dumps({"role": "system", "content": "Be brief."}))
    trace.log(chat, "gen_ai.user.message", json.dumps({"role": "user", "content": "Weather in Paris?"}))
    trace.log(chat, "gen_ai.choice", json.dumps({"message": asks, "finish_reason": "tool_calls"}))
    got = trajectory(store, trace)
    assert [(kind, main) for kind, _, main in outline(got)] == [
        ("agent_start", "Be brief."),
        ("user_message", "Weather in Paris?"),
        ("assistant_message", None),
        ("tool_call", "get_weather"),
    ]
    asked = got.messages[2].assistant_message
    assert asked is not None
    assert asked.finish_reason == "tool_calls"
    assert [c.name for c in asked.tool_calls or []] == ["get_weather"]


def test_a_log_body_that_is_json_but_no_message_stays_text(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    chat = trace.span("chat m", {"gen_ai.operation.name": "chat"})
    trace.log(chat, "gen_ai.user.message", '{"city": "Paris"}')
    [user] = [m.user_message for m in trajectory(store, trace).messages if m.user_message]
    assert user.text == '{"city": "Paris"}'


def test_the_anthropic_sdks_stop_reason_is_the_calls_finish_reason(store: DuckDBStore) -> None:
    """The Anthropic SDK's own spans record the stop reason only as
    ``anthropic.message.stop_reason``; an OTel finish reason, where recorded, comes first."""
    trace = TraceBuilder()
    base = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude",
        "anthropic.message.stop_reason": "end_turn",
    }
    trace.span("anthropic.messages.create", base, start_ms=0)
    trace.span("anthropic.messages.create", {**base, "gen_ai.response.finish_reasons": ["stop"]}, start_ms=20)
    replies = [m.assistant_message for m in trajectory(store, trace).messages if m.assistant_message]
    assert [r.finish_reason for r in replies] == ["end_turn", "stop"]


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        (  # LlamaIndex's ToolOutput
            '{"blocks": [{"text": "18C"}], "tool_name": "get_weather", "raw_input": {"kwargs": {"city": "Paris"}},'
            ' "raw_output": "18C", "is_error": false}',
            "18C",
        ),
        ('{"content": [{"type": "text", "text": "18C"}], "isError": false}', "18C"),  # MCP's CallToolResult
        (  # LlamaIndex's ToolOutput as OpenLLMetry serializes it: its blocks name their type
            '{"blocks": [{"block_type": "text", "text": "18C"}], "tool_name": "get_weather", "raw_output": "18C"}',
            "18C",
        ),
        (  # an image block is no text
            '{"blocks": [{"block_type": "image", "text": "18C"}], "tool_name": "get_weather"}',
            '{"blocks": [{"block_type": "image", "text": "18C"}], "tool_name": "get_weather"}',
        ),
        ('{"blocks": [{"text": "18C"}], "source": "cache"}', '{"blocks": [{"text": "18C"}], "source": "cache"}'),
        (  # AgentScope's ToolResponse: text blocks with their own ids and times, the call's id and state
            '{"content": [{"type": "text", "text": "18C", "id": "b1", "created_at": "2026-12-03T14:22:50",'
            ' "finished_at": null}], "state": "success", "metadata": {}, "id": "c1"}',
            "18C",
        ),
        (  # a block that says more than its text is not only text
            '{"content": [{"type": "text", "text": "18C", "citations": []}], "id": "c1"}',
            '{"content": [{"type": "text", "text": "18C", "citations": []}], "id": "c1"}',
        ),
    ],
)
def test_a_results_text_blocks_beside_facts_about_the_call_read_as_the_text(recorded: str, shown: str) -> None:
    assert plain_result(recorded) == shown


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        (  # LlamaIndex's ToolCallResult event (OpenLLMetry records it as the tool step's output)
            '{"tool_name": "get_weather", "tool_kwargs": {"city": "Paris"}, "tool_id": "c1",'
            ' "tool_output": {"blocks": [{"text": "18C"}], "raw_output": "18C"}, "return_direct": false}',
            "18C",
        ),
        ('{"tool_id": "c1", "tool_output": "18C"}', "18C"),
        (  # something else beside the output: not only a record of the call
            '{"tool_id": "c1", "tool_output": "18C", "cached": true}',
            '{"tool_id": "c1", "tool_output": "18C", "cached": true}',
        ),
    ],
)
def test_a_finished_calls_record_reads_as_the_tools_output(recorded: str, shown: str) -> None:
    assert plain_result(recorded) == shown


def test_a_react_step_written_as_text_is_reasoning_and_a_tool_call_then_reasoning_and_an_answer(
    store: DuckDBStore,
) -> None:
    """LlamaIndex's ReActAgent: no tools sent; the model writes Thought / Action / Action
    Input, the agent runs the tool and sends `Observation: …` back; then Thought / Answer."""
    question = {"role": "user", "content": "Weather in Paris?"}
    step = {
        "role": "assistant",
        "content": 'Thought: I need a tool.\nAction: get_weather\nAction Input: {"city": "Paris"}',
    }
    answer = {"role": "assistant", "content": "Thought: I can answer.\nAnswer: 18C in Paris."}
    trace = TraceBuilder()
    root = trace.span("agent run", {"openinference.span.kind": "CHAIN"}, duration_ms=100)
    trace.span("chat m", _chat([question], step, 0)[1], parent=root, start_ms=1)
    trace.span(
        "FunctionTool.acall",
        {"openinference.span.kind": "TOOL", "tool.name": "get_weather", "output.value": "18C"},
        parent=root,
        start_ms=20,
    )
    later = [question, step, {"role": "user", "content": "Observation: 18C"}]
    trace.span("chat m", _chat(later, answer, 0)[1], parent=root, start_ms=40)
    result = trajectory(store, trace)
    assert [(kind, main) for kind, _, main in outline(result)] == [
        ("user_message", "Weather in Paris?"),
        ("assistant_message", None),
        ("tool_call", "get_weather"),
        ("assistant_message", "18C in Paris."),
    ]
    first, last = result.messages[1].assistant_message, result.messages[3].assistant_message
    assert first is not None
    assert last is not None
    assert first.reasoning_content == "I need a tool."
    assert [c.name for c in first.tool_calls or []] == ["get_weather"]
    assert last.reasoning_content == "I can answer."
    call = result.messages[2].tool_call
    assert call is not None
    assert (call.tool_arguments, call.tool_result) == ('{"city":"Paris"}', "18C")


def test_an_object_with_no_field_of_a_message_is_no_message() -> None:
    """LlamaIndex's request builder records its arguments as `input.value`: not a user
    message with nothing in it."""
    assert parse_messages(as_json({"tools": ["<FunctionTool>"], "user_msg": None, "chat_history": ["..."]})) is None
    [message] = parse_messages(as_json({"role": "user", "content": "Hi"})) or []
    assert message.text() == "Hi"


def test_a_step_written_in_fields_is_a_thought_and_a_tool_call_or_reasoning_and_an_answer() -> None:
    """DSPy's ReAct writes its step as `[[ ## field ## ]]` sections."""
    step = "[[ ## next_thought ## ]]\nLook it up.\n\n[[ ## next_tool_name ## ]]\nget_weather\n\n"
    step += '[[ ## next_tool_args ## ]]\n{"city": "Paris"}\n\n[[ ## completed ## ]]'
    [asked] = parse_messages(as_json([{"role": "assistant", "content": step}])) or []
    assert [(p.kind, p.text, p.name, p.arguments) for p in asked.parts] == [
        ("reasoning", "Look it up.", None, None),
        ("tool_call", None, "get_weather", '{"city":"Paris"}'),
    ]
    answer = "[[ ## reasoning ## ]]\nThe tool said so.\n\n[[ ## answer ## ]]\n18C in Paris.\n\n[[ ## completed ## ]]"
    [answered] = parse_messages(as_json([{"role": "assistant", "content": answer}])) or []
    assert (answered.text("reasoning"), answered.text()) == ("The tool said so.", "18C in Paris.")
    other = "[[ ## summary ## ]]\nA summary.\n\n[[ ## completed ## ]]"  # another signature's fields: as written
    [kept] = parse_messages(as_json([{"role": "assistant", "content": other}])) or []
    assert kept.text() == other


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        ('{"from_agent": "Triage Agent"}', "Triage Agent"),  # OpenInference JS, OpenAI Agents SDK
        ("Triage Agent", "Triage Agent"),
        ('{"from_agent": "Triage", "to_agent": "Weather"}', '{"from_agent": "Triage", "to_agent": "Weather"}'),
        ('{"agent": {"name": "Triage"}}', '{"agent": {"name": "Triage"}}'),
    ],
)
def test_a_name_wrapped_in_an_object_with_one_string_reads_as_that_string(recorded: str, shown: str) -> None:
    assert plain_name(recorded) == shown


def test_a_handoff_records_source_wrapped_in_an_object_names_the_agent(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    triage = trace.span("Triage Agent", {"openinference.span.kind": "AGENT", "graph.node.id": "Triage Agent"})
    trace.span(
        "handoff to Weather Agent",
        {
            "openinference.span.kind": "TOOL",
            "tool.name": "handoff_to_Weather Agent",
            "input.value": '{"from_agent":"Triage Agent"}',
            "output.value": '{"to_agent":"Weather Agent"}',
        },
        parent=triage,
        start_ms=5,
    )
    [handoff] = [m.agent_handoff for m in trajectory(store, trace).messages if m.agent_handoff]
    assert (handoff.from_agent, handoff.to_agent) == ("Triage Agent", "Weather Agent")


def test_a_tool_output_wrapping_a_langchain_tool_message_is_its_content_for_its_call(store: DuckDBStore) -> None:
    """OpenInference's JS LangChain instrumentation records ``{"output": <ToolMessage>}``."""
    trace = TraceBuilder()
    message = {
        "lc": 1,
        "type": "constructor",
        "id": ["langchain_core", "messages", "ToolMessage"],
        "kwargs": {"status": "success", "content": "18C", "tool_call_id": "call_1", "name": "get_weather"},
    }
    tool = {
        "openinference.span.kind": "TOOL",
        "tool.name": "get_weather",
        "input.value": "Paris",
        "output.value": as_json({"output": message}),
    }
    trace.span("get_weather", tool)
    [call] = [m.tool_call for m in trajectory(store, trace).messages if m.tool_call]
    assert (call.tool_call_id, call.tool_result) == ("call_1", "18C")


def _lc(kind: str, **fields: object) -> dict[str, object]:
    """A message as LangChain JS serializes it."""
    return {"lc": 1, "type": "constructor", "id": ["langchain_core", "messages", kind], "kwargs": fields}


def test_tool_calls_recorded_without_ids_take_them_from_the_serialized_messages(store: DuckDBStore) -> None:
    """OpenInference's LangChain JS instrumentation leaves ``tool_call.id`` out of
    ``llm.*_messages``; LangChain's messages in ``input.value`` / ``output.value`` hold it."""
    trace = TraceBuilder()
    asks = _lc("AIMessage", content="", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}])
    question = _lc("HumanMessage", content="Weather in Paris?")
    first = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "Weather in Paris?",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
        "input.value": as_json({"messages": [[question]]}),
        "output.value": as_json({"generations": [[{"text": "", "message": asks}]]}),
    }
    trace.span("ChatOpenAI", first, start_ms=0, duration_ms=5)
    answered = _lc("ToolMessage", content="18C", tool_call_id="call_1", name="get_weather")
    tool = {"openinference.span.kind": "TOOL", "tool.name": "get_weather", "input.value": "Paris"}
    trace.span("get_weather", {**tool, "output.value": as_json({"output": answered})}, start_ms=6, duration_ms=1)
    second = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "Weather in Paris?",
        "llm.input_messages.1.message.role": "assistant",
        "llm.input_messages.1.message.tool_calls.0.tool_call.function.name": "get_weather",
        "llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
        "llm.input_messages.2.message.role": "tool",
        "llm.input_messages.2.message.content": "18C",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "18C in Paris.",
        "input.value": as_json({"messages": [[question, asks, answered]]}),
    }
    trace.span("ChatOpenAI", second, start_ms=8, duration_ms=5)
    result = trajectory(store, trace)
    assert [kind for kind, _, _ in outline(result)] == [
        "agent_start",
        "user_message",
        "assistant_message",
        "tool_call",
        "assistant_message",
    ]
    asked = result.messages[2].assistant_message
    assert asked is not None
    assert asked.tool_calls is not None
    assert [c.id for c in asked.tool_calls] == ["call_1"]


_TOOL_MESSAGE = {
    "lc": 1,
    "type": "constructor",
    "id": ["langchain", "schema", "messages", "ToolMessage"],
    "kwargs": {"content": "18C", "type": "tool", "name": "get_weather", "tool_call_id": "c1"},
}


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        # LangChain's on_tool_end(output, **kwargs) recorded whole (OpenLLMetry's LangChain handler)
        (json.dumps({"output": _TOOL_MESSAGE, "kwargs": {"tags": [], "color": "green", "name": "get_weather"}}), "18C"),
        (json.dumps(_TOOL_MESSAGE), "18C"),
        # a result with other fields beside the bookkeeping is no wrapper
        (
            json.dumps({"output": "18C", "unit": "C", "tags": []}),
            json.dumps({"output": "18C", "unit": "C", "tags": []}),
        ),
    ],
)
def test_a_run_record_of_a_tools_output_reads_as_the_result(recorded: str, shown: str) -> None:
    assert plain_result(recorded) == shown


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        # LangChain's on_tool_start(serialized, input_str, inputs=…, tags, metadata, **kwargs)
        (
            json.dumps(
                {
                    "input_str": "{'city': 'Paris'}",
                    "tags": ["seq:step:1"],
                    "metadata": {"langgraph_node": "tools"},
                    "inputs": {"city": "Paris"},
                    "kwargs": {"tool_call_id": "c1"},
                }
            ),
            '{"city":"Paris"}',
        ),
        (json.dumps({"input_str": "Paris", "tags": [], "metadata": {}}), "Paris"),
        # arguments that happen to be named so, with no bookkeeping beside them, stay
        (json.dumps({"inputs": {"city": "Paris"}}), json.dumps({"inputs": {"city": "Paris"}})),
    ],
)
def test_a_run_record_of_a_tools_input_reads_as_its_arguments(recorded: str, shown: str) -> None:
    assert plain_arguments(recorded) == shown


def test_genkit_tool_request_and_response_parts_read_as_a_call_and_its_result() -> None:
    """Genkit's parts carry the call under one key, as Gemini's and Bedrock's do:
    ``{"toolRequest": {name, ref, input}}``, ``{"toolResponse": {name, ref, output}}``; the
    ``ref`` is the call's id."""
    [asked, answered] = (
        parse_messages(
            as_json(
                [
                    {
                        "role": "model",
                        "content": [{"toolRequest": {"name": "get_weather", "ref": "c1", "input": {"city": "Paris"}}}],
                    },
                    {
                        "role": "tool",
                        "content": [{"toolResponse": {"name": "get_weather", "ref": "c1", "output": "18C"}}],
                    },
                ]
            )
        )
        or []
    )
    [call] = asked.parts
    assert (asked.role, call.kind, call.id, call.name, call.arguments) == (
        "assistant",
        "tool_call",
        "c1",
        "get_weather",
        '{"city":"Paris"}',
    )
    [result] = answered.parts
    assert (answered.role, result.kind, result.id, result.text) == ("tool", "tool_result", "c1", "18C")


def test_a_responses_function_call_item_is_the_call_its_call_id_names() -> None:
    """A Responses API ``function_call`` item's ``id`` is the item's; ``call_id`` the call's."""
    item = {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "get_weather", "arguments": "{}"}
    (message,) = parse_messages([item]) or []
    assert [p.id for p in message.of_kind("tool_call")] == ["c1"]


_CALL_REPR = (
    "ResponseFunctionToolCall(arguments='{\"city\": \"Paris\"}', call_id='call_1', name='get_weather',"
    " type='function_call', id='fc_1', async_=None, caller=None, namespace=None, status='completed')"
)


def test_a_text_part_that_is_the_repr_of_a_function_call_item_is_that_call() -> None:
    """opentelemetry-instrumentation-openai-agents-v2 writes a response's function_call items
    as ``str(item)`` in a text part: the call (by its ``call_id``), not text."""
    output = [{"role": "assistant", "parts": [{"type": "text", "content": _CALL_REPR}]}]
    (message,) = parse_messages(output) or []
    [call] = message.parts
    assert (call.kind, call.id, call.name, call.arguments) == (
        "tool_call",
        "call_1",
        "get_weather",
        '{"city": "Paris"}',
    )


@pytest.mark.parametrize(
    "text",
    [
        # another item's repr (the name makes it pass the cheap look for "function_call")
        _CALL_REPR.replace("type='function_call'", "type='custom_tool_call'").replace("get_weather", "function_call"),
        _CALL_REPR.replace("name='get_weather'", "name=None"),  # no tool named
        "The model called function_call(city='Paris')",  # prose that mentions one
        "Point(x=1, y=2)",
    ],
)
def test_a_text_part_that_is_no_function_call_items_repr_stays_text(text: str) -> None:
    output = [{"role": "assistant", "parts": [{"type": "text", "content": text}]}]
    (message,) = parse_messages(output) or []
    assert [(p.kind, p.text) for p in message.parts] == [("text", text)]


def test_a_langchain_message_dumped_flat_stands_for_its_content() -> None:
    """``ToolMessage.model_dump()`` (``{"content", "type": "tool", ...}``, as LangSmith's OTel
    export records a tool's return) is the message, like its serialized forms."""
    dumped = {"content": "18C", "type": "tool", "name": "get_weather", "tool_call_id": "c1", "status": "success"}
    assert plain_result(json.dumps({"output": dumped})) == "18C"
    assert plain_result(json.dumps({"content": "18C", "type": "text"})) != "18C"  # a text part: no message


def test_langchain_js_constructor_messages_take_their_role_from_the_class_they_construct() -> None:
    """LangChain JS serializes a message as ``{"lc": 1, "type": "constructor", "id": [...,
    "ToolMessage"], "kwargs": {...}}`` with no ``type`` among its fields: the class says
    the role, and a ToolMessage's ``tool_call_id`` makes it the result of that call."""

    def constructed(cls: str, **kwargs: object) -> dict[str, object]:
        return {"lc": 1, "type": "constructor", "id": ["langchain_core", "messages", cls], "kwargs": kwargs}

    document = {
        "messages": [
            [
                constructed("SystemMessage", content=[{"type": "text", "text": "Be brief."}]),
                constructed("HumanMessage", content="Weather in Paris?"),
                constructed("ToolMessage", content="Error: down", tool_call_id="c1", status="error"),
            ]
        ]
    }
    messages = langchain_messages(document, "messages")
    assert messages is not None
    assert [m.role for m in messages] == ["system", "user", "tool"]
    assert messages[0].texts() == ["Be brief."]
    assert [(p.kind, p.id, p.text) for p in messages[2].parts] == [("tool_result", "c1", "Error: down")]


LLAMAINDEX_HISTORY = [
    {"role": "user", "additional_kwargs": {}, "blocks": [{"block_type": "text", "text": "Weather in Paris?"}]},
    {
        "role": "assistant",
        "additional_kwargs": {
            "tool_calls": [
                {"index": 0, "id": "c1", "function": {"arguments": '{"city": "Paris"}', "name": "get_weather"}}
            ]
        },
        "blocks": [
            {"block_type": "text", "text": ""},
            {
                "block_type": "tool_call",
                "tool_call_id": "c1",
                "tool_name": "get_weather",
                "tool_kwargs": '{"city": "Paris"}',
            },
        ],
    },
    {"role": "tool", "additional_kwargs": {"tool_call_id": "c1"}, "blocks": [{"block_type": "text", "text": "18C"}]},
]


def test_a_message_whose_content_is_typed_blocks_beside_provider_fields_reads_as_its_parts() -> None:
    """A message serialized with its content as ``blocks`` typed by ``block_type`` and the
    provider's own fields under ``additional_kwargs`` (LlamaIndex's ``ChatMessage``): the blocks
    are its parts, a ``tool_call`` block the call (named by ``tool_name``, its arguments
    ``tool_kwargs``), the call that ``additional_kwargs.tool_calls`` repeats counted once, and a
    tool message's ``additional_kwargs.tool_call_id`` the call it answers."""
    question, asked, answered = parse_messages(as_json(LLAMAINDEX_HISTORY)) or []
    assert (question.role, question.texts()) == ("user", ["Weather in Paris?"])
    assert [(p.kind, p.id, p.name, p.arguments) for p in asked.parts] == [
        ("tool_call", "c1", "get_weather", '{"city": "Paris"}')
    ]
    assert [(p.kind, p.id, p.text) for p in answered.parts] == [("tool_result", "c1", "18C")]


def test_provider_fields_tool_calls_are_read_when_no_block_records_the_call() -> None:
    """``additional_kwargs.tool_calls`` alone (no ``tool_call`` block) still says the calls."""
    asked = {**LLAMAINDEX_HISTORY[1], "blocks": [{"block_type": "text", "text": ""}]}
    (message,) = parse_messages([asked]) or []
    assert [(p.kind, p.id, p.name) for p in message.parts] == [("tool_call", "c1", "get_weather")]
