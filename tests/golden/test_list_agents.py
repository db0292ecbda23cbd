"""On every sample trace, the trace list names the agents its trajectory names: the list's
``agents`` (and with them ``?agent=``, the session index and the assistant's agent counts)
are decided at ingest by the trajectory's own rule (``ingest.agents`` over
``spantree.attribution.shown_agents``), request by request, as each sample's requests arrive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.samples import SAMPLES
from tracechat.ingest.flatten import flatten_logs, flatten_traces
from tracechat.ingest.loader import decode_request, find_request_files
from tracechat.model.summaries import TraceFilter
from tracechat.query.service import TraceQueries
from tracechat.store.analytics import TraceAnalytics
from tracechat.store.duck import DuckDBStore

CASES = sorted(p for p in SAMPLES.iterdir() if (p / "requests").is_dir()) if SAMPLES.is_dir() else []


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    """Every case in a project of its own, one commit per captured request."""
    opened = DuckDBStore(tmp_path_factory.mktemp("agents") / "tracechat.duckdb")
    for case in CASES:
        for file in find_request_files([case / "requests"]):
            request = decode_request(file)
            flatten = flatten_traces if isinstance(request, ExportTraceServiceRequest) else flatten_logs
            opened.submit(flatten(request, lambda resource, project=case.name: project).batch).result()  # type: ignore[arg-type]
    yield opened
    opened.close()


def trajectory_agents(queries: TraceQueries, project: str, trace_id: str) -> set[str]:
    """The agents a trajectory names: those its agents start as and its model calls speak for."""
    return {
        m.agent_name
        for m in queries.trajectory(project, trace_id).messages
        if m.agent_name is not None and m.type in ("agent_start", "assistant_message")
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_lists_agents_are_the_trajectorys(case: Path, store: DuckDBStore) -> None:
    queries = TraceQueries(store)
    traces = queries.list_traces(case.name, TraceFilter(since_ns=0), 500, 0).traces
    assert traces
    counts: dict[str, int] = {}
    for trace in traces:
        named = trajectory_agents(queries, case.name, trace.trace_id)
        assert set(trace.agents) == named, trace.trace_id
        for agent in named:
            counts[agent] = counts.get(agent, 0) + 1
            found = queries.list_traces(case.name, TraceFilter(since_ns=0, agent_name=agent), 500, 0).traces
            assert trace.trace_id in {t.trace_id for t in found}
    catalog = TraceAnalytics(store).catalog(case.name, 0)
    assert {row["agent"]: row["traces"] for row in catalog["agents"]} == counts
