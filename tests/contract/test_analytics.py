"""The assistant's statistics tools (store.analytics) answer the same on both stores: the same
spans go into a DuckDB store and an Iceberg store, and every question is asked of both."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from tests.postgres import PostgresServer
from tests.samples import SAMPLES
from tests.traces import TraceBuilder
from tracechat.auth.keys import KeyRing
from tracechat.chat import tools
from tracechat.ingest.loader import load_paths_in_process
from tracechat.ingest.receiver import Receiver
from tracechat.metrics import Metrics
from tracechat.model.sessions import SessionFilter, SessionSummary
from tracechat.model.summaries import TraceFilter
from tracechat.query.service import TraceQueries
from tracechat.store.analytics import TraceAnalytics
from tracechat.store.duck import DuckDBStore
from tracechat.store.iceberg.analytics import IcebergAnalytics
from tracechat.store.iceberg.store import IcebergStore
from tracechat.store.iceberg.traceindex import TRACES
from tracechat.store.protocol import SpanStore

DAY_NS = 86_400 * 10**9
SECOND_NS = 10**9


@dataclass
class Both:
    duck: DuckDBStore
    iceberg: IcebergStore
    since: int
    """A start inside the data: some traces straddle it."""
    projects: list[str]
    extra: list[TraceBuilder]
    """The straddling and nested traces, in project 'p'."""

    @property
    def analytics(self) -> tuple[TraceAnalytics, TraceAnalytics]:
        return TraceAnalytics(self.duck), IcebergAnalytics(self.iceberg)


def _call(trace: TraceBuilder, name: str, tokens: tuple[int, int], parent: str, **extra: Any) -> str:
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": tokens[0],
        "gen_ai.usage.output_tokens": tokens[1],
        **extra,
    }
    return trace.span(name, attributes, parent=parent, start_ms=len(trace.spans) * 10)


def _straddling(now: int) -> TraceBuilder:
    """An agent that started two days ago, a tool it ran then, and model calls now: the agent
    the calls belong to is in a day no call is in."""
    trace = TraceBuilder(base_ns=now - 2 * DAY_NS)
    agent = trace.span(
        "invoke_agent planner",
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"},
        duration_ms=2 * 86_400_000 + 60_000,
    )
    tool = trace.span(
        "execute_tool research",
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "research"},
        parent=agent,
        duration_ms=2 * 86_400_000 + 30_000,
    )
    late = 2 * 86_400_000  # now, in ms after the trace's start
    for number, parent in enumerate((agent, tool, agent)):
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "claude-sonnet-4-5-20250929",
            "gen_ai.usage.input_tokens": 100 + number,
            "gen_ai.usage.output_tokens": 7,
        }
        trace.span(f"chat {number}", attributes, parent=parent, start_ms=late + number, error=number == 2)
    return trace


def _nested(now: int) -> TraceBuilder:
    trace = TraceBuilder(base_ns=now - 60 * SECOND_NS)
    triage = trace.span("invoke_agent triage", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=500)
    _call(trace, "chat triage", (42, 17), triage)
    weather = trace.span(
        "weather run", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather"}, parent=triage
    )
    _call(trace, "chat weather", (100, 10), weather, **{"gen_ai.agent.name": "triage"})
    delegate = trace.span("execute_tool delegate", {"gen_ai.operation.name": "execute_tool"}, parent=triage)
    _call(trace, "chat member", (7, 3), delegate)
    trace.span("broken", {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "x"}, parent=triage, error=True)
    return trace


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer) -> Iterator[Both]:
    tmp_path = tmp_path_factory.mktemp("analytics")
    duck = DuckDBStore(tmp_path / "duck" / "tracechat.duckdb")
    iceberg = IcebergStore(postgres.create_database(), (tmp_path / "warehouse").as_uri())
    try:
        now = time.time_ns()
        extra = [_straddling(now), _nested(now)]
        for store in (duck, iceberg):
            receiver = Receiver(store, KeyRing(tmp_path / "keys.json"), Metrics())
            load_paths_in_process(receiver, [SAMPLES], end_at_ns=now)  # both at the same times
            for trace in extra:
                trace.store_in(store)  # type: ignore[arg-type]
        starts = sorted(row[0] for row in duck.cursor().execute("SELECT start_ns FROM spans").fetchall())
        projects = [row[0] for row in duck.cursor().execute("SELECT DISTINCT project FROM spans").fetchall()]
        yield Both(duck, iceberg, starts[len(starts) // 2], sorted(projects), extra)
    finally:
        iceberg.close()
        duck.close()


def _same(rows: list[dict[str, Any]]) -> list[str]:
    """Rows as comparable text, in a fixed order (rows of equal rank come in either order)."""
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)


def _errors(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The example ids are any three of the traces with that error: compared as how many.
    return [{**row, "example_trace_ids": len(row["example_trace_ids"])} for row in rows]


Question = Callable[[TraceAnalytics, str, int], list[dict[str, Any]]]
_QUESTIONS: list[Question] = [
    lambda a, project, since: _errors(a.errors(project, since, 1000)),
    lambda a, project, since: a.slowest_spans(project, since, 100_000),
    lambda a, project, since: a.slowest_traces(project, since, 100_000),
    lambda a, project, since: a.usage(project, since),  # by agent: tests/contract/test_agent_usage.py
    lambda a, project, since: a.catalog(project, since)["agents"],
    lambda a, project, since: a.catalog(project, since)["models"],
    lambda a, project, since: a.catalog(project, since)["tools"],
]


def test_every_statistic_is_the_same_on_both_stores(both: Both) -> None:
    duck, iceberg = both.analytics
    assert both.projects
    asked = 0
    for project in both.projects:
        for since in (0, both.since):
            for question in _QUESTIONS:
                expected = question(duck, project, since)
                assert _same(question(iceberg, project, since)) == _same(expected)
                asked += bool(expected)
            tools_used = {row["tool"] for row in duck.catalog(project, 0)["tools"]}
            for tool in tools_used:
                assert sorted(iceberg.traces_with_tool(project, tool, since, 1000)) == sorted(
                    duck.traces_with_tool(project, tool, since, 1000)
                )
    assert asked > 20  # the samples answer most questions with something


def _ask_everything(analytics: TraceAnalytics, projects: list[str], since: int) -> list[list[str]]:
    answers = []
    for project in projects:
        for question in _QUESTIONS:
            answers.append(_same(question(analytics, project, since)))
        answers.append(sorted(analytics.traces_with_tool(project, "research", since, 1000)))
    return answers


def test_the_iceberg_statistics_read_the_listed_files_and_plan_nothing(
    both: Both, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row of the fixture's store lists its files (a store of this build): no question
    plans (pyiceberg's planning grows with the manifests), and each reads listed files."""
    duck, iceberg = both.analytics
    planned, listed = both.iceberg.planned_reads, both.iceberg.listed_reads

    def planning(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a statistic planned files")

    monkeypatch.setattr(both.iceberg, "_files", planning)
    for since in (0, both.since):
        assert _ask_everything(iceberg, both.projects, since) == _ask_everything(duck, both.projects, since)
    assert both.iceberg.planned_reads == planned
    # each question that reads spans (errors, slowest spans, usage, tools, traces with a tool) read its lists
    assert both.iceberg.listed_reads - listed >= 2 * len(both.projects) * 5


def _set_span_files(store: IcebergStore, project: str, trace_id: str, files: list[str] | None) -> None:
    with store.index.connection() as con:
        con.execute(
            f"UPDATE {TRACES} SET span_files = %s WHERE project = %s AND trace_id = %s", [files, project, trace_id]
        )


def test_an_iceberg_row_without_a_list_is_still_in_the_statistics(both: Both) -> None:
    """The straddling trace's row made as one indexed before the index kept lists (NULL): the
    statistics plan its files (its agent's day too) and answer as the DuckDB store does;
    the other rows are still read from their lists."""
    duck, iceberg = both.analytics
    trace_id = both.extra[0].trace_hex
    row = both.iceberg.index.row("p", trace_id)
    assert row is not None
    assert row.span_files
    _set_span_files(both.iceberg, "p", trace_id, None)
    try:
        planned, listed = both.iceberg.planned_reads, both.iceberg.listed_reads
        since = time.time_ns() - DAY_NS
        for analytics in both.analytics:
            [error] = [row for row in analytics.errors("p", since, 10) if row["name"] == "chat 2"]
            assert error["count"] == 1
        for start in (0, both.since, since):
            assert _ask_everything(iceberg, ["p"], start) == _ask_everything(duck, ["p"], start)
        assert both.iceberg.planned_reads > planned
        assert both.iceberg.listed_reads > listed  # the other rows still read their lists
    finally:
        _set_span_files(both.iceberg, "p", trace_id, list(row.span_files))


def test_an_iceberg_statistic_whose_listed_file_is_gone_plans_instead(both: Both) -> None:
    """A list naming a file maintenance removed (its grace period over): the question plans
    every row on fresh metadata and answers whole, not an error nor part of the spans."""
    duck, iceberg = both.analytics
    trace_id = both.extra[1].trace_hex
    row = both.iceberg.index.row("p", trace_id)
    assert row is not None
    assert row.span_files
    _set_span_files(
        both.iceberg, "p", trace_id, [*row.span_files, row.span_files[0].replace(".parquet", "-gone.parquet")]
    )
    try:
        planned = both.iceberg.planned_reads
        assert _ask_everything(iceberg, ["p"], 0) == _ask_everything(duck, ["p"], 0)
        assert both.iceberg.planned_reads > planned
    finally:
        _set_span_files(both.iceberg, "p", trace_id, list(row.span_files))


def test_a_call_is_its_agents_though_the_agent_started_days_before(both: Both) -> None:
    """The straddling trace: its calls started in the last minute, their agent and the tool
    they ran in two days before, in another day's files."""
    since = time.time_ns() - DAY_NS
    for analytics in both.analytics:
        [error] = [row for row in analytics.errors("p", since, 10) if row["name"] == "chat 2"]
        assert error["count"] == 1
    # By agent reads whole traces, those that started in the window (query.usage): one that
    # covers the straddling trace's start gives its calls to their agent, on both stores.
    covering = time.time_ns() - 3 * DAY_NS
    for store in (both.duck, both.iceberg):
        usage = TraceQueries(store).usage_by_agent("p", covering)["usage"]
        by_agent = {row["agent"]: (row["calls"], row["input_tokens"]) for row in usage}
        assert by_agent["planner"] == (2, 202)  # the call in the tool is the tool's (no agent named)


def test_the_assistants_tools_answer_from_the_iceberg_store(both: Both) -> None:
    context = tools.ToolContext("p", IcebergAnalytics(both.iceberg), TraceQueries(both.iceberg), tools.now_ns())
    usage = json.loads(tools.call(context, "token_usage", '{"group_by": "agent"}'))["usage"]
    assert {row["agent"] for row in usage} >= {"planner", "weather", "triage"}
    catalog = json.loads(tools.call(context, "list_agents_and_models", "{}"))
    assert {"model": "claude-sonnet-4-5", "traces": 1} in catalog["models"]


def _unordered(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A list row with its agents and models as sets: their order is no store's promise."""
    return (*row[:4], sorted(row[4]), sorted(row[5]), *row[6:])


def test_the_trace_and_session_index_are_the_same_on_both_stores(both: Both) -> None:
    """The two stores index a commit's spans by the same rules (store.sql.SPAN_TOTALS: the
    usage of a call recorded twice counts once, agents' sums apart) but merge them into
    the row each its own way: over the same spans, every list row, index entry and session
    must agree."""
    for project in both.projects:
        rows = {}
        for store in (both.duck, both.iceberg):
            listed, total = store.list_traces(project, TraceFilter(), 10_000, 0)
            rows[store] = (sorted(map(_unordered, listed)), total)
        assert rows[both.iceberg] == rows[both.duck]
        for row in rows[both.duck][0]:
            duck, iceberg = both.duck.trace(project, row[0]), both.iceberg.trace(project, row[0])
            assert duck is not None
            assert iceberg is not None
            same = {"first_batch": 0, "last_batch": 0, "agents": (), "models": ()}
            assert replace(iceberg, **same) == replace(duck, **same)
            assert (sorted(iceberg.agents), sorted(iceberg.models)) == (sorted(duck.agents), sorted(duck.models))
        duck_sessions, iceberg_sessions = (
            store.list_sessions(project, SessionFilter(), 10_000, 0) for store in (both.duck, both.iceberg)
        )
        assert [_session(s) for s in iceberg_sessions[0]] == [_session(s) for s in duck_sessions[0]]
        assert iceberg_sessions[1] == duck_sessions[1]


def _session(summary: SessionSummary) -> SessionSummary:
    return summary.model_copy(update={"agents": sorted(summary.agents), "models": sorted(summary.models)})


def test_a_failed_span_with_only_an_exception_event_is_listed_with_its_reason(store: SpanStore) -> None:
    """pydantic-ai v6's failed tool: status ERROR with no description, the reason only in its
    ``exception`` event. The error groups read it from the stored column, as the trajectory
    reads it from the payload; a failed tool is grouped by its tool's name."""
    trace = TraceBuilder(base_ns=time.time_ns() - 60 * SECOND_NS)
    exception = {"exception.type": "ModelRetry", "exception.message": "no answer for Paris, try again"}
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}
    trace.span("execute_tool get_weather", tool, error=True, events=[("exception", exception)])
    trace.span(
        "execute_tool get_time",
        {**tool, "gen_ai.tool.name": "get_time"},
        start_ms=20,
        error=True,
        events=[("exception", {"exception.type": "E"})],
    )
    trace.store_in(store)  # type: ignore[arg-type]
    groups = _analytics(store).errors("p", trace.base_ns, 10)
    assert sorted((row["name"], row["message"], row["count"]) for row in groups) == [
        ("get_time", "E", 1),
        ("get_weather", "no answer for Paris, try again", 1),
    ]
    assert [span.fields.status_message for span in store.trace_spans("p", trace.trace_hex)] == [
        "no answer for Paris, try again",
        "E",
    ]
    [largest] = _analytics(store).errors("p", trace.base_ns, 1)  # cut to one group: the totals are all of them
    assert (largest["groups_total"], largest["spans_total"]) == (2, 2)


def test_a_tool_whose_result_says_it_failed_is_a_failure_in_the_list_and_the_error_groups(store: SpanStore) -> None:
    """AgentScope ends a failed tool's span OK, its ``ToolResponse`` saying ``state: error``:
    stored failed for the result's text, on both stores, so the list's ``has_error`` and the
    error groups count it as the trajectory shows it; the trace whose tool answered does not."""
    failed, answered = (TraceBuilder(base_ns=time.time_ns() - 60 * SECOND_NS) for _ in range(2))
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}
    for trace, state in ((failed, "error"), (answered, "success")):
        response = {"content": [{"type": "text", "text": "weather service down"}], "state": state, "id": "c1"}
        trace.span("execute_tool get_weather", {**tool, "gen_ai.tool.call.result": json.dumps(response)})
        trace.spans[-1].status.code = 1  # OK, as AgentScope ends it
        trace.store_in(store)  # type: ignore[arg-type]
    groups = _analytics(store).errors("p", failed.base_ns, 10)
    assert [(row["name"], row["message"], row["count"], row["example_trace_ids"]) for row in groups] == [
        ("get_weather", "weather service down", 1, [failed.trace_hex])
    ]
    listed, _ = store.list_traces("p", TraceFilter(has_error=True), 10, 0)
    assert [row[0] for row in listed] == [failed.trace_hex]
    [call] = [m.tool_call for m in TraceQueries(store).trajectory("p", failed.trace_hex).messages if m.tool_call]
    assert call.error == "weather service down"


