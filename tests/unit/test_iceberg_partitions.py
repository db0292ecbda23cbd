"""How a commit's rows are split into the Iceberg tables' partitions (``store.iceberg.tables``):
one file is written per partition, so a split finer than the partitions costs a file each."""

from __future__ import annotations

from tests.traces import TraceBuilder
from tracechat.ingest.flatten import flatten_logs
from tracechat.store.iceberg import tables
from tracechat.store.staging import stage


def test_log_records_of_no_trace_are_one_partition_not_one_each() -> None:
    """Their trace-id bucket is null; null equals null in a partition (before, each such
    record was a partition of its own, and a commit of 1,000 wrote 1,000 files)."""
    orphan = TraceBuilder(trace_id=b"")
    for number in range(50):
        orphan.log(None, "app.tick", f"tick {number}")
    traced = TraceBuilder()
    root = traced.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent"})
    for number in range(3):
        traced.log(root, "gen_ai.user.message", {"content": f"question {number}"})
    request = orphan.logs_request()
    request.resource_logs.extend(traced.logs_request().resource_logs)
    staged = stage(flatten_logs(request, lambda resource: "p").batch)
    assert staged.logs is not None

    parts = tables.partitions(tables.log_rows(staged.logs, staged.scopes, "batch"))

    assert sorted(part.num_rows for part in parts) == [3, 50]
    of_no_trace = next(part for part in parts if part.num_rows == 50)
    assert of_no_trace.column("trace_id").null_count == 50
