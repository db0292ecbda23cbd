"""The details of a trajectory that the reading rules leave open (``query/reader.py``,
``query/trajectory.py``, ``spantree/tree.py``, ``spantree/spans.py``): large and binary content
wherever it enters, instructions in several messages, compactions said in one way only,
folded graph nodes, the depth limit of a parent chain. Traces built span by span, read
through the real store; each test asserts what a reader of the trajectory sees."""

from __future__ import annotations

import base64
import hashlib

from tests.traces import TraceBuilder, as_json, outline, trajectory
from tests.trajectory_helpers import A1, U1, chat
from tracechat.query.content import PREVIEW_CHARS, TEXT_LIMIT
from tracechat.query.service import TraceQueries
from tracechat.spantree.tree import MAX_DEPTH
from tracechat.store.duck import DuckDBStore

PNG = b"\x89PNG\r\n\x1a\nfake image"
HUGE = "q" * (TEXT_LIMIT + 1)


def agent(name: str, **extra: object) -> dict[str, object]:
    return {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name, **extra}


def preview(text: str) -> str:
    return text[:PREVIEW_CHARS] + f"… [{len(text)} characters; the whole text is in content_refs]"


def ref(trace: TraceBuilder, span_id: str, data: bytes) -> str:
    return f"{trace.trace_hex}.{span_id}.{hashlib.sha256(data).hexdigest()[:32]}"


def fetched(store: DuckDBStore, reference: str) -> tuple[bytes, str]:
    content = TraceQueries(store).content("p", reference)
    return content.data, content.media_type


# -- content too large or too binary to inline, wherever it enters --------------------------


def test_an_image_the_user_sent_is_a_reference_to_its_bytes(store: DuckDBStore) -> None:
    image = {"type": "blob", "modality": "image", "mime_type": "image/png", "content": base64.b64encode(PNG).decode()}
    only_image = {"role": "user", "parts": [image]}
    with_text = {"role": "user", "parts": [{"type": "text", "content": "And this one?"}, image]}
    trace = TraceBuilder()
    first = trace.span("chat gpt-4o", chat([only_image], [A1]), start_ms=0)
    second = trace.span("chat gpt-4o", chat([only_image, A1, with_text], [A1]), start_ms=20)
    result = trajectory(store, trace)
    users = [m for m in result.messages if m.user_message]
    assert [(m.span_id, m.user_message.text, m.user_message.content_refs) for m in users if m.user_message] == [
        (first, None, [ref(trace, first, PNG)]),  # an image alone is a user turn
        (second, "And this one?", [ref(trace, second, PNG)]),
    ]
    assert fetched(store, ref(trace, first, PNG)) == (PNG, "image/png")


def test_an_image_the_model_answered_with_is_a_reference_to_its_bytes(store: DuckDBStore) -> None:
    image = {"type": "blob", "modality": "image", "mime_type": "image/png", "content": base64.b64encode(PNG).decode()}
    trace = TraceBuilder()
    call = trace.span("chat gpt-4o", chat([U1], [{"role": "assistant", "parts": [image]}]))
    [answer] = [m.assistant_message for m in trajectory(store, trace).messages if m.assistant_message]
    assert (answer.text, answer.content_refs) == (None, [ref(trace, call, PNG)])
    assert fetched(store, ref(trace, call, PNG)) == (PNG, "image/png")


def test_a_long_question_an_agent_was_asked_is_previewed_and_referenced(store: DuckDBStore) -> None:
    """The question as the agent span recorded it, wrapped by the framework in the model's
    input (``New task:``): the agent span holds the whole text."""
    asked = {"role": "user", "parts": [{"type": "text", "content": HUGE}]}
    wrapped = {"role": "user", "parts": [{"type": "text", "content": "New task:\n" + HUGE}]}
    trace = TraceBuilder()
    runner = trace.span("invoke_agent smol", agent("smol", **{"gen_ai.input.messages": as_json([asked])}))
    trace.span("chat gpt-4o", chat([wrapped], [A1]), parent=runner, start_ms=1)
    result = trajectory(store, trace)
    [user] = [m for m in result.messages if m.user_message]
    assert user.user_message is not None
    assert (user.span_id, user.agent_name, user.user_message.text) == (runner, "smol", preview(HUGE))
    assert user.user_message.content_refs == [ref(trace, runner, HUGE.encode())]
    assert fetched(store, ref(trace, runner, HUGE.encode()))[0] == HUGE.encode()


