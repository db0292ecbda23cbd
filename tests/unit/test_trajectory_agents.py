"""Which agent each entry of a trajectory is from, where more than one agent speaks
(``query/reader.py``, ``spantree/attribution.py``): a compaction of one agent's context while
another spoke last, instructions that change after a takeover, an agent spelled two ways,
output messages that are not the model's. Traces built span by span, read through the real
store; each test asserts what a reader of the trajectory sees."""

from __future__ import annotations

import hashlib

from tests.traces import BASE_NS, MS, TraceBuilder, as_json, outline, trajectory
from tracechat.query.content import PREVIEW_CHARS, TEXT_LIMIT
from tracechat.query.service import trace_facts
from tracechat.query.session_queries import SessionQueries
from tracechat.query.trajectory import build_trajectory
from tracechat.store.duck import DuckDBStore


def text(role: str, content: str) -> dict[str, object]:
    return {"role": role, "parts": [{"type": "text", "content": content}]}


def chat(inputs: list[object], outputs: list[object], **extra: object) -> dict[str, object]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.input.messages": as_json(inputs),
        "gen_ai.output.messages": as_json(outputs),
        **extra,
    }


def agent(name: str, **extra: object) -> dict[str, object]:
    return {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name, **extra}


def system(instructions: str) -> dict[str, object]:
    return {"gen_ai.system_instructions": as_json([{"type": "text", "content": instructions}])}


def test_a_compaction_of_one_agents_context_is_that_agents_while_another_spoke_last(store: DuckDBStore) -> None:
    """The researcher's second call starts from a summary of its earlier context while the
    writer spoke last: the compaction is the researcher's, and control passes to it there."""
    ask, found, more = text("user", "Find flights."), text("assistant", "Three flights."), text("user", "Cheapest?")
    summary = text("user", "Summary: three flights found.")
    trace = TraceBuilder()
    researcher = trace.span("invoke_agent researcher", agent("researcher"), start_ms=0)
    trace.span("chat gpt-4o", chat([ask, found, more], [text("assistant", "The 9:00.")]), parent=researcher)
    writer = trace.span("invoke_agent writer", agent("writer"), start_ms=20)
    trace.span("chat gpt-4o", chat([text("user", "Write it up.")], [text("assistant", "Done.")]), parent=writer)
    again = trace.span("invoke_agent researcher", agent("researcher"), start_ms=40)
    trace.span(
        "chat gpt-4o",
        chat([summary, text("assistant", "The 9:00."), text("user", "Any later?")], [text("assistant", "The 15:00.")]),
        parent=again,
        start_ms=40,
    )
    assert outline(trajectory(store, trace))[-4:] == [
        ("agent_handoff", "writer", "researcher"),
        ("context_compacted", "researcher", "Summary: three flights found."),
        ("user_message", "researcher", "Any later?"),
        ("assistant_message", "researcher", "The 15:00."),
    ]


def test_an_agent_whose_instructions_change_starts_again_with_the_new_ones(store: DuckDBStore) -> None:
    """A named agent's second call sends other instructions than its first: a second
    ``agent_start`` with them, before the call's question; the same again is no new start."""
    trace = TraceBuilder()
    runner = trace.span("invoke_agent planner", agent("planner"), duration_ms=100)
    first, second = text("user", "Plan a trip."), text("user", "Now book it.")
    trace.span("chat gpt-4o", chat([first], [text("assistant", "Paris.")], **system("Plan trips.")), parent=runner)
    trace.span(
        "chat gpt-4o",
        chat([first, text("assistant", "Paris."), second], [text("assistant", "Booked.")], **system("Book trips.")),
        parent=runner,
        start_ms=20,
    )
    trace.span(
        "chat gpt-4o",
        chat(
            [second, text("assistant", "Booked."), text("user", "Thanks.")],
            [text("assistant", "Bye.")],
            **system("Book trips."),
        ),
        parent=runner,
        start_ms=40,
    )
    assert outline(trajectory(store, trace)) == [
        ("agent_start", "planner", "Plan trips."),
        ("user_message", "planner", "Plan a trip."),
        ("assistant_message", "planner", "Paris."),
        ("agent_start", "planner", "Book trips."),
        ("user_message", "planner", "Now book it."),
        ("assistant_message", "planner", "Booked."),
        ("user_message", "planner", "Thanks."),
        ("assistant_message", "planner", "Bye."),
    ]


