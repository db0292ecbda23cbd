"""The Iceberg tables: their schemas, partitioning and sort order, and how staged ingest rows
become their Arrow rows.

Both tables are partitioned by project, day and a bucket of the trace id, so a trace is read
from the files of one bucket of the days it spans and no other trace's payload is touched
outside them; rows are sorted by trace id within a file (pyiceberg writes no sort order
itself: ``span_rows`` sorts), which the table's declared sort order tells other engines.
A span row carries its resource and scope inline (dictionary-coded, a handful of distinct
values per file), so the tables are whole for an engine that is not tracechat.
"""

from __future__ import annotations

import hashlib
from itertools import pairwise
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table.sorting import SortField, SortOrder
from pyiceberg.transforms import BucketTransform, DayTransform, IdentityTransform
from pyiceberg.types import (
    BinaryType,
    DoubleType,
    IntegerType,
    LongType,
    NestedField,
    StringType,
    TimestampType,
)

NAMESPACE: Final = "tracechat"
SPANS: Final = f"{NAMESPACE}.spans"
LOGS: Final = f"{NAMESPACE}.logs"
TRACE_BUCKETS: Final = 4
"""Buckets of trace ids per project and day in the tables this version creates: a read that
plans opens only its bucket's files (a quarter of the day's) and one row group of each
(files are sorted). A commit writes a file per bucket its spans fall in, and each file
costs the Parquet threads its writer, statistics and ``DataFile`` whatever its rows: at 16
buckets (the tables of earlier versions, which keep theirs: ``trace_buckets``) they spent
about twice the CPU a span (docs/benchmarks.md). Reads of a listed trace do not plan."""
BATCH_PROPERTY: Final = "tracechat.batch"
"""The snapshot summary property holding the id of the group commit that wrote it: a
commit whose outcome was unknown is found by it instead of being written twice."""

TABLE_PROPERTIES: Final = {
    "write.parquet.compression-codec": "zstd",
    # Small row groups: a trace's rows are a few consecutive ones in a sorted file, and a
    # reader skips every row group whose trace id range does not hold it (a commit's file
    # of a bucket holds ~2,000 spans at saturation: a read decompresses about half of it).
    "write.parquet.row-group-limit": "1024",
    "format-version": "2",
    # pyiceberg re-bases a commit another writer beat by itself; receivers beat each other
    # all the time, so it retries sooner than its default 100 ms and more often.
    "commit.retry.num-retries": "10",
    "commit.retry.min-wait-ms": "10",
    "commit.retry.max-wait-ms": "500",
    # Rows are only ever appended; the one rewrite, compaction (``maintain``), replaces named
    # files, which must still exist, and new appends beside it are no conflict. (pyiceberg's
    # default, serializable, refuses a rewrite while any receiver appends: never, under load.)
    "write.delete.isolation-level": "snapshot",
}


def _string(field_id: int, name: str, *, required: bool = False) -> NestedField:
    return NestedField(field_id, name, StringType(), required=required)


SPAN_SCHEMA: Final = Schema(
    _string(1, "project", required=True),
    _string(2, "trace_id", required=True),
    _string(3, "span_id", required=True),
    _string(4, "parent_span_id"),
    _string(5, "name", required=True),
    NestedField(6, "kind", IntegerType(), required=True),
    NestedField(7, "start_ns", LongType(), required=True),
    NestedField(8, "end_ns", LongType(), required=True),
    NestedField(9, "start_time", TimestampType(), required=True),
    NestedField(10, "status_code", IntegerType(), required=True),
    _string(11, "status_message"),
    _string(12, "operation"),
    _string(13, "agent_name"),
    _string(14, "request_model"),
    _string(15, "response_model"),
    _string(16, "provider"),
    _string(17, "tool_name"),
    _string(18, "conversation_id"),
    NestedField(19, "input_tokens", LongType()),
    NestedField(20, "output_tokens", LongType()),
    NestedField(21, "cost", DoubleType()),
    NestedField(22, "raw", BinaryType(), required=True),
    NestedField(23, "resource", BinaryType(), required=True),
    NestedField(24, "scope", BinaryType(), required=True),
    _string(25, "batch", required=True),
    _string(26, "response_id"),
)
"""``response_id`` (26) came later: a table made before has it added on open
(``store.IcebergStore``), and its older files have none (read as null)."""

LOG_SCHEMA: Final = Schema(
    _string(1, "project", required=True),
    _string(2, "trace_id"),
    _string(3, "span_id"),
    NestedField(4, "time_ns", LongType(), required=True),
    NestedField(5, "observed_ns", LongType(), required=True),
    NestedField(6, "time", TimestampType(), required=True),
    NestedField(7, "severity_number", IntegerType(), required=True),
    _string(8, "severity_text"),
    _string(9, "event_name"),
    NestedField(10, "raw", BinaryType(), required=True),
    NestedField(11, "resource", BinaryType(), required=True),
    NestedField(12, "scope", BinaryType(), required=True),
    _string(13, "batch", required=True),
)


