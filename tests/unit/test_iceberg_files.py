"""The Parquet files of one commit (``store.iceberg.files.write_data_files``): one per
partition, each column under the codec chosen for it, every row read back as written."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.transforms import BucketTransform, DayTransform
from pyiceberg.types import StringType, TimestampType

from tests.traces import TraceBuilder
from tracechat.ingest.flatten import flatten_traces
from tracechat.store.iceberg import tables
from tracechat.store.iceberg.files import write_data_files
from tracechat.store.staging import stage


def test_each_file_holds_its_partition_under_each_columns_codec(tmp_path: Path) -> None:
    """One file per partition, its key its rows' own (the keys are computed for all the
    parts at once); zstd where it shrinks a column below snappy, snappy for the columns of
    a byte or two a row, where Arrow's zstd cost a fixed ~18 µs a page for nothing."""
    catalog = SqlCatalog("t", uri=f"sqlite:///{tmp_path / 'catalog.db'}", warehouse=(tmp_path / "wh").as_uri())
    catalog.create_namespace(tables.NAMESPACE)
    table = catalog.create_table(
        tables.SPANS, tables.SPAN_SCHEMA, partition_spec=tables.SPAN_SPEC, properties=tables.TABLE_PROPERTIES
    )
    request = TraceBuilder().trace_request()
    for number in range(8):
        builder = TraceBuilder()
        root = builder.span("invoke_agent", {"gen_ai.operation.name": "invoke_agent"})
        builder.span(f"chat {number}", {"gen_ai.operation.name": "chat"}, parent=root)
        request.resource_spans.extend(builder.trace_request().resource_spans)
    staged = stage(flatten_traces(request, lambda resource: "p").batch)
    assert staged.spans is not None
    rows = tables.span_rows(staged.spans, staged.scopes, "batch")

    written = write_data_files(table, rows)

    assert written.files
    read = 0
    partitions: set[tuple[object, ...]] = set()
    for data_file in written.files:
        path = data_file.file_path.removeprefix("file://")
        metadata = pq.read_metadata(path)
        codecs = {
            metadata.row_group(0).column(i).path_in_schema: metadata.row_group(0).column(i).compression
            for i in range(metadata.num_columns)
        }
        for name in ("raw", "span_id", "trace_id", "start_ns"):
            assert codecs[name] == "ZSTD", name
        for name in ("kind", "status_code", "project", "batch", "resource"):
            assert codecs[name] == "SNAPPY", name
        held = pq.read_table(path)
        read += held.num_rows
        assert data_file.record_count == metadata.num_rows
        # the file's partition is its rows' own: project, day, trace-id bucket
        days = DayTransform().pyarrow_transform(TimestampType())(held.column("start_time")).to_pylist()
        buckets = BucketTransform(tables.TRACE_BUCKETS).pyarrow_transform(StringType())(held.column("trace_id"))
        partition = tuple(data_file.partition)
        keys = zip(held.column("project").to_pylist(), days, buckets.to_pylist(), strict=True)
        assert set(keys) == {partition}
        partitions.add(partition)
    assert read == rows.num_rows
    assert len(partitions) == len(written.files) > 1  # the traces fell into several buckets