def test_an_agent_taken_over_to_is_named_as_it_names_itself(store: DuckDBStore) -> None:
    """A handoff record names ``weather_agent``; the agent then speaks as "Weather Agent":
    one handoff, to "Weather Agent", and no second handoff between the two spellings."""
    trace = TraceBuilder()
    triage = trace.span("invoke_agent triage", agent("triage"), duration_ms=10)
    trace.span("chat gpt-4o", chat([text("user", "Weather?")], [text("assistant", "Passing you on.")]), parent=triage)
    trace.span(
        "handoff",
        {
            "gen_ai.operation.name": "handoff",
            "gen_ai.handoff.from_agent": "triage",
            "gen_ai.handoff.to_agent": "weather_agent",
        },
        start_ms=12,
    )
    weather = trace.span("invoke_agent Weather Agent", agent("Weather Agent"), start_ms=20)
    trace.span(
        "chat gpt-4o", chat([text("user", "Weather?")], [text("assistant", "Sunny.")]), parent=weather, start_ms=20
    )
    rows = outline(trajectory(store, trace))
    assert [row for row in rows if row[0] in ("agent_handoff", "agent_start")] == [
        ("agent_start", "triage", None),
        ("agent_handoff", "triage", "Weather Agent"),
        ("agent_start", "Weather Agent", None),
    ]
    assert rows[-1] == ("assistant_message", "Weather Agent", "Sunny.")


def test_a_user_message_among_a_calls_outputs_is_not_its_reply(store: DuckDBStore) -> None:
    """Output messages recorded with the role ``user`` (the input echoed back) are not what
    the model said: the assistant entry holds only the assistant's text."""
    trace = TraceBuilder()
    asked = text("user", "Weather in Paris?")
    trace.span("chat gpt-4o", chat([asked], [asked, text("assistant", "18C in Paris.")]))
    answers = [m.assistant_message for m in trajectory(store, trace).messages if m.assistant_message]
    assert [a.text for a in answers] == ["18C in Paris."]


def test_a_question_only_a_folded_graph_node_recorded_names_no_agent(store: DuckDBStore) -> None:
    """LangGraph's node "agent", marked an agent span inside the graph's agent, is a step of
    that agent (``fold_graph_nodes``) and loses the name it had only from its span: the
    question only it recorded is asked of no agent by name (never of an agent called "")."""
    trace = TraceBuilder()
    graph_metadata = as_json({"ls_integration": "langgraph"})
    node_metadata = as_json({"ls_integration": "langgraph", "langgraph_node": "agent", "langgraph_step": 1})
    graph = trace.span(
        "weather_agent", {"openinference.span.kind": "AGENT", "metadata": graph_metadata}, duration_ms=50
    )
    node = trace.span(
        "agent",
        {"openinference.span.kind": "AGENT", "metadata": node_metadata, "input.value": "Weather in Paris?"},
        parent=graph,
        start_ms=1,
    )
    llm = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "18C in Paris.",
    }
    trace.span("ChatOpenAI", llm, parent=node, start_ms=2)
    result = trajectory(store, trace)
    assert [(m.type, m.span_id, m.agent_name) for m in result.messages if m.user_message] == [
        ("user_message", node, None)
    ]


def _triage_then_a_call_of_no_agent_span(trace: TraceBuilder, handing: list[object]) -> str:
    """Triage answers (its output: ``handing``), then a model call no agent span holds, with
    instructions not seen before, asks the next question: the span id of that call."""
    triage = trace.span("invoke_agent triage", agent("triage"), duration_ms=30)
    trace.span("chat gpt-4o", chat([text("user", "Plan a trip.")], handing), parent=triage, start_ms=1)
    return triage


def test_a_handoff_tool_span_hands_the_next_new_instructions_to_the_agent_its_arguments_name(
    store: DuckDBStore,
) -> None:
    """LlamaIndex's ``handoff`` tool names the agent taking over only in its arguments
    (``to_agent``); no model output records the call: the tool span alone says that the next
    call with new instructions is the planner's."""
    trace = TraceBuilder()
    triage = _triage_then_a_call_of_no_agent_span(trace, [text("assistant", "Handing over.")])
    handoff = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "handoff"}
    handoff["gen_ai.tool.call.arguments"] = as_json({"to_agent": "planner"})
    trace.span("execute_tool handoff", handoff, parent=triage, start_ms=12)
    asked = [text("user", "Plan a trip."), text("user", "Paris, in May.")]
    trace.span("chat gpt-4o", chat(asked, [text("assistant", "Booked.")], **system("Plan trips.")), start_ms=40)
    rows = outline(trajectory(store, trace))
    assert [row for row in rows if row[0] in ("agent_handoff", "assistant_message")] == [
        ("assistant_message", "triage", "Handing over."),
        ("agent_handoff", "triage", "planner"),
        ("assistant_message", "planner", "Booked."),
    ]


