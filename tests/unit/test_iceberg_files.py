"""The Parquet files of one commit (``store.iceberg.files.write_data_files``): one per
partition, each column under the codec chosen for it, every row read back as written."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog

from tests.traces import TraceBuilder
from tracechat.ingest.flatten import flatten_traces
from tracechat.store.iceberg import tables
from tracechat.store.iceberg.files import write_data_files
from tracechat.store.staging import stage


def test_payloads_ids_and_times_are_zstd_the_small_columns_snappy(tmp_path: Path) -> None:
    """zstd where it shrinks a column below snappy; snappy for the columns of a byte or two a
    row, where Arrow's zstd cost a fixed ~18 µs a page for nothing."""
    catalog = SqlCatalog("t", uri=f"sqlite:///{tmp_path / 'catalog.db'}", warehouse=(tmp_path / "wh").as_uri())
    catalog.create_namespace(tables.NAMESPACE)
    table = catalog.create_table(
        tables.SPANS, tables.SPAN_SCHEMA, partition_spec=tables.SPAN_SPEC, properties=tables.TABLE_PROPERTIES
    )
    request = TraceBuilder().trace_request()
    for number in range(4):
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
        read += pq.read_table(path).num_rows
        assert data_file.record_count == metadata.num_rows
    assert read == rows.num_rows
