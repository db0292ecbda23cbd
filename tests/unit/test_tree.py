"""The span tree's own rules (``spantree/tree.py``) on spans' facts built one by one: which of
two sibling model calls records the other again, and which of two spans that start together
is read first. The traces read through the store are in ``test_trajectory_*.py`` and
``tests/contract/test_counted_once.py``; these pin down each condition of the rules."""

from __future__ import annotations

from tracechat.genai.types import Kind, Message, Part, SpanFacts
from tracechat.spantree.spans import speaker
from tracechat.spantree.tree import build_tree, records_again

MS = 1_000_000


def facts(span_id: str, start_ms: int, end_ms: int, kind: Kind = Kind.LLM, **extra: object) -> SpanFacts:
    span = SpanFacts(
        span_id=span_id,
        parent_span_id=None,
        name=span_id,
        start_ns=start_ms * MS,
        end_ns=end_ms * MS,
        status_code=0,
        status_message=None,
        attributes={},
        events=(),
        logs=[],
        resource={},
        kind=kind,
    )
    for name, value in extra.items():
        setattr(span, name, value)
    return span


def test_two_records_of_one_response_nest_the_later_in_the_earlier_only() -> None:
    """Both name one response: the earlier span holds the later, never the other way round,
    wherever their times lie."""
    first = facts("a", 1, 40, response_id="resp_1")
    second = facts("b", 2, 50, response_id="resp_1")
    assert (records_again(first, second), records_again(second, first)) == (True, False)


def test_a_call_with_equal_tokens_outside_the_others_time_is_no_record_of_it() -> None:
    """Without response ids, equal input tokens make a record again only wholly within the
    other's time."""
    outer = facts("a", 1, 40, input_tokens=117)
    inside = facts("b", 2, 30, input_tokens=117)
    ends_later = facts("c", 2, 50, input_tokens=117)
    starts_earlier = facts("d", 0, 30, input_tokens=117)
    assert records_again(outer, inside) is True
    assert (records_again(outer, ends_later), records_again(outer, starts_earlier)) == (False, False)


def test_calls_within_each_others_time_with_other_or_no_tokens_are_two_calls() -> None:
    outer = facts("a", 1, 40, input_tokens=117)
    assert records_again(outer, facts("b", 2, 30, input_tokens=118)) is False
    assert records_again(outer, facts("c", 2, 30)) is False


def test_two_calls_of_the_same_time_and_tokens_nest_one_way_by_span_id() -> None:
    one, other = facts("a", 1, 40, input_tokens=117), facts("b", 1, 40, input_tokens=117)
    assert (records_again(one, other), records_again(other, one)) == (True, False)


def test_a_tool_span_starting_with_a_call_that_records_no_input_keeps_the_time_order() -> None:
    """A model call that records no input reads no tool's result: the tool that started in
    the same millisecond but ended later stays after it."""
    call = facts("a", 1, 5)
    tool = facts("b", 1, 10, kind=Kind.TOOL, tool_call_id="c1")
    assert [n.facts.span_id for n in build_tree([tool, call])] == ["a", "b"]


def test_a_tool_span_with_no_call_id_is_read_by_no_result_without_an_id() -> None:
    """A result that names no call (a ReAct observation) says nothing of which tool span it
    answers: a tool span without a call id keeps its time order."""
    observed = Message(role="tool", parts=[Part(kind="tool_result", text="18C")])
    call = facts("a", 1, 5, input_messages=[observed])
    tool = facts("b", 1, 10, kind=Kind.TOOL)
    assert [n.facts.span_id for n in build_tree([tool, call])] == ["a", "b"]


def test_a_tool_span_is_read_before_the_call_that_reads_its_result_when_both_start_together() -> None:
    answered = Message(role="tool", parts=[Part(kind="tool_result", id="c1", text="18C")])
    call = facts("a", 1, 5, input_messages=[answered])
    tool = facts("b", 1, 10, kind=Kind.TOOL, tool_call_id="c1")
    assert [n.facts.span_id for n in build_tree([call, tool])] == ["b", "a"]


def test_a_call_is_read_before_the_tool_it_asked_for_when_both_start_together() -> None:
    """The tool ran c1, which the call asked for: the call first, though the tool ended first
    (and so sorts first by time)."""
    asked = Message(role="assistant", parts=[Part(kind="tool_call", id="c1", name="get_weather")])
    call = facts("b", 1, 5, output_messages=[asked])
    tool = facts("a", 1, 3, kind=Kind.TOOL, tool_call_id="c1")
    assert [n.facts.span_id for n in build_tree([tool, call])] == ["b", "a"]