def test_a_handoff_span_hands_the_next_new_instructions_to_the_agent_it_names(store: DuckDBStore) -> None:
    """A handoff span (``gen_ai.handoff.to_agent``) and no model output asking for a transfer:
    the next call with new instructions, outside any agent span, is the planner's."""
    trace = TraceBuilder()
    triage = _triage_then_a_call_of_no_agent_span(trace, [text("assistant", "Handing over.")])
    handoff = {"gen_ai.operation.name": "handoff", "gen_ai.handoff.to_agent": "planner"}
    trace.span("handoff planner", handoff, parent=triage, start_ms=12)
    asked = [text("user", "Plan a trip."), text("user", "Paris, in May.")]
    trace.span("chat gpt-4o", chat(asked, [text("assistant", "Booked.")], **system("Plan trips.")), start_ms=40)
    rows = outline(trajectory(store, trace))
    assert [row for row in rows if row[0] == "assistant_message"] == [
        ("assistant_message", "triage", "Handing over."),
        ("assistant_message", "planner", "Booked."),
    ]


def test_a_call_inside_a_handoff_span_is_the_agent_it_hands_to(store: DuckDBStore) -> None:
    """The rule reads spans in the trajectory's order, a span before what it holds: a handoff
    span that holds the next call (new instructions, no agent span) has handed control over
    by the time that call is read, so the call is the planner's, and the transfer is spent:
    a later call with other new instructions is nobody's."""
    trace = TraceBuilder()
    _triage_then_a_call_of_no_agent_span(trace, [text("assistant", "Handing over.")])
    handoff = {"gen_ai.operation.name": "handoff", "gen_ai.handoff.to_agent": "planner"}
    holding = trace.span("handoff planner", handoff, start_ms=40, duration_ms=20)
    asked = [text("user", "Plan a trip."), text("user", "Paris, in May.")]
    booked = chat(asked, [text("assistant", "Booked.")], **system("Plan trips."))
    trace.span("chat gpt-4o", booked, parent=holding, start_ms=41)
    later = chat([text("user", "Anything else?")], [text("assistant", "No.")], **system("Close up."))
    trace.span("chat gpt-4o", later, start_ms=70)
    rows = outline(trajectory(store, trace))
    assert [row for row in rows if row[0] == "assistant_message"] == [
        ("assistant_message", "triage", "Handing over."),
        ("assistant_message", "planner", "Booked."),
        ("assistant_message", None, "No."),
    ]


def test_a_call_recorded_by_nested_spans_belongs_by_the_instructions_only_its_inner_span_records(
    store: DuckDBStore,
) -> None:
    """After triage asked for ``transfer_to_planner``, a model call recorded twice (an outer
    span without content, the client's span inside it with instructions never seen): the
    call is the planner's, by the instructions its inner span records."""
    trace = TraceBuilder()
    ask = {"role": "assistant", "parts": [{"type": "tool_call", "id": "t1", "name": "transfer_to_planner"}]}
    _triage_then_a_call_of_no_agent_span(trace, [ask])
    outer = trace.span(
        "chat gpt-4o", {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 40}, start_ms=40, duration_ms=20
    )
    asked = [text("user", "Plan a trip."), ask, text("user", "Paris, in May.")]
    inner = chat(asked, [text("assistant", "Booked.")], **system("Plan trips."))
    trace.span("chat gpt-4o", inner, parent=outer, start_ms=41)
    rows = outline(trajectory(store, trace))
    assert [row for row in rows if row[0] in ("agent_handoff", "assistant_message")] == [
        ("assistant_message", "triage", None),
        ("agent_handoff", "triage", "planner"),
        ("assistant_message", "planner", "Booked."),
    ]


