"""Reading rules for traces whose model calls record little themselves, the content being on
the spans around them (as Mastra's OTel exporter writes them: the question on the agent span,
a call's tool requests only as the tool spans that ran next, inputs under its own prefix)."""

from __future__ import annotations

import pytest

from tests.traces import TraceBuilder, as_json, outline, trajectory
from tracechat.store.duck import DuckDBStore

ANSWER = [{"role": "assistant", "parts": [{"type": "text", "content": "Sunny, 18C."}]}]
SILENT = [{"role": "assistant", "parts": [{"type": "text", "content": ""}]}]


def _call(outputs: list[object], finish: str, **extra: object) -> dict[str, object]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.output.messages": as_json(outputs),
        "gen_ai.response.finish_reasons": [finish],
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 5,
        **extra,
    }


def _tool(name: str, call_id: str) -> dict[str, object]:
    return {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.call.id": call_id,
        "gen_ai.tool.call.arguments": '{"city": "Paris"}',
        "gen_ai.tool.call.result": "18C",
    }


def _agent(name: str, question: str | None) -> dict[str, object]:
    attributes: dict[str, object] = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name}
    if question is not None:
        attributes["acme.agent_run.input"] = question
    return attributes


@pytest.mark.parametrize("finish", ["tool-calls", "tool_calls", "TOOL_USE", "function_call"])
def test_a_call_that_asked_for_tools_without_naming_them_asked_for_the_tools_run_next(
    store: DuckDBStore, finish: str
) -> None:
    trace = TraceBuilder()
    agent = trace.span("invoke_agent weather", _agent("weather", None), duration_ms=200)
    step = trace.span("step 0", {"gen_ai.operation.name": "agent_step"}, parent=agent, start_ms=1, duration_ms=50)
    trace.span("chat gpt-4o-mini", _call(SILENT, finish), parent=step, start_ms=2)
    trace.span("execute_tool get_weather", _tool("get_weather", "c1"), parent=step, start_ms=20)
    trace.span("execute_tool get_time", _tool("get_time", "c2"), parent=step, start_ms=21)
    later = trace.span("step 1", {"gen_ai.operation.name": "agent_step"}, parent=agent, start_ms=60, duration_ms=50)
    trace.span("chat gpt-4o-mini", _call(ANSWER, "stop"), parent=later, start_ms=61)
    trace.span("execute_tool get_news", _tool("get_news", "c3"), parent=later, start_ms=90)
    result = trajectory(store, trace)
    first, last = (m.assistant_message for m in result.messages if m.assistant_message is not None)
    assert first is not None
    assert last is not None
    assert [(c.id, c.name) for c in first.tool_calls or []] == [("c1", "get_weather"), ("c2", "get_time")]
    assert last.tool_calls is None  # it finished with an answer: the tool after it is not its request