def _analytics(store: SpanStore) -> TraceAnalytics:
    return IcebergAnalytics(store) if isinstance(store, IcebergStore) else TraceAnalytics(store)  # type: ignore[arg-type]


def test_a_span_ended_ok_before_its_exception_is_a_failure_in_the_list_and_the_error_groups(store: SpanStore) -> None:
    """LangSmith's OTel export ends a failed tool's span OK and only then adds the exception:
    it returned nothing, so it failed, in the stored status (the list's ``has_error``, the
    error groups, the span view) as in the trajectory. Its sibling, which handled an
    exception and returned a result, did not fail; nor did its trace (the other one)."""
    failed, handled = (TraceBuilder(base_ns=time.time_ns() - 60 * SECOND_NS) for _ in range(2))
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}
    exception = [("exception", {"exception.type": "Error", "exception.message": "weather service down"})]
    for trace, result in ((failed, {}), (handled, {"gen_ai.tool.call.result": "18C"})):
        trace.span("get_weather", {**tool, **result}, events=exception)
        trace.spans[-1].status.code = 1  # OK, as exported
        trace.store_in(store)  # type: ignore[arg-type]
    groups = _analytics(store).errors("p", failed.base_ns, 10)
    assert [(row["name"], row["message"], row["count"]) for row in groups] == [
        ("get_weather", "weather service down", 1)
    ]
    assert groups[0]["example_trace_ids"] == [failed.trace_hex]
    listed, _ = store.list_traces("p", TraceFilter(has_error=True), 10, 0)
    assert [row[0] for row in listed] == [failed.trace_hex]
    views = TraceQueries(store).spans("p", failed.trace_hex).spans
    assert [(view.status_code, view.status_message) for view in views] == [(2, "weather service down")]
    [call] = [m.tool_call for m in TraceQueries(store).trajectory("p", failed.trace_hex).messages if m.tool_call]
    assert call.error == "weather service down"