def test_a_call_of_no_agent_span_belongs_to_the_agent_that_sent_its_instructions_before(store: DuckDBStore) -> None:
    """The planner's span held its first call; a later call outside any agent span sends the
    same instructions: it is the planner's too (the span was not current for it)."""
    trace = TraceBuilder()
    planner = trace.span("invoke_agent planner", agent("planner"), duration_ms=30)
    first = text("user", "Plan a trip.")
    trace.span("chat gpt-4o", chat([first], [text("assistant", "Where to?")], **system("Plan trips.")), parent=planner)
    asked = [first, text("assistant", "Where to?"), text("user", "Paris.")]
    trace.span("chat gpt-4o", chat(asked, [text("assistant", "Booked.")], **system("Plan trips.")), start_ms=40)
    assert outline(trajectory(store, trace)) == [
        ("agent_start", "planner", "Plan trips."),
        ("user_message", "planner", "Plan a trip."),
        ("assistant_message", "planner", "Where to?"),
        ("user_message", "planner", "Paris."),
        ("assistant_message", "planner", "Booked."),
    ]


def test_a_call_inside_a_tool_belongs_to_no_agent_though_a_step_between_names_one(store: DuckDBStore) -> None:
    """A tool that runs a model runs an agent of its own (rule 1's exception): a step span
    between them that carries an agent's name is no agent span, so the inner call, which
    sends the planner's instructions, is still not the planner's (nor the step's)."""
    trace = TraceBuilder()
    planner = trace.span("invoke_agent planner", agent("planner"), duration_ms=30)
    first = text("user", "Plan a trip.")
    trace.span("chat gpt-4o", chat([first], [text("assistant", "Where to?")], **system("Plan trips.")), parent=planner)
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "ask_expert"}
    asking = trace.span("execute_tool ask_expert", tool, start_ms=40, duration_ms=30)
    step = trace.span(
        "task advise", {"gen_ai.operation.name": "task", "gen_ai.agent.name": "expert"}, parent=asking, start_ms=41
    )
    inner = [text("user", "Advise on Paris.")]
    trace.span(
        "chat gpt-4o", chat(inner, [text("assistant", "Go in May.")], **system("Plan trips.")), parent=step, start_ms=42
    )
    rows = outline(trajectory(store, trace))
    assert [row for row in rows if row[0] == "assistant_message"] == [
        ("assistant_message", "planner", "Where to?"),
        ("assistant_message", None, "Go in May."),
    ]


# -- the trajectory's own steps (query/trajectory.py): fallbacks and what the response names ---


def _workflow_asked(trace: TraceBuilder, question: str, answer: str) -> str:
    """A workflow span of session s1 that recorded its question (no agent span, no model call
    recording its input: only the trajectory's fallback reads it); its model call answers."""
    asked = {"openinference.span.kind": "CHAIN", "input.value": question, "gen_ai.conversation.id": "s1"}
    runner = trace.span("workflow", asked, duration_ms=30)
    answered = {"gen_ai.operation.name": "chat", "gen_ai.output.messages": as_json([text("assistant", answer)])}
    trace.span("chat gpt-4o", answered, parent=runner)
    return runner


def test_a_later_trace_of_a_session_asking_the_same_question_again_shows_no_new_question(store: DuckDBStore) -> None:
    """The first trace of a session asks its model the question; the second records it only
    on a workflow span (its model call records no input): it resumes the turn, the question
    known from the first, and asks nothing new."""
    first, second = TraceBuilder(), TraceBuilder(base_ns=BASE_NS + 10_000 * MS)
    asked = {"gen_ai.conversation.id": "s1"}
    first.span("chat gpt-4o", chat([text("user", "Weather in Paris?")], [text("assistant", "Checking.")], **asked))
    _workflow_asked(second, "Weather in Paris?", "18C.")
    for trace in (first, second):
        trace.store_in(store)
    session = SessionQueries(store).session_trajectory("p", "s1")
    users = [(m.trace_id, m.user_message.text) for m in session.messages if m.user_message]
    assert users == [(first.trace_hex, "Weather in Paris?")]


def test_a_long_question_only_a_workflow_span_recorded_is_previewed_and_referenced(store: DuckDBStore) -> None:
    huge = "q" * (TEXT_LIMIT + 1)
    trace = TraceBuilder()
    runner = _workflow_asked(trace, huge, "18C.")
    [user] = [m.user_message for m in trajectory(store, trace).messages if m.user_message]
    digest = hashlib.sha256(huge.encode()).hexdigest()[:32]
    assert user.content_refs == [f"{trace.trace_hex}.{runner}.{digest}"]
    assert user.text == huge[:PREVIEW_CHARS] + f"… [{len(huge)} characters; the whole text is in content_refs]"