def test_a_third_record_of_a_call_nests_after_the_second_was_nested_by_its_response() -> None:
    """a and b name one response (b nests in a); c names none and has their tokens within
    b's time: c is that call recorded once more, under b, though b itself was moved."""
    a = facts("a", 1, 40, response_id="r1", input_tokens=117)
    b = facts("b", 2, 30, response_id="r1", input_tokens=117)
    c = facts("c", 3, 20, input_tokens=117)
    [root] = build_tree([a, b, c])
    [second] = root.children
    assert (root.facts.span_id, second.facts.span_id, [n.facts.span_id for n in second.children]) == ("a", "b", ["c"])


def test_an_empty_agent_span_adopts_the_work_within_its_time_but_no_agent_span() -> None:
    """An agent span with no children holds the siblings that ran wholly within its time
    (its work, recorded beside it), except another agent span: that agent is not its work."""
    lead = facts("a", 0, 50, kind=Kind.AGENT, agent_name="lead")
    helper = facts("b", 10, 20, kind=Kind.AGENT, agent_name="helper")
    call = facts("c", 22, 30)
    [root, sibling] = build_tree([lead, helper, call])
    assert (root.facts.span_id, [n.facts.span_id for n in root.children], sibling.facts.span_id) == ("a", ["c"], "b")


def test_an_empty_agent_span_adopts_no_root_whose_missing_parent_is_another() -> None:
    """Roots whose parents have not arrived (one request, read at ingest) are siblings only
    under the same missing parent: a call of another agent is not the empty span's work."""
    node = facts("a", 0, 50, kind=Kind.AGENT, agent_name="model", parent_span_id="graph")
    call = facts("c", 10, 20, parent_span_id="agent")
    kept = facts("d", 22, 30, parent_span_id="graph")
    roots = build_tree([node, call, kept])
    assert sorted((r.facts.span_id, [n.facts.span_id for n in r.children]) for r in roots) == [
        ("a", ["d"]),
        ("c", []),
    ]


def test_two_records_naming_one_call_by_different_ids_speak_with_the_id_its_result_answers() -> None:
    """The OpenAI Agents SDK's record (``call_id``) around the client's (the Responses item
    id): the speaker takes the id a later input's result answers."""
    asked = [Message("assistant", [Part("tool_call", id="call_1", name="get_weather")])]
    run = facts("w", 0, 40, kind=Kind.WORKFLOW)
    outer = facts("o", 0, 10, parent_span_id="w", input_tokens=5, output_messages=asked)
    inner = facts("i", 1, 9, parent_span_id="o", input_tokens=5)
    inner.output_messages = [Message("assistant", [Part("tool_call", id="fc_1", name="get_weather")])]
    answered = [Message("tool", [Part("tool_result", id="call_1", text="18C")])]
    later = facts("l", 20, 30, parent_span_id="w", input_tokens=9, input_messages=answered)
    [root] = build_tree([run, outer, inner, later])
    spoke = speaker(root.children[0])
    assert spoke.facts.span_id == "i"
    assert [p.id for m in spoke.facts.output_messages or () for p in m.parts] == ["call_1"]


def test_of_a_call_recorded_by_nested_spans_the_innermost_with_content_speaks() -> None:
    """ADK's ``call_llm`` over ``generate_content`` over a span that records nothing: the
    middle one, the innermost that holds the messages, speaks for the call."""
    said = [Message(role="assistant", parts=[Part(kind="text", text="18C")])]
    outer = facts("a", 1, 40, output_messages=said)
    middle = facts("b", 2, 30, output_messages=said, parent_span_id="a")
    inner = facts("c", 3, 20, parent_span_id="b")
    [root] = build_tree([outer, middle, inner])
    assert speaker(root).facts.span_id == "b"


def test_spans_starting_together_whose_evidence_contradicts_itself_keep_the_sorted_order() -> None:
    """The tool runs c1, whose result the call reads (the tool first), and the call asks
    for c1 (the call first): a cycle, so neither is free; the first as sorted (the call,
    ending first) is read first, and both are kept."""
    asked = Message(role="assistant", parts=[Part(kind="tool_call", id="c1", name="get_weather")])
    answered = Message(role="tool", parts=[Part(kind="tool_result", id="c1", text="18C")])
    call = facts("b", 1, 5, input_messages=[answered], output_messages=[asked])
    tool = facts("a", 1, 10, kind=Kind.TOOL, tool_call_id="c1")
    assert [n.facts.span_id for n in build_tree([tool, call])] == ["b", "a"]