def _spec(time_field: int) -> PartitionSpec:
    return PartitionSpec(
        PartitionField(1, 1000, IdentityTransform(), "project"),
        PartitionField(time_field, 1001, DayTransform(), "day"),
        PartitionField(2, 1002, BucketTransform(TRACE_BUCKETS), "trace_bucket"),
    )


SPAN_SPEC: Final = _spec(9)
LOG_SPEC: Final = _spec(6)
SPAN_SORT: Final = SortOrder(SortField(source_id=2, transform=IdentityTransform()))
LOG_SORT: Final = SortOrder(SortField(source_id=2, transform=IdentityTransform()))


def _arrow(schema: Schema) -> pa.Schema:
    """The table's Arrow schema with the plain string and binary types ingest stages in
    (pyiceberg's own uses the large ones; both map to the same Iceberg types)."""
    small = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    fields = schema.as_arrow()
    return pa.schema([pa.field(f.name, small.get(f.type, f.type), f.nullable, f.metadata) for f in fields])


SPAN_ARROW: Final = _arrow(SPAN_SCHEMA)
LOG_ARROW: Final = _arrow(LOG_SCHEMA)


def _micros(nanos: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.divide(nanos, 1000).cast(pa.timestamp("us"))


def _inline_scopes(rows: pa.Table, scopes: pa.Table) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Each row's resource and scope bytes, looked up by its scope id."""
    position = pc.index_in(rows.column("scope_id"), value_set=scopes.column("scope_id"))
    if position.null_count:
        raise ValueError("a staged row names a scope the batch does not hold")
    return scopes.column("resource").take(position), scopes.column("scope").take(position)


def unique_rows(rows: pa.Table, keys: list[str]) -> pa.Table:
    """The first row of each distinct ``keys`` (an OTLP retry inside one commit)."""
    numbered = rows.append_column("_row", pa.array(range(rows.num_rows), pa.int64()))
    first = numbered.group_by(keys, use_threads=False).aggregate([("_row", "min")]).column("_row_min")
    if len(first) == rows.num_rows:
        return rows
    return rows.take(first)


_PARTITION = "_partition"


def trace_buckets(spec: PartitionSpec) -> int:
    """The trace-id buckets of a table's partition spec (``TRACE_BUCKETS``, or 16 for a
    table an earlier version created): rows are sorted into the table's own."""
    for field in spec.fields:
        if isinstance(field.transform, BucketTransform):
            return field.transform.num_buckets
    raise ValueError(f"the partition spec has no trace-id bucket: {spec}")


def _in_partitions(rows: pa.Table, time_column: str, order_column: str, buckets: int) -> pa.Table:
    """``rows`` sorted by partition (project, day, trace-id bucket of ``buckets``), then
    trace id and time, with the partition's ordinal in a column ``partitions`` takes off again."""
    day = DayTransform().pyarrow_transform(TimestampType())(rows.column(time_column))
    bucket = BucketTransform(buckets).pyarrow_transform(StringType())(rows.column("trace_id"))
    keyed = rows.append_column("_day", day).append_column("_bucket", bucket)
    order = ["project", "_day", "_bucket", "trace_id", order_column]
    keyed = keyed.sort_by([(name, "ascending") for name in order])
    return keyed.drop_columns(["_day", "_bucket"]).append_column(
        _PARTITION, _ordinals(keyed.select(["project", "_day", "_bucket"]))
    )


def _ordinals(keys: pa.Table) -> pa.Array:
    """For rows sorted by ``keys``: the number of the distinct key each row has (0, 0, 1, …).
    Null equals null here, as in a partition: the log records of no trace (a null bucket)
    are one partition, not one each (a file per record made a commit of 1,000 such records
    take seconds)."""
    if not keys.num_rows:
        return pa.array([], pa.int64())
    changed = None
    for column in keys.columns:
        values = column.combine_chunks()
        after, before = values.slice(1), values.slice(0, len(values) - 1)
        both_null = pc.and_(pc.is_null(after), pc.is_null(before))
        step = pc.if_else(both_null, False, pc.fill_null(pc.not_equal(after, before), True))
        changed = step if changed is None else pc.or_(changed, step)
    assert changed is not None
    starts = pc.cumulative_sum(pc.cast(changed, pa.int64()))
    return pa.concat_arrays([pa.array([0], pa.int64()), starts])


def partitions(rows: pa.Table) -> list[pa.Table]:
    """The rows of ``span_rows`` or ``log_rows`` split by partition (slices, no copies), the
    helper column dropped: pyiceberg, given the whole table, filters it once per partition."""
    ordinals = rows.column(_PARTITION).combine_chunks()
    rows = rows.drop_columns([_PARTITION])
    count = len(ordinals)
    if not count:
        return []
    changes = pc.indices_nonzero(pc.not_equal(ordinals.slice(1), ordinals.slice(0, count - 1))).to_pylist()
    bounds = [0, *(i + 1 for i in changes), count]
    return [rows.slice(start, end - start) for start, end in pairwise(bounds)]


def span_rows(spans: pa.Table, scopes: pa.Table, batch: str, *, buckets: int = TRACE_BUCKETS) -> pa.Table:
    """The spans table's rows for staged spans (``store.staging.SPAN_SCHEMA``): each span
    once, sorted by partition (``buckets``: the table's, ``trace_buckets``), trace id and
    start (``partitions`` splits them)."""
    spans = unique_rows(spans, ["project", "trace_id", "span_id"])
    resource, scope = _inline_scopes(spans, scopes)
    columns = {
        "project": spans.column("project"),
        "trace_id": spans.column("trace_id"),
        "span_id": spans.column("span_id"),
        "parent_span_id": spans.column("parent_span_id"),
        "name": spans.column("name"),
        "kind": spans.column("kind").cast(pa.int32()),
        "start_ns": spans.column("start_ns"),
        "end_ns": spans.column("end_ns"),
        "start_time": _micros(spans.column("start_ns")),
        "status_code": spans.column("status_code").cast(pa.int32()),
        **{
            name: spans.column(name)
            for name in (
                "status_message",
                "operation",
                "agent_name",
                "request_model",
                "response_model",
                "provider",
                "tool_name",
                "conversation_id",
                "response_id",
                "input_tokens",
                "output_tokens",
                "cost",
                "raw",
            )
        },
        "resource": resource,
        "scope": scope,
        "batch": pa.array([batch] * spans.num_rows, pa.string()),
    }
    table = pa.Table.from_arrays([columns[f.name] for f in SPAN_ARROW], schema=SPAN_ARROW)
    return _in_partitions(table, "start_time", "start_ns", buckets)


def log_rows(logs: pa.Table, scopes: pa.Table, batch: str, *, buckets: int = TRACE_BUCKETS) -> pa.Table:
    """The logs table's rows for staged log records, sorted by partition (``buckets``: the
    table's), trace id and time (``partitions`` splits them). A record without a time is
    filed under the day it was observed."""
    resource, scope = _inline_scopes(logs, scopes)
    time_ns = pc.if_else(pc.equal(logs.column("time_ns"), 0), logs.column("observed_ns"), logs.column("time_ns"))
    columns = {
        **{name: logs.column(name) for name in ("project", "trace_id", "span_id", "time_ns", "observed_ns")},
        "time": _micros(time_ns),
        "severity_number": logs.column("severity_number"),
        **{name: logs.column(name) for name in ("severity_text", "event_name", "raw")},
        "resource": resource,
        "scope": scope,
        "batch": pa.array([batch] * logs.num_rows, pa.string()),
    }
    table = pa.Table.from_arrays([columns[f.name] for f in LOG_ARROW], schema=LOG_ARROW)
    return _in_partitions(table, "time", "time_ns", buckets)


def log_ids(resource: pa.ChunkedArray, scope: pa.ChunkedArray, raw: pa.ChunkedArray) -> list[str]:
    """Each log record's identity (OTLP gives it none): a digest of its resource, its scope and
    its own protobuf encoding, which holds every field of it (trace and span id, times,
    severity, body, attributes, flags, event name). An exporter's retry sends the same bytes;
    the DuckDB store compares the same (``store.sql.LOG_IDENTITY``)."""
    ids: list[str] = []
    for parts in zip(resource.to_pylist(), scope.to_pylist(), raw.to_pylist(), strict=True):
        digest = hashlib.blake2b(digest_size=16)
        for part in parts:
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(part)
        ids.append(digest.hexdigest())
    return ids


def row_log_ids(rows: pa.Table) -> list[str]:
    """``log_ids`` of the logs table's rows (``log_rows``, or rows read back)."""
    return log_ids(rows.column("resource"), rows.column("scope"), rows.column("raw"))


def staged_log_ids(logs: pa.Table, scopes: pa.Table) -> list[str]:
    """``log_ids`` of staged log records, their resource and scope looked up by scope id."""
    resource, scope = _inline_scopes(logs, scopes)
    return log_ids(resource, scope, logs.column("raw"))


def without_rows(rows: pa.Table, keep: list[bool]) -> pa.Table:
    return rows if all(keep) else rows.filter(pa.array(keep, pa.bool_()))