def test_the_tools_run_next_stop_at_the_next_model_call(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    agent = trace.span("invoke_agent weather", _agent("weather", None), duration_ms=200)
    trace.span("chat gpt-4o-mini", _call(SILENT, "tool_calls"), parent=agent, start_ms=1)
    trace.span("execute_tool get_weather", _tool("get_weather", "c1"), parent=agent, start_ms=20)
    trace.span("chat gpt-4o-mini", _call(SILENT, "tool_calls"), parent=agent, start_ms=30)
    trace.span("execute_tool get_time", _tool("get_time", "c2"), parent=agent, start_ms=50)
    trace.span("chat gpt-4o-mini", _call(ANSWER, "stop"), parent=agent, start_ms=60)
    calls = [m.assistant_message.tool_calls for m in trajectory(store, trace).messages if m.assistant_message]
    assert [[c.name for c in asked or []] for asked in calls] == [["get_weather"], ["get_time"], []]


def test_a_model_operation_over_several_steps_asked_for_the_tools_run_during_it(store: DuckDBStore) -> None:
    """One span for a whole tool loop (VoltAgent's ``llm:generateText``): it records no tool
    calls and finishes with ``stop``, but the tools its agent ran while it was still going
    can only have been asked by it; a tool run after it ended is not its request."""
    trace = TraceBuilder()
    agent = trace.span("invoke_agent weather", _agent("weather", None), duration_ms=200)
    trace.span("chat gpt-4o-mini", _call(SILENT, "stop"), parent=agent, start_ms=1, duration_ms=100)
    trace.span("execute_tool get_weather", _tool("get_weather", "c1"), parent=agent, start_ms=40)
    trace.span("execute_tool get_news", _tool("get_news", "c2"), parent=agent, start_ms=150)
    asked = next(m.assistant_message for m in trajectory(store, trace).messages if m.assistant_message)
    assert asked is not None
    assert [(c.id, c.name) for c in asked.tool_calls or []] == [("c1", "get_weather")]


def test_an_agents_own_answer_comes_when_its_work_is_done(store: DuckDBStore) -> None:
    """No model call inside said the answer (the operation over all steps records none): the
    agent's output is its answer, given at the end of the agent span, after its tool calls,
    and without its tokens (its calls counted them)."""
    trace = TraceBuilder()
    agent = trace.span("invoke_agent weather", {**_agent("weather", None), "acme.output": "Sunny."}, duration_ms=200)
    trace.span("chat gpt-4o-mini", _call(SILENT, "stop"), parent=agent, start_ms=1, duration_ms=100)
    trace.span("execute_tool get_weather", _tool("get_weather", "c1"), parent=agent, start_ms=40)
    result = trajectory(store, trace)
    assert [(kind, text) for kind, _, text in outline(result)][-2:] == [
        ("tool_call", "get_weather"),
        ("assistant_message", "Sunny."),
    ]
    answer = result.messages[-1]
    assert answer.span_id == agent
    assert answer.started_at > result.messages[-2].started_at
    assert answer.assistant_message is not None
    assert answer.assistant_message.input_tokens is None


def test_a_sub_agents_answer_is_not_its_supervisors(store: DuckDBStore) -> None:
    """Neither agent's model calls said an answer; each agent's output is its own: the
    sub-agent's (inside the supervisor's tool) does not stand for the supervisor's."""
    trace = TraceBuilder()
    boss = trace.span("invoke_agent boss", {**_agent("boss", None), "acme.output": "It is sunny."}, duration_ms=300)
    trace.span("chat gpt-4o-mini", _call(SILENT, "stop"), parent=boss, start_ms=1, duration_ms=290)
    tool = trace.span("execute_tool delegate", _tool("delegate", "c1"), parent=boss, start_ms=20, duration_ms=100)
    member = trace.span(
        "invoke_agent weather", {**_agent("weather", None), "acme.output": "Sunny."}, parent=tool, start_ms=21
    )
    trace.span("chat gpt-4o-mini", _call(SILENT, "stop"), parent=member, start_ms=22, duration_ms=5)
    answers = [
        (m.agent_name, m.assistant_message.text) for m in trajectory(store, trace).messages if m.assistant_message
    ]
    assert answers[-2:] == [("weather", "Sunny."), ("boss", "It is sunny.")]


def test_an_agent_whose_calls_record_no_input_was_asked_what_its_span_records(store: DuckDBStore) -> None:
    """The question on each agent span, the sub-agent's too (run inside a tool of the
    supervisor): the model calls of neither say what they were sent."""
    trace = TraceBuilder()
    boss = trace.span("invoke_agent boss", _agent("boss", "Weather in Paris?"), duration_ms=300)
    trace.span("chat gpt-4o-mini", _call(SILENT, "tool_calls"), parent=boss, start_ms=1)
    tool = trace.span("execute_tool agent-weather", _tool("agent-weather", "c1"), parent=boss, start_ms=20)
    member = trace.span(
        "invoke_agent weather", _agent("weather", "Find the weather in Paris."), parent=tool, start_ms=21
    )
    trace.span("chat gpt-4o-mini", _call(ANSWER, "stop"), parent=member, start_ms=22)
    trace.span("chat gpt-4o-mini", _call(ANSWER, "stop"), parent=boss, start_ms=100)
    users = [row for row in outline(trajectory(store, trace)) if row[0] == "user_message"]
    assert users == [
        ("user_message", "boss", "Weather in Paris?"),
        ("user_message", "weather", "Find the weather in Paris."),
    ]


def test_an_agent_whose_calls_record_their_input_is_asked_nothing_more(store: DuckDBStore) -> None:
    question = [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]
    trace = TraceBuilder()
    agent = trace.span("invoke_agent weather", _agent("weather", "Weather in Paris, please"), duration_ms=100)
    trace.span("chat gpt-4o-mini", _call(ANSWER, "stop", **{"gen_ai.input.messages": as_json(question)}), parent=agent)
    users = [row for row in outline(trajectory(store, trace)) if row[0] == "user_message"]
    assert users == [("user_message", "weather", "Weather in Paris?")]


@pytest.mark.parametrize(
    ("attributes", "question"),
    [
        ({"acme.agent_run.input": "Weather in Paris?"}, "Weather in Paris?"),
        ({"langfuse.observation.input": "Weather in Paris?"}, "Weather in Paris?"),
        # the last segment as MLflow spells it, under a prefix no convention reads (mlflow.* is mlflow's)
        ({"acme.step.spanInputs": "Weather in Paris?"}, "Weather in Paris?"),
        # two keys could each be the input: neither is read
        ({"acme.run.input": "Weather in Paris?", "acme.step.input": "Weather in Rome?"}, None),
        # the semantic conventions' own keys are otel_genai's to read
        ({"gen_ai.usage.input": "Weather in Paris?"}, None),
    ],
)
def test_a_span_input_is_read_under_any_prefix_when_one_key_names_it(
    store: DuckDBStore, attributes: dict[str, object], question: str | None
) -> None:
    trace = TraceBuilder()
    agent = trace.span(
        "invoke_agent weather",
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather", **attributes},
        duration_ms=100,
    )
    trace.span("chat gpt-4o-mini", _call(ANSWER, "stop"), parent=agent, start_ms=1)
    users = [text for kind, _, text in outline(trajectory(store, trace)) if kind == "user_message"]
    assert users == ([question] if question else [])
