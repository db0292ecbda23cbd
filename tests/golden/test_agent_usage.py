"""On every sample trace, the assistant's "tokens by agent" (the chat tool the analyst calls)
equals the trajectory's assistant entries summed per agent: one attribution rule
(``spantree.attribution``) for both, whatever framework wrote the trace."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.samples import SAMPLES
from tracechat.chat import tools
from tracechat.ingest import retime
from tracechat.ingest.flatten import flatten_logs, flatten_traces
from tracechat.ingest.loader import decode_request, find_request_files
from tracechat.model.summaries import TraceFilter
from tracechat.query.service import TraceQueries
from tracechat.store.analytics import TraceAnalytics
from tracechat.store.duck import DuckDBStore

CASES = sorted(p for p in SAMPLES.iterdir() if (p / "requests").is_dir()) if SAMPLES.is_dir() else []


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    """Every case in a project of its own, moved in time to end a minute ago (the tool's
    window is counted back from now)."""
    opened = DuckDBStore(tmp_path_factory.mktemp("usage") / "tracechat.duckdb")
    end_at = time.time_ns() - 60 * 10**9
    for case in CASES:
        requests = [decode_request(file) for file in find_request_files([case / "requests"])]
        latest = retime.latest_ns(requests)
        for request in requests:
            retime.shift(request, end_at - latest if latest is not None else 0)
            flatten = flatten_traces if isinstance(request, ExportTraceServiceRequest) else flatten_logs
            opened.submit(flatten(request, lambda resource, project=case.name: project).batch).result()  # type: ignore[arg-type]
    yield opened
    opened.close()


def _trajectory_sums(queries: TraceQueries, project: str) -> dict[str, tuple[int, int, int]]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for trace in queries.list_traces(project, TraceFilter(since_ns=0), 500, 0).traces:
        for message in queries.trajectory(project, trace.trace_id).messages:
            entry = message.assistant_message
            if entry is None or message.agent_name is None or (entry.input_tokens, entry.output_tokens) == (None, None):
                continue
            row = sums[message.agent_name]
            row[0] += 1
            row[1] += entry.input_tokens or 0
            row[2] += entry.output_tokens or 0
    return {agent: (calls, tin, tout) for agent, (calls, tin, tout) in sums.items()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tokens_by_agent_are_the_trajectorys_assistant_entries_per_agent(case: Path, store: DuckDBStore) -> None:
    queries = TraceQueries(store)
    context = tools.ToolContext(case.name, TraceAnalytics(store), queries, tools.now_ns())
    answer = json.loads(tools.call(context, "token_usage", '{"group_by": "agent", "hours": 8760}'))
    assert answer["complete"]
    got = {row["agent"]: (row["calls"], row["input_tokens"] or 0, row["output_tokens"] or 0) for row in answer["usage"]}
    assert got == _trajectory_sums(queries, case.name)
