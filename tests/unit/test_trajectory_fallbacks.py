"""The trajectory's own steps after the reader (``query/trajectory.py``): the question taken
from an agent or another span with agent meaning when no model call recorded it, the
provider the response names and its wall-clock duration. Until these, only the contract tests
(every store, PostgreSQL's included) reached these branches, so their mutants ran minutes
each; traces built span by span, read through the real DuckDB store."""

from __future__ import annotations

from tests.traces import TraceBuilder, as_json, outline, trajectory
from tracechat.store.duck import DuckDBStore


def text(role: str, content: str) -> dict[str, object]:
    return {"role": role, "parts": [{"type": "text", "content": content}]}


def answer(reply: str, **extra: object) -> dict[str, object]:
    """A model call that records its answer but not its input (the question is elsewhere)."""
    return {"gen_ai.operation.name": "chat", "gen_ai.output.messages": as_json([text("assistant", reply)]), **extra}


def chain(question: str) -> dict[str, object]:
    return {"openinference.span.kind": "CHAIN", "input.value": question}


def test_the_question_is_the_agent_spans_though_an_earlier_workflow_span_recorded_another(
    store: DuckDBStore,
) -> None:
    """A workflow span that starts first records its own input; the agent span inside it
    records the question the agent was asked, and its model call records an input that holds
    no user message (only the instructions), so the reader leaves the question to the
    fallback: the agent's is the user's question, and it follows the agent's start (the
    entry that says who speaks), not the trajectory's first place."""
    trace = TraceBuilder()
    runner = trace.span("workflow", chain("run the weather pipeline"), duration_ms=50)
    weather = trace.span(
        "invoke_agent weather",
        {"openinference.span.kind": "AGENT", "agent.name": "weather", "input.value": "Weather in Paris?"},
        parent=runner,
        start_ms=5,
        duration_ms=40,
    )
    brief = as_json([{"role": "system", "parts": [{"type": "text", "content": "Be brief."}]}])
    trace.span("chat gpt-4o", {**answer("18C."), "gen_ai.input.messages": brief}, parent=weather, start_ms=10)
    result = trajectory(store, trace)
    assert [row for row in outline(result) if row[0] != "agent_start"] == [
        ("user_message", "weather", "Weather in Paris?"),
        ("assistant_message", "weather", "18C."),
    ]
    assert outline(result)[0][0] == "agent_start"
    [asked] = [m for m in result.messages if m.user_message]
    assert asked.span_id == weather