def test_a_long_question_only_an_agent_span_recorded_is_previewed_and_referenced(store: DuckDBStore) -> None:
    asked = {"role": "user", "parts": [{"type": "text", "content": HUGE}]}
    trace = TraceBuilder()
    runner = trace.span(
        "invoke_agent smol",
        agent("smol", **{"gen_ai.input.messages": as_json([asked]), "gen_ai.output.messages": as_json([A1])}),
    )
    result = trajectory(store, trace)
    [user] = [m for m in result.messages if m.user_message]
    assert user.user_message is not None
    assert (user.span_id, user.user_message.text) == (runner, preview(HUGE))
    assert user.user_message.content_refs == [ref(trace, runner, HUGE.encode())]


def test_a_long_observation_is_the_last_calls_result_previewed_and_referenced(store: DuckDBStore) -> None:
    """A result that names no call (ReAct's ``Observation:``) answers the call asked for
    last; its whole text is in the model call whose input carried it."""
    asks = {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "search", "arguments": "{}"}]}
    observed = {"role": "tool", "parts": [{"type": "tool_call_response", "response": HUGE}]}
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [asks]), start_ms=0)
    second = trace.span("chat gpt-4o", chat([U1, asks, observed], [A1]), start_ms=20)
    result = trajectory(store, trace)
    [call] = [m.tool_call for m in result.messages if m.tool_call]
    assert (call.tool_name, call.tool_result) == ("search", preview(HUGE))
    assert call.content_refs == [ref(trace, second, HUGE.encode())]
    assert fetched(store, ref(trace, second, HUGE.encode()))[0] == HUGE.encode()


# -- instructions ---------------------------------------------------------------------------


def test_instructions_in_several_system_messages_read_as_one_text_line_by_line(store: DuckDBStore) -> None:
    system = [
        {"role": "system", "parts": [{"type": "text", "content": "You are a weather bot."}]},
        {"role": "system", "parts": [{"type": "text", "content": "Answer in Celsius."}]},
    ]
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([*system, U1], [A1]))
    assert outline(trajectory(store, trace)) == [
        ("agent_start", None, "You are a weather bot.\nAnswer in Celsius."),
        ("user_message", None, "Weather in Paris?"),  # the system messages are no user turn
        ("assistant_message", None, "18C in Paris."),
    ]


# -- the depth limit of a parent chain ------------------------------------------------------


def _chain_under_an_agent(store: DuckDBStore, steps: int) -> str | None:
    """An agent, ``steps`` workflow spans each inside the one before, and a model call
    inside the last: whose the model call's answer is."""
    trace = TraceBuilder()
    parent = trace.span("invoke_agent deep", agent("deep"), start_ms=5)
    for _ in range(steps):
        parent = trace.span("step", {"openinference.span.kind": "CHAIN"}, parent=parent, start_ms=5)
    trace.span("chat gpt-4o", chat([U1], [A1]), parent=parent, start_ms=0)
    [answer] = [m for m in trajectory(store, trace).messages if m.assistant_message]
    return answer.agent_name


def test_a_parent_chain_deeper_than_the_limit_reads_as_a_cycle(store: DuckDBStore) -> None:
    """A call with ``MAX_DEPTH`` ancestors is still inside its agent; one with more is read
    as a root of its own (a chain deeper than any real trace: a cycle's worth of parents)."""
    assert _chain_under_an_agent(store, MAX_DEPTH - 1) == "deep"
    assert _chain_under_an_agent(store, MAX_DEPTH) is None


# -- results and observations ---------------------------------------------------------------


def test_a_long_result_of_a_call_no_tool_span_records_is_previewed_and_referenced(store: DuckDBStore) -> None:
    asks = {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "search", "arguments": "{}"}]}
    answered = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": HUGE}]}
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [asks]), start_ms=0)
    second = trace.span("chat gpt-4o", chat([U1, asks, answered], [A1]), start_ms=20)
    [call] = [m.tool_call for m in trajectory(store, trace).messages if m.tool_call]
    assert (call.tool_call_id, call.tool_result) == ("c1", preview(HUGE))
    assert call.content_refs == [ref(trace, second, HUGE.encode())]


