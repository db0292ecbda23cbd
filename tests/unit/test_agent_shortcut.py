"""The agents ingest stores per span (``ingest.agents``) are the same with its shortcut
(``_enclosed``: rule 1 read from parent links) as by the trajectory's rule over the span
tree, on every sample trace, request by request, and on fuzzed trees (the strategies of
``tests/fuzz/test_trajectory.py``)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.fuzz.test_trajectory import one_clock_spans, trace_spans
from tests.samples import SAMPLES
from tests.traces import TraceBuilder
from tracechat.genai.messages import shared_history
from tracechat.ingest import agents, flatten
from tracechat.ingest.loader import decode_request, find_request_files

Rows = list[tuple[Any, ...]]


@contextmanager
def captured() -> Iterator[list[Rows]]:
    """The rows ``flatten_traces`` hands to ``shown_agents_of``, with their promoted agents."""
    seen: list[Rows] = []

    def keep(rows: Rows) -> list[str | None]:
        seen.append(list(rows))
        return agents.shown_agents_of(rows)

    with mock.patch.object(flatten, "shown_agents_of", keep):
        yield seen


def traces_of(request: ExportTraceServiceRequest) -> list[Rows]:
    with captured() as seen:
        flatten.flatten_traces(request, lambda resource: "p")
    by_trace: dict[str, Rows] = defaultdict(list)
    for row in seen[0]:
        by_trace[row[1]].append(row)
    return list(by_trace.values())


def by_the_whole_rule(rows: Rows) -> dict[str, str]:
    """Every span read with its content, through the tree: the rule as a trace read applies it."""
    with shared_history():
        return agents.by_tree([agents._facts(row, content=True) for row in rows])


def same_either_way(rows: Rows) -> bool:
    """Asserts the shortcut agrees with the tree; whether it was taken."""
    fast = agents._shown(rows)
    assert fast == agents._shown(rows, shortcut=False)
    return agents._enclosed(rows, _heavy(rows)) is not None


def _heavy(rows: Rows) -> list[Any]:
    with shared_history():
        return [None if agents._light(r) else agents._facts(r, content=True) for r in rows]


def test_the_shortcut_agrees_with_the_tree_on_every_sample() -> None:
    taken = checked = 0
    for case in sorted(p for p in SAMPLES.iterdir() if (p / "requests").is_dir()):
        for file in find_request_files([case / "requests"]):
            request = decode_request(file)
            if not isinstance(request, ExportTraceServiceRequest):
                continue
            for rows in traces_of(request):
                checked += 1
                taken += same_either_way(rows)
                assert agents._shown(rows) == by_the_whole_rule(rows), (case.name, file.name)
    assert checked > 50
    assert 0 < taken < checked  # both ways are exercised


def _built(spans: list[dict[str, Any]], *, one_clock: bool) -> ExportTraceServiceRequest:
    """A fuzzed trace as ``tests/fuzz/test_trajectory.py`` builds it."""
    trace = TraceBuilder()
    for index, spec in enumerate(spans):
        wanted, parent = spec["parent"], None
        if one_clock:
            parent = format(wanted + 1, "016x") if wanted >= 0 else None
        elif wanted == index or 0 <= wanted < len(spans):
            parent = format(wanted + 1, "016x")
        elif wanted == -1:
            parent = "00000000000000ff"
        trace.span(
            spec["name"],
            spec["attributes"],
            parent=parent,
            start_ms=spec["start"],
            duration_ms=spec["duration"],
            error=spec.get("error", False),
        )
    return trace.trace_request()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trace_spans())
def test_the_shortcut_agrees_with_the_whole_rule_on_fuzzed_trees(spans: list[dict[str, Any]]) -> None:
    """Skewed clocks, cycles, missing parents: ingest's answer (the shortcut, or the tree with
    light spans read from their columns) is the rule's over every span read with its content.
    ``event()``s say which way each trace went (``--hypothesis-show-statistics``)."""
    for rows in traces_of(_built(spans, one_clock=False)):
        event("shortcut taken" if same_either_way(rows) else "read through the tree")
        shown = agents._shown(rows)
        event("checked: agents agree, some shown" if shown else "checked: agents agree, none shown")
        assert shown == by_the_whole_rule(rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_clock_spans())
def test_the_shortcut_agrees_with_the_whole_rule_on_one_clock_trees(spans: list[dict[str, Any]]) -> None:
    for rows in traces_of(_built(spans, one_clock=True)):
        same_either_way(rows)
        assert agents._shown(rows) == by_the_whole_rule(rows)


def test_a_model_call_without_usage_shows_its_agent() -> None:
    """Whether a span marked as a model call is one rests on its content when it recorded no
    usage (``genai.kinds.classify``): it is read with its content, and shows the agent it
    runs in, as in the trajectory."""
    trace = TraceBuilder()
    root = trace.span("invoke_agent a", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "alpha"})
    message = [{"role": "assistant", "parts": [{"type": "text", "content": "hi"}]}]
    call = trace.span(
        "chat m",
        {"gen_ai.operation.name": "chat", "gen_ai.output.messages": json.dumps(message)},
        parent=root,
        start_ms=1,
        duration_ms=2,
    )
    (rows,) = traces_of(trace.trace_request())
    assert agents._shown(rows) == by_the_whole_rule(rows) == {root: "alpha", call: "alpha"}
    assert same_either_way(rows)


def test_one_call_recorded_by_two_sibling_spans_shows_once() -> None:
    """Two sibling spans that name one response are one call (``spantree.tree`` nests the
    later): only the outer shows the agent; the shortcut leaves this to the tree."""
    trace = TraceBuilder()
    root = trace.span("invoke_agent a", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "alpha"})
    call = {"gen_ai.operation.name": "chat", "gen_ai.response.id": "r1", "gen_ai.usage.input_tokens": 5}
    outer = trace.span("chat m", call, parent=root, start_ms=1, duration_ms=5)
    trace.span("chat m", call, parent=root, start_ms=2, duration_ms=2)
    (rows,) = traces_of(trace.trace_request())
    assert agents._shown(rows) == by_the_whole_rule(rows) == {root: "alpha", outer: "alpha"}
    assert not same_either_way(rows)


def test_a_count_that_is_no_finite_number_is_no_count() -> None:
    """Ingest normalizes agent spans (and reads normalize every span): a token count recorded
    as ``"INF"`` or ``"nan"`` is no count, not an error that fails the whole request."""
    trace = TraceBuilder()
    for count in ("INF", "-inf", "nan"):
        trace.span(
            "invoke_agent a",
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "alpha",
                "gen_ai.usage.reasoning.output_tokens": count,
            },
        )
    (rows,) = traces_of(trace.trace_request())
    assert all(agents._facts(row, content=True).reasoning_tokens is None for row in rows)
    assert set(agents._shown(rows).values()) == {"alpha"}


def test_a_trace_whose_spans_cannot_be_read_keeps_the_agents_its_spans_name(caplog: Any) -> None:
    """Reading a trace's agents at ingest is the reader's code on input no test has seen: if it
    raises, the request is stored all the same (nothing sent is refused for it), each span of
    that trace keeping the agent it names itself, and the failure is logged; the request's
    other traces are read by the rule as ever."""
    trace, other = TraceBuilder(), TraceBuilder()
    named = trace.span("invoke_agent a", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "alpha"})
    inner = trace.span("chat m", {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 3}, parent=named)
    root = other.span("invoke_agent b", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "beta"})
    call = other.span("chat m", {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 4}, parent=root)
    (broken,) = traces_of(trace.trace_request())
    (kept,) = traces_of(other.trace_request())
    real = agents._shown

    def failing(rows: Rows, **options: Any) -> dict[str, str]:
        if rows[0][1] == broken[0][1]:
            raise RecursionError("a tree no test had")
        return real(rows, **options)

    rows = [*broken, *kept]
    with mock.patch.object(agents, "_shown", failing):
        shown = dict(zip(((row[1], row[2]) for row in rows), agents.shown_agents_of(rows), strict=True))
    one, two = broken[0][1], kept[0][1]
    assert (shown[one, named], shown[one, inner]) == ("alpha", None)  # as the spans name themselves
    assert (shown[two, root], shown[two, call]) == ("beta", "beta")  # the other trace: by the rule
    assert "could not be read" in caplog.text
    with mock.patch.object(agents, "_shown", failing):
        request = trace.trace_request()
        request.resource_spans.extend(other.trace_request().resource_spans)
        assert flatten.flatten_traces(request, lambda resource: "p")  # the request is stored


def test_a_call_under_a_root_whose_parent_is_missing_takes_no_agent_from_instructions_seen_before() -> None:
    """Rule 3 (the agent whose instructions a call sends) is a guess ingest does not make under
    a root whose parent has not arrived: the agent that encloses the call may come later. A
    complete trace root listed first must not stop that for the roots after it."""
    instructions = {"gen_ai.system_instructions": json.dumps([{"type": "text", "content": "You do weather."}])}
    call = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 3}
    trace = TraceBuilder()
    root = trace.span("invoke_agent w", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "alpha"})
    first = trace.span("chat m", {**call, **instructions}, parent=root, start_ms=1)
    later = trace.span("chat m", {**call, **instructions, "gen_ai.usage.input_tokens": 9}, start_ms=50)
    (rows,) = traces_of(trace.trace_request())
    missing = "00000000000000ff"
    rows = [(*row[:3], missing, *row[4:]) if row[2] == later else row for row in rows]
    with shared_history():
        shown = agents.by_tree([agents._facts(row, content=True) for row in rows])
    assert shown == {root: "alpha", first: "alpha"}  # the later call, its parent missing: no agent


def test_a_call_no_agent_encloses_takes_the_agent_of_an_earlier_call_sending_its_instructions() -> None:
    """Rule 3 reads instructions: a light call (read from its columns) that no agent encloses,
    in a trace whose root arrived, belongs to the agent an earlier call with the same
    instructions belonged to, so ingest reads the calls' content to see it (found by fuzzing
    skewed trees: the tree read from columns showed no agent for the later call)."""
    instructions = {"gen_ai.system_instructions": "Be brief."}
    call = {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 3, **instructions}
    trace = TraceBuilder()
    root = trace.span("invoke_agent a", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "alpha"})
    first = trace.span("chat m", call, parent=root, start_ms=1, duration_ms=2)
    later = trace.span("chat m", {**call, "gen_ai.usage.input_tokens": 7}, start_ms=20, duration_ms=2)
    (rows,) = traces_of(trace.trace_request())
    assert agents._shown(rows) == by_the_whole_rule(rows) == {root: "alpha", first: "alpha", later: "alpha"}


def test_a_call_takes_the_instructions_of_a_light_call_nested_in_it() -> None:
    """A call recorded by nested spans sends the instructions its inner span records; the
    inner one, read from its columns, would hide them (found by fuzzing skewed trees)."""
    named = {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 3, "gen_ai.system_instructions": "Be brief."}
    trace = TraceBuilder()
    root = trace.span("invoke_agent a", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "alpha"})
    first = trace.span("chat m", named, parent=root, start_ms=1, duration_ms=2)
    message = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "hi"}]}])
    outer = trace.span("chat m", {"gen_ai.operation.name": "chat", "gen_ai.output.messages": message}, start_ms=20)
    trace.span("chat m", {**named, "gen_ai.usage.input_tokens": 9}, parent=outer, start_ms=21, duration_ms=1)
    (rows,) = traces_of(trace.trace_request())
    assert agents._shown(rows) == by_the_whole_rule(rows) == {root: "alpha", first: "alpha", outer: "alpha"}


def test_an_agent_named_by_a_value_that_is_no_string_is_named_as_the_trajectory_names_it() -> None:
    """The promoted ``agent_name`` reads the value as the conventions do (``genai.values.text``):
    an array's JSON text, a placeholder as none (found by fuzzing: a failed call whose
    ``gen_ai.agent.name`` was ``[]`` showed ``[]`` in the trajectory and nothing in the list)."""
    trace = TraceBuilder()
    call = {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 3}
    listed = trace.span("chat m", {**call, "gen_ai.agent.name": ["a", "b"]})
    trace.span("chat m", {**call, "gen_ai.agent.name": "<REDACTED>"}, start_ms=5)
    (rows,) = traces_of(trace.trace_request())
    assert agents._shown(rows) == by_the_whole_rule(rows) == {listed: '["a","b"]'}


def test_a_call_under_a_step_that_names_an_agent_and_a_root_whose_parent_is_missing_names_none() -> None:
    """A step span (``task``) that carries an agent's name is no agent span: it decides
    nothing of rule 1. Under it, under a root whose parent has not arrived, the call's own
    agent name (rule 2) is a guess ingest does not keep: an agent span may enclose it later."""
    trace = TraceBuilder()
    root = trace.span("invoke_agent w", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "alpha"})
    call = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 3}
    first = trace.span("chat m", call, parent=root, start_ms=1)
    step = trace.span("task plan", {"gen_ai.operation.name": "task", "gen_ai.agent.name": "beta"}, start_ms=50)
    later = trace.span("chat m", {**call, "gen_ai.agent.name": "gamma"}, parent=step, start_ms=51)
    (rows,) = traces_of(trace.trace_request())
    missing = "00000000000000ff"
    rows = [(*row[:3], missing, *row[4:]) if row[2] == step else row for row in rows]
    with shared_history():
        shown = agents.by_tree([agents._facts(row, content=True) for row in rows])
    assert shown == {root: "alpha", first: "alpha"}  # neither the step nor the call under it
    assert later not in shown


@pytest.mark.parametrize("target", ["gen_ai.handoff.to_agent", "gen_ai.transfer.target.name", "to_agent"])
def test_a_model_call_that_records_a_handoff_target_is_a_handoff_and_shows_no_agent(target: str) -> None:
    """A span marked as a model call (light: it recorded usage or failed) that records a
    handoff's target is a handoff by its content (``genai.kinds.classify``): it shows no
    agent though a named agent encloses it (found by fuzzing skewed trees: the shortcut read
    it from its columns, a model call of ``triage``). The shortcut leaves it to the tree,
    which reads it whole."""
    trace = TraceBuilder()
    root = trace.span("invoke_agent a", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage"})
    trace.span("chat m", {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 3, target: "b"}, parent=root)
    (rows,) = traces_of(trace.trace_request())
    assert agents._shown(rows) == by_the_whole_rule(rows) == {root: "triage"}
    assert not same_either_way(rows)


@pytest.mark.parametrize(
    ("name", "tool"),
    [
        ("execute_tool t", {"gen_ai.handoff.to_agent": "billing"}),
        ("handoff to billing", {"openinference.span.kind": "TOOL"}),  # the name records the target
    ],
)
def test_a_call_under_a_tool_that_records_a_handoff_target_is_the_enclosing_agents(
    name: str, tool: dict[str, str]
) -> None:
    """A span marked as a tool that records a handoff's target is a handoff, which encloses
    no call: a call under it belongs to the agent enclosing both, not to the tool's own."""
    trace = TraceBuilder()
    root = trace.span("invoke_agent a", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage"})
    tool = {"gen_ai.operation.name": "execute_tool", **tool}
    handoff = trace.span(name, tool, parent=root, start_ms=1, duration_ms=5)
    call = {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 3}
    inner = trace.span("chat m", call, parent=handoff, start_ms=2, duration_ms=1)
    (rows,) = traces_of(trace.trace_request())
    assert agents._shown(rows) == by_the_whole_rule(rows) == {root: "triage", inner: "triage"}
    assert not same_either_way(rows)


def test_an_agent_inside_a_model_call_is_left_to_the_tree() -> None:
    """Found by the fuzzed trees: an agent run inside the same agent's run, both below a
    model call (a root whose parent is missing). Rule 1 reads no agent under a model call, so
    the shortcut took the inner run for an agent of its own; the tree reads it as a step of
    the outer run. The shortcut leaves such a trace to the tree."""
    reply = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "x"}]}])
    chat = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.output.messages": reply}
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}
    agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "Weather Agent"}
    tree = [(tool, 1), (tool, 3), (agent, 6), (chat, -1), (chat, 0), (tool, 0), (agent, 0), (chat, 2)]
    spans = [{"name": "chat x", "attributes": a, "parent": p, "start": 0, "duration": 0} for a, p in tree]
    [rows] = traces_of(_built(spans, one_clock=False))
    assert not same_either_way(rows)  # (asserts the two agree; the shortcut is not taken)
    assert agents._shown(rows) == by_the_whole_rule(rows)