def test_of_two_spans_with_agent_meaning_the_earlier_ones_question_is_taken(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    trace.span("plan", chain("Plan a day in Lyon."), start_ms=0, duration_ms=10)
    trace.span("book", chain("Book the museum."), start_ms=20, duration_ms=10)
    trace.span("chat gpt-4o", answer("Done."), start_ms=40)
    users = [m.user_message.text for m in trajectory(store, trace).messages if m.user_message]
    assert users == ["Plan a day in Lyon."]


def test_a_plumbing_span_input_is_never_the_question(store: DuckDBStore) -> None:
    """An HTTP request span that recorded an input (no convention gives it agent meaning)
    starts first; the question is the workflow span's."""
    trace = TraceBuilder()
    trace.span("POST /v1/chat", {"http.request.method": "POST", "input.value": "token=abc123"}, duration_ms=5)
    trace.span("workflow", chain("Weather in Paris?"), start_ms=10)
    trace.span("chat gpt-4o", answer("18C."), start_ms=30)
    users = [m.user_message.text for m in trajectory(store, trace).messages if m.user_message]
    assert users == ["Weather in Paris?"]


def test_a_question_a_model_call_recorded_is_not_repeated_from_a_span_above_it(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    runner = trace.span("workflow", chain("Weather in Paris, please"), duration_ms=50)
    sent = {**answer("18C."), "gen_ai.input.messages": as_json([text("user", "Weather in Paris?")])}
    trace.span("chat gpt-4o", sent, parent=runner, start_ms=5)
    users = [m.user_message.text for m in trajectory(store, trace).messages if m.user_message]
    assert users == ["Weather in Paris?"]


def test_a_trace_of_many_roots_lasts_from_the_first_start_to_the_last_end(store: DuckDBStore) -> None:
    """No single root span: the duration spans every span's time (a root of 10 ms would not
    say how long the trace took)."""
    trace = TraceBuilder()
    trace.span("chat gpt-4o", answer("One."), start_ms=0, duration_ms=10)
    trace.span("chat gpt-4o", answer("Two."), start_ms=35, duration_ms=7)
    assert trajectory(store, trace).total_duration_ms == 42


def test_one_true_root_gives_its_own_duration_beside_an_orphan(store: DuckDBStore) -> None:
    """A span whose parent never arrived is a root of the tree, not of the trace: the
    duration is the true root's, though the orphan ends later."""
    trace = TraceBuilder()
    trace.span("workflow", chain("Weather?"), start_ms=0, duration_ms=25)
    trace.span("chat gpt-4o", answer("18C."), parent="00000000000000ff", start_ms=10, duration_ms=90)
    assert trajectory(store, trace).total_duration_ms == 25


def test_the_root_names_the_provider_family_of_its_calls(store: DuckDBStore) -> None:
    """The root says ``GCP``, its calls ``gcp.gemini``: the calls are that provider's, so the
    root's name (lowercased) is the trajectory's provider."""
    trace = TraceBuilder()
    root = trace.span("workflow", {**chain("Weather?"), "gen_ai.provider.name": "GCP"}, duration_ms=50)
    trace.span("chat gemini", answer("18C.", **{"gen_ai.provider.name": "gcp.gemini"}), parent=root, start_ms=5)
    assert trajectory(store, trace).provider == "gcp"


def test_a_root_provider_no_call_is_gives_way_to_the_innermost_calls(store: DuckDBStore) -> None:
    """The root names the framework (``crewai``); each model call is counted by its innermost
    span (the wrapper ``call_llm`` says ``google_adk``, the client's call inside it the
    model's provider): the most frequent of those."""
    trace = TraceBuilder()
    root = trace.span("crew", {**chain("Weather?"), "gen_ai.provider.name": "crewai"}, duration_ms=90)
    for start in (5, 35):
        wrapper = trace.span(
            "call_llm",
            answer("…", **{"gen_ai.provider.name": "google_adk"}),
            parent=root,
            start_ms=start,
            duration_ms=20,
        )
        trace.span(
            "generate_content", answer("18C.", **{"gen_ai.provider.name": "Gemini"}), parent=wrapper, start_ms=start + 1
        )
    trace.span("chat", answer("Sunny.", **{"gen_ai.provider.name": "openai"}), parent=root, start_ms=70)
    assert trajectory(store, trace).provider == "gemini"


def test_a_trace_of_many_roots_within_one_instant_lasts_no_time(store: DuckDBStore) -> None:
    """Two roots that start and end at the same instant: the trace took 0 ms, not 1."""
    trace = TraceBuilder()
    trace.span("chat gpt-4o", answer("One."), duration_ms=0)
    trace.span("chat gpt-4o", answer("Two."), duration_ms=0)
    assert trajectory(store, trace).total_duration_ms == 0


def _request_only(trace: TraceBuilder, root: str, messages: list[object], start_ms: int) -> str:
    """A model call whose span recorded what it sent and nothing of its reply (a streamed
    response read after the span ended)."""
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "m",
        "gen_ai.input.messages": as_json(messages),
    }
    return trace.span("chat m", attributes, parent=root, start_ms=start_ms, duration_ms=2)


def test_a_call_that_recorded_no_reply_has_the_reply_its_next_request_repeats(store: DuckDBStore) -> None:
    """The assistant message the agent's next request adds right after the earlier call's
    input is that call's reply: its tool calls (and text) belong to that call's entry."""
    question = {"role": "user", "content": "Weather in Paris?"}
    asked = {
        "role": "assistant",
        "content": "Looking it up.",
        "tool_calls": [{"id": "c1", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}],
    }
    answered = {"role": "tool", "tool_call_id": "c1", "content": "18C"}
    trace = TraceBuilder()
    root = trace.span("run", duration_ms=50)
    _request_only(trace, root, [question], 1)
    _request_only(trace, root, [question, asked, answered], 10)
    result = trajectory(store, trace)
    first, last = (m.assistant_message for m in result.messages if m.assistant_message is not None)
    assert first is not None
    assert last is not None
    assert [(c.id, c.name) for c in first.tool_calls or []] == [("c1", "get_weather")]
    assert first.text == "Looking it up."
    assert (last.tool_calls, last.text) == (None, None)  # no later request says what it answered


def test_a_tool_entry_shown_before_a_request_repeats_its_call_takes_the_models_own_arguments(
    store: DuckDBStore,
) -> None:
    """The tool span ran (and was shown) before any output said what was asked: when the next
    request repeats the call, the entry's arguments are the model's text, the same document
    as the span's record of them written the model's way."""
    question = {"role": "user", "content": "Weather in Paris?"}
    asked = {
        "role": "assistant",
        "tool_calls": [{"id": "c1", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}],
    }
    answered = {"role": "tool", "tool_call_id": "c1", "content": "18C"}
    tool = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": "c1",
        "gen_ai.tool.call.arguments": '{"city":"Paris"}',
    }
    trace = TraceBuilder()
    root = trace.span("run", duration_ms=50)
    _request_only(trace, root, [question], 1)
    step = trace.span("execute_tool get_weather", tool, parent=root, start_ms=5, duration_ms=2)
    _request_only(trace, root, [question, asked, answered], 10)
    [entry] = [m for m in trajectory(store, trace).messages if m.tool_call is not None]
    assert entry.span_id == step
    assert entry.tool_call is not None
    assert (entry.tool_call.tool_arguments, entry.tool_call.tool_result) == ('{"city": "Paris"}', "18C")


def test_a_request_that_recorded_the_arguments_as_a_structure_leaves_the_tools_text_of_them(
    store: DuckDBStore,
) -> None:
    """A later request repeating the call with its arguments as an object (OTel GenAI parts,
    as AgentScope records them) holds no text of the model's: the tool span's own text of
    them stays, not the reader's JSON of the object."""
    question = {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    call = {"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}
    asked = {"role": "assistant", "parts": [call]}
    answered = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "18C"}]}
    tool = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": "c1",
        "gen_ai.tool.call.arguments": '{"city": "Paris"}',
        "gen_ai.tool.call.result": "18C",
    }
    reply = {"role": "assistant", "parts": [{"type": "text", "content": "18C in Paris."}]}
    trace = TraceBuilder()
    root = trace.span("run", duration_ms=50)
    first = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}
    trace.span("chat gpt-4o", {**first, "gen_ai.input.messages": as_json([question])}, parent=root, start_ms=1)
    step = trace.span("execute_tool get_weather", tool, parent=root, start_ms=5, duration_ms=2)
    second = {"gen_ai.input.messages": as_json([question, asked, answered]), "gen_ai.output.messages": as_json([reply])}
    trace.span("chat gpt-4o", {**first, **second}, parent=root, start_ms=10)
    [entry] = [m for m in trajectory(store, trace).messages if m.tool_call is not None]
    assert entry.span_id == step
    assert entry.tool_call is not None
    assert (entry.tool_call.tool_arguments, entry.tool_call.tool_result) == ('{"city": "Paris"}', "18C")