def test_an_observation_with_no_call_before_it_is_no_entry(store: DuckDBStore) -> None:
    observed = {"role": "tool", "parts": [{"type": "tool_call_response", "response": "18C"}]}
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1, observed], [A1]))
    assert [(kind, main) for kind, _, main in outline(trajectory(store, trace))] == [
        ("agent_start", None),
        ("user_message", "Weather in Paris?"),
        ("assistant_message", "18C in Paris."),
    ]


# -- handoffs ---------------------------------------------------------------------------------


def _transfer(call_id: str, tool: str) -> dict[str, object]:
    return {"role": "assistant", "parts": [{"type": "tool_call", "id": call_id, "name": tool, "arguments": "{}"}]}


def test_the_handoff_record_of_a_transfer_is_the_span_the_handoff_is(store: DuckDBStore) -> None:
    """A transfer read from the model's ``transfer_to_weather_agent`` call, then recorded by
    a handoff span: one handoff, at the handoff span, from the agent the record names."""
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([U1], [_transfer("t1", "transfer_to_weather_agent")]), start_ms=0)
    record = trace.span(
        "handoff",
        {
            "gen_ai.operation.name": "handoff",
            "gen_ai.handoff.from_agent": "Triage",
            "gen_ai.handoff.to_agent": "Weather Agent",
        },
        start_ms=12,
    )
    [handoff] = [m for m in trajectory(store, trace).messages if m.agent_handoff]
    assert handoff.agent_handoff is not None
    assert (handoff.span_id, handoff.agent_handoff.from_agent, handoff.agent_handoff.to_agent) == (
        record,
        "Triage",
        "Weather Agent",
    )


def test_a_handoff_record_to_the_agent_already_speaking_leaves_a_pending_transfer_alone(
    store: DuckDBStore,
) -> None:
    """Triage asked for a transfer to billing (not yet taken over); a record of a handoff
    to triage itself changes nothing: the transfer still names billing."""
    trace = TraceBuilder()
    triage = trace.span("invoke_agent triage", agent("triage"), duration_ms=50)
    trace.span("chat gpt-4o", chat([U1], [_transfer("t1", "transfer_to_billing")]), parent=triage, start_ms=1)
    trace.span(
        "handoff", {"gen_ai.operation.name": "handoff", "gen_ai.handoff.to_agent": "triage"}, parent=triage, start_ms=12
    )
    handoffs = [m.agent_handoff for m in trajectory(store, trace).messages if m.agent_handoff]
    assert [(h.from_agent, h.to_agent) for h in handoffs] == [("triage", "billing")]


def test_a_tool_that_runs_another_tool_shows_both_calls(store: DuckDBStore) -> None:
    """Only a span of the same tool inside a tool span is that call recorded again."""
    trace = TraceBuilder()
    runner = trace.span("invoke_agent planner", agent("planner"), duration_ms=50)
    outer = trace.span(
        "execute_tool plan_trip",
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "plan_trip"},
        parent=runner,
        start_ms=1,
        duration_ms=20,
    )
    trace.span(
        "execute_tool get_weather",
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"},
        parent=outer,
        start_ms=2,
    )
    calls = [m.tool_call.tool_name for m in trajectory(store, trace).messages if m.tool_call]
    assert calls == ["plan_trip", "get_weather"]


def test_an_agent_that_names_no_model_starts_with_its_first_calls_model(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    runner = trace.span("invoke_agent weather", agent("weather"), duration_ms=50)
    trace.span("chat gpt-4o", chat([U1], [A1]), parent=runner, start_ms=1)
    [start] = [m.agent_start for m in trajectory(store, trace).messages if m.agent_start]
    assert start.model == "gpt-4o"


def test_a_long_user_message_is_previewed_and_referenced_from_its_model_call(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    call = trace.span("chat gpt-4o", chat([{"role": "user", "parts": [{"type": "text", "content": HUGE}]}], [A1]))
    [user] = [m.user_message for m in trajectory(store, trace).messages if m.user_message]
    assert (user.text, user.content_refs) == (preview(HUGE), [ref(trace, call, HUGE.encode())])