def test_a_trajectory_names_its_root_span_and_an_empty_one_none(store: DuckDBStore) -> None:
    """With no root name from the trace index, the first root's name; no spans: none."""
    trace = TraceBuilder()
    trace.span("invoke_agent weather", agent("weather"))
    trace.store_in(store)
    stored = store.read_trace("p", trace.trace_hex)
    assert stored is not None
    spans, _ = trace_facts(stored.spans, stored.logs)
    assert build_trajectory(trace.trace_hex, spans, None).root_span_name == "invoke_agent weather"
    empty = build_trajectory(trace.trace_hex, [], None)
    assert (empty.root_span_name, empty.provider, empty.total_duration_ms, empty.messages) == (None, None, None, [])


def test_the_root_names_the_provider_when_one_call_is_its_though_more_are_anothers(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    root = trace.span("invoke_agent weather", {**agent("weather"), "gen_ai.provider.name": "openai"}, duration_ms=50)
    for start, provider in enumerate(["openai", "anthropic", "anthropic"]):
        answer = chat([text("user", "Weather?")], [text("assistant", "Sunny.")], **{"gen_ai.provider.name": provider})
        trace.span("chat", answer, parent=root, start_ms=start)
    assert trajectory(store, trace).provider == "openai"


# -- the reader's remaining edges (query/reader.py) ------------------------------------------


def test_an_empty_agent_span_naming_itself_as_its_source_is_a_run_not_a_handoff(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    trace.span("invoke_agent weather", agent("weather", **{"gen_ai.agent.source": "Weather"}))
    assert [row[0] for row in outline(trajectory(store, trace))] == ["agent_start"]


def test_a_call_that_sends_only_its_instructions_after_another_reads_as_no_new_message(store: DuckDBStore) -> None:
    """Its input holds no conversation (only the system message): nothing new was said."""
    brief = {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]}
    trace = TraceBuilder()
    trace.span("chat gpt-4o", chat([brief, text("user", "Weather?")], [text("assistant", "Sunny.")]))
    trace.span("chat gpt-4o", chat([brief], [text("assistant", "Still sunny.")]), start_ms=20)
    assert outline(trajectory(store, trace)) == [
        ("agent_start", None, "Be brief."),
        ("user_message", None, "Weather?"),
        ("assistant_message", None, "Sunny."),
        ("assistant_message", None, "Still sunny."),
    ]


def test_a_long_answer_is_previewed_and_referenced(store: DuckDBStore) -> None:
    huge = "a" * (TEXT_LIMIT + 1)
    trace = TraceBuilder()
    call = trace.span("chat gpt-4o", chat([text("user", "Tell me everything.")], [text("assistant", huge)]))
    [answer] = [m.assistant_message for m in trajectory(store, trace).messages if m.assistant_message]
    digest = hashlib.sha256(huge.encode()).hexdigest()[:32]
    assert answer.content_refs == [f"{trace.trace_hex}.{call}.{digest}"]


def test_a_long_retrieval_step_is_previewed_and_referenced(store: DuckDBStore) -> None:
    huge = "d" * (TEXT_LIMIT + 1)
    trace = TraceBuilder()
    step = trace.span(
        "retrieve", {"openinference.span.kind": "RETRIEVER", "input.value": "Paris", "output.value": huge}
    )
    [call] = [m.tool_call for m in trajectory(store, trace).messages if m.tool_call]
    digest = hashlib.sha256(huge.encode()).hexdigest()[:32]
    assert (call.tool_name, call.tool_arguments, call.content_refs) == (
        "retrieve",
        "Paris",
        [f"{trace.trace_hex}.{step}.{digest}"],
    )


def test_a_handoff_record_to_the_agent_speaking_with_no_handoff_before_changes_nothing(store: DuckDBStore) -> None:
    trace = TraceBuilder()
    triage = trace.span("invoke_agent triage", agent("triage"), duration_ms=50)
    trace.span("chat gpt-4o", chat([text("user", "Hi.")], [text("assistant", "Hello.")]), parent=triage, start_ms=1)
    trace.span(
        "handoff", {"gen_ai.operation.name": "handoff", "gen_ai.handoff.to_agent": "triage"}, parent=triage, start_ms=12
    )
    assert [row[0] for row in outline(trajectory(store, trace))] == ["agent_start", "user_message", "assistant_message"]


def test_when_another_agent_speaks_the_handoff_is_from_the_last_one_and_starts_name_no_tools(
    store: DuckDBStore,
) -> None:
    """No handoff was recorded: the researcher speaks after the writer, so a handoff from the
    writer to the researcher; neither agent recorded tools, so their starts name none."""
    trace = TraceBuilder()
    writer = trace.span("invoke_agent writer", agent("writer"), start_ms=0)
    trace.span("chat gpt-4o", chat([text("user", "Write.")], [text("assistant", "Done.")]), parent=writer)
    researcher = trace.span("invoke_agent researcher", agent("researcher"), start_ms=20)
    trace.span(
        "chat gpt-4o", chat([text("user", "Find.")], [text("assistant", "Found.")]), parent=researcher, start_ms=20
    )
    messages = trajectory(store, trace).messages
    assert [(h.from_agent, h.to_agent) for h in (m.agent_handoff for m in messages) if h] == [("writer", "researcher")]
    assert [s.tool_definitions for s in (m.agent_start for m in messages) if s] == [None, None]


def test_an_agents_answer_after_its_calls_counted_their_tokens_carries_none_of_its_own(store: DuckDBStore) -> None:
    """The agent span records its answer and the tokens of the call inside it, which only
    asked for a tool (no text): the agent's answer is shown, but the tokens stay the call's,
    so the assistant entries' output tokens add up to the call's once."""
    ask = {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather"}]}
    trace = TraceBuilder()
    runner = trace.span(
        "invoke_agent helper",
        agent(
            "helper",
            **{"gen_ai.output.messages": as_json([text("assistant", "18C in Paris.")])},
            **{"gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 7},
        ),
        duration_ms=40,
    )
    usage = {"gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 7}
    trace.span("chat gpt-4o", chat([text("user", "Weather in Paris?")], [ask], **usage), parent=runner, start_ms=1)
    replies = [m.assistant_message for m in trajectory(store, trace).messages if m.assistant_message]
    assert [(r.text, r.output_tokens) for r in replies] == [(None, 7), ("18C in Paris.", None)]
    assert sum(r.output_tokens or 0 for r in replies) == 7


def test_a_tool_span_with_the_called_functions_display_name_starting_with_the_call_is_that_call(
    store: DuckDBStore,
) -> None:
    """CrewAI's `Delegate work to coworker` span (no call id) starts in the same nanosecond
    as the model call that asked for `delegate_work_to_coworker`: still that call, with the
    request's id and arguments, not a second tool call."""
    call = {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "c9", "name": "delegate_work_to_coworker", "arguments": {"task": "x"}}],
    }
    trace = TraceBuilder()
    lead = trace.span("lead", agent("lead"), duration_ms=90)
    trace.span("chat gpt-4o", chat([text("user", "Delegate it.")], [call]), parent=lead, start_ms=1, duration_ms=5)
    tool = {"openinference.span.kind": "TOOL", "tool.name": "Delegate work to coworker", "output.value": "done"}
    trace.span("Delegate work to coworker.run", tool, parent=lead, start_ms=1, duration_ms=20)
    calls = [m.tool_call for m in trajectory(store, trace).messages if m.tool_call]
    assert [(c.tool_name, c.tool_call_id, c.tool_result) for c in calls] == [
        ("Delegate work to coworker", "c9", "done")
    ]


def test_an_agent_spelled_two_ways_with_no_handoff_before_speaks_on_with_no_handoff(store: DuckDBStore) -> None:
    """``weather_agent`` then "Weather Agent" speak, and no handoff was recorded to rename:
    the second spelling starts and speaks, and no handoff appears between the two."""
    trace = TraceBuilder()
    first = trace.span("invoke_agent weather_agent", agent("weather_agent"))
    trace.span("chat gpt-4o", chat([text("user", "Weather?")], [text("assistant", "Looking.")]), parent=first)
    second = trace.span("invoke_agent Weather Agent", agent("Weather Agent"), start_ms=20)
    history = [text("user", "Weather?"), text("assistant", "Looking."), text("user", "And?")]
    trace.span("chat gpt-4o", chat(history, [text("assistant", "Sunny.")]), parent=second, start_ms=20)
    assert outline(trajectory(store, trace)) == [
        ("agent_start", "weather_agent", None),
        ("user_message", "weather_agent", "Weather?"),
        ("assistant_message", "weather_agent", "Looking."),
        ("agent_start", "Weather Agent", None),
        ("user_message", "Weather Agent", "And?"),
        ("assistant_message", "Weather Agent", "Sunny."),
    ]


def test_a_requested_transfer_waits_for_its_agent_while_another_named_agent_speaks(store: DuckDBStore) -> None:
    """Triage asks to transfer to billing; a named helper agent speaks next (its call is its
    own, and takes nothing over); the next call no agent span encloses, with instructions not
    seen before, is billing's: the transfer still waits for the agent it named."""
    transfer = {"role": "assistant", "parts": [{"type": "tool_call", "id": "t1", "name": "transfer_to_billing"}]}
    trace = TraceBuilder()
    triage = trace.span("invoke_agent triage", agent("triage"), start_ms=0)
    asked = chat([text("user", "My invoice is wrong.")], [transfer], **system("You triage."))
    trace.span("chat gpt-4o", asked, parent=triage, start_ms=1)
    helper = trace.span("invoke_agent helper", agent("helper"), start_ms=20)
    helped = chat([text("user", "Look up the account.")], [text("assistant", "Account 42.")], **system("You help."))
    trace.span("chat gpt-4o", helped, parent=helper, start_ms=21)
    billing = chat([text("user", "My invoice is wrong.")], [text("assistant", "Fixed.")], **system("You bill."))
    trace.span("chat gpt-4o", billing, start_ms=40)
    answers = [row for row in outline(trajectory(store, trace)) if row[0] == "assistant_message"]
    assert answers[-2:] == [("assistant_message", "helper", "Account 42."), ("assistant_message", "billing", "Fixed.")]


def test_a_handoff_keeps_naming_the_agent_it_handed_to_when_a_call_of_no_agent_follows(store: DuckDBStore) -> None:
    """Triage hands off to the weather agent, which answers; then a model call that no agent
    encloses speaks: the handoff still says to whom it handed (nothing renames it to none)."""
    trace = TraceBuilder()
    triage = trace.span("invoke_agent triage", agent("triage"), duration_ms=30)
    trace.span("chat gpt-4o", chat([text("user", "Weather?")], [text("assistant", "Handing over.")]), parent=triage)
    handoff = {"gen_ai.operation.name": "handoff", "gen_ai.handoff.to_agent": "weather"}
    trace.span("handoff", handoff, parent=triage, start_ms=12)
    weather = trace.span("invoke_agent weather", agent("weather"), start_ms=40, duration_ms=20)
    trace.span(
        "chat gpt-4o", chat([text("user", "Weather?")], [text("assistant", "18C.")]), parent=weather, start_ms=41
    )
    trace.span("chat gpt-4o", chat([text("user", "Thanks.")], [text("assistant", "Anything else?")]), start_ms=70)
    rows = outline(trajectory(store, trace))
    assert ("agent_handoff", "triage", "weather") in rows
    assert rows[-1] == ("assistant_message", None, "Anything else?")


def _weather_call(call_id: str, name: str = "get_weather", **arguments: object) -> dict[str, object]:
    part = {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments or {"city": "Paris"}}
    return {"role": "assistant", "parts": [part]}


def _tool(name: str, call_id: str, arguments: str, result: str) -> dict[str, object]:
    return {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.call.id": call_id,
        "gen_ai.tool.call.arguments": arguments,
        "gen_ai.tool.call.result": result,
    }


def test_an_agent_span_inside_the_same_agents_span_is_a_step_of_its_run(store: DuckDBStore) -> None:
    """OpenLIT on smolagents: `invoke_agent helper step_1` under `invoke_agent helper`, its
    output the step's observation (the tool's result), the run's output the answer: the steps
    are the run's own, so neither they nor the run answer what the model calls said."""
    trace = TraceBuilder()
    answer = text("assistant", "Sunny in Paris.")
    run = trace.span("invoke_agent helper", agent("helper", **{"gen_ai.output.messages": as_json([answer])}))
    observed = {"gen_ai.output.messages": as_json([text("assistant", "sunny")])}
    step1 = trace.span("invoke_agent helper step_1", agent("helper", **observed), parent=run, start_ms=1)
    trace.span("chat gpt-4o", chat([text("user", "Weather?")], [_weather_call("c1")]), parent=step1, start_ms=2)
    trace.span(
        "execute_tool get_weather", _tool("get_weather", "c1", '{"city": "Paris"}', "sunny"), parent=step1, start_ms=9
    )
    step2 = trace.span(
        "invoke_agent helper step_2",
        agent("helper", **{"gen_ai.output.messages": as_json([answer])}),
        parent=run,
        start_ms=20,
    )
    trace.span("chat gpt-4o", chat([text("user", "Weather?")], [answer]), parent=step2, start_ms=21)
    assert outline(trajectory(store, trace)) == [
        ("agent_start", "helper", None),
        ("user_message", "helper", "Weather?"),
        ("assistant_message", "helper", None),
        ("tool_call", "helper", "get_weather"),
        ("assistant_message", "helper", "Sunny in Paris."),
    ]


def test_a_call_prompt_holding_the_agents_instructions_whole_is_no_change_of_them(store: DuckDBStore) -> None:
    """smolagents sends the model its own prompt template with the agent's instructions
    inside; the agent span records the instructions alone: one `agent_start`, with them."""
    trace = TraceBuilder()
    run = trace.span("invoke_agent helper", agent("helper", **system("Answer briefly.")), duration_ms=50)
    prompt = "You are an expert assistant.\nAnswer briefly.\nNow begin!"
    trace.span(
        "chat gpt-4o", chat([text("user", "Hi?")], [text("assistant", "Hi.")], **system(prompt)), parent=run, start_ms=1
    )
    assert outline(trajectory(store, trace)) == [
        ("agent_start", "helper", "Answer briefly."),
        ("user_message", "helper", "Hi?"),
        ("assistant_message", "helper", "Hi."),
    ]


def test_a_tool_span_under_an_id_no_model_asked_for_is_the_call_of_its_tool_and_arguments(
    store: DuckDBStore,
) -> None:
    """OpenLIT makes up a UUID for a smolagents tool span (smolagents passes the tool no call
    id): the model asked `get_weather({"city": "Paris"})` as `call_1`, a span ran it as
    `uuid-1`; one call, named `call_1`. A span of the same tool with other arguments is not it."""
    trace = TraceBuilder()
    run = trace.span("invoke_agent helper", agent("helper"), duration_ms=90)
    trace.span("chat gpt-4o", chat([text("user", "Weather?")], [_weather_call("call_1")]), parent=run, start_ms=1)
    trace.span(
        "execute_tool get_weather", _tool("get_weather", "uuid-0", '{"city": "Rome"}', "hot"), parent=run, start_ms=5
    )
    trace.span(
        "execute_tool get_weather", _tool("get_weather", "uuid-1", '{"city": "Paris"}', "sunny"), parent=run, start_ms=9
    )
    calls = [m.tool_call for m in trajectory(store, trace).messages if m.tool_call]
    assert [(c.tool_call_id, c.tool_result) for c in calls] == [("uuid-0", "hot"), ("call_1", "sunny")]


def test_a_tool_span_under_an_id_a_later_model_call_asked_for_is_that_calls_not_an_earlier_ones(
    store: DuckDBStore,
) -> None:
    """The model asked `get_weather({"city": "Paris"})` twice, as `call_1` (no span records
    it) and later as `call_2` (its span does): the span is `call_2`'s, not `call_1`'s."""
    trace = TraceBuilder()
    run = trace.span("invoke_agent helper", agent("helper"), duration_ms=90)
    ask = [text("user", "Weather?")]
    trace.span("chat gpt-4o", chat(ask, [_weather_call("call_1")]), parent=run, start_ms=1)
    trace.span("chat gpt-4o", chat(ask, [_weather_call("call_2")]), parent=run, start_ms=10)
    trace.span(
        "execute_tool get_weather",
        _tool("get_weather", "call_2", '{"city": "Paris"}', "sunny"),
        parent=run,
        start_ms=20,
    )
    calls = [m.tool_call for m in trajectory(store, trace).messages if m.tool_call]
    assert [(c.tool_call_id, c.tool_result) for c in calls] == [("call_1", None), ("call_2", "sunny")]


def test_a_tool_span_under_a_made_up_id_is_the_asked_call_also_beside_a_span_with_no_id(store: DuckDBStore) -> None:
    """As above, where another tool's span has no id at all (the spans are matched one by
    one, not by an index of their ids): the `uuid-1` span is still `call_1`'s."""
    trace = TraceBuilder()
    run = trace.span("invoke_agent helper", agent("helper"), duration_ms=90)
    trace.span("chat gpt-4o", chat([text("user", "Weather?")], [_weather_call("call_1")]), parent=run, start_ms=1)
    idless = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "log", "gen_ai.tool.call.result": "ok"}
    trace.span("execute_tool log", idless, parent=run, start_ms=5)
    weather = _tool("get_weather", "uuid-1", '{"city": "Paris"}', "sunny")
    trace.span("execute_tool get_weather", weather, parent=run, start_ms=9)
    calls = [m.tool_call for m in trajectory(store, trace).messages if m.tool_call]
    assert [(c.tool_name, c.tool_call_id, c.tool_result) for c in calls] == [
        ("log", None, "ok"),
        ("get_weather", "call_1", "sunny"),
    ]
