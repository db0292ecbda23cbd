"""Parquet files for one commit, written in parallel, one per partition.

pyiceberg's own path (``_dataframe_to_data_files``) finds the partitions of a table by
filtering it once per partition it holds; rows here come sorted by partition already
(``tables.span_rows``, ``tables.log_rows``), so each partition is a zero-copy slice and only
its key is computed, from its first row, with the table's own transforms.

Each file is then written as pyiceberg's ``write_file`` writes it (the table's Parquet
properties, field ids in the file's schema, its statistics read back into a ``DataFile``),
minus the per-file work that depends on the table's schema only: pyiceberg converts every
batch to the requested schema and plans the statistics columns again for every file, pure
Python visits of the schema that cost a commit of 17 small files more than their encoding.
Here the rows are in the table's Arrow schema already (``tables.SPAN_ARROW``), so the field
ids are attached without a copy, and the plans are made once per schema.

The files each trace's rows went to are returned beside them (``Written.traces``): the
trace index records them in the commit's transaction, so a read opens those files without
planning (``traceindex``).
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.io.pyarrow import (
    PYARROW_PARQUET_FIELD_ID_KEY,
    StatisticsCollector,
    _get_parquet_writer_kwargs,
    compute_statistics_plan,
    data_file_statistics_from_parquet_metadata,
    parquet_path_to_id_mapping,
)
from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
from pyiceberg.partitioning import PartitionFieldValue, PartitionKey
from pyiceberg.schema import Schema
from pyiceberg.table import Table, TableProperties
from pyiceberg.table.locations import load_location_provider
from pyiceberg.table.metadata import TableMetadata
from pyiceberg.utils.properties import property_as_int

from tracechat.store.iceberg import tables

_UNIQUE = frozenset({"span_id", "raw", "start_ns", "end_ns", "start_time", "time_ns", "observed_ns", "time"})
"""Columns whose values hardly repeat in a file: no dictionary is tried for them."""
_NO_STATISTICS = frozenset({"raw"})
"""Columns Parquet keeps no min/max for: a span's payload, kilobytes long, bounded by no
reader (Iceberg truncates the bounds it records to 16 bytes anyway) — 9% of a file."""
_ZSTD_PAYS = frozenset(
    {"trace_id", "span_id", "parent_span_id", "response_id", "start_ns", "end_ns", "start_time"}
    | {"time_ns", "observed_ns", "time", "raw"}
)
"""The columns zstd (the tables' codec) shrinks below snappy: payloads, ids and times. The
others, a byte or two a row once dictionary- or RLE-coded, are as small with snappy, and
Arrow's zstd costs ~18 µs a call whatever the size (a context made each time): with two
calls per column (data and dictionary page), 26 columns and ~17 files a commit, that was
two thirds of writing the files (in-process, a commit's 16 files: 10.4 µs/span all zstd,
~6 so)."""

_WRITERS = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="tracechat-parquet")
"""Encoding and writing release the GIL: a commit's files are written side by side, by no
more threads than cores. Each file's Python parts (partition key, statistics, ``DataFile``)
hold the GIL, and threads beyond the cores only wait for it: on 2 cores, 4 writers cost a
commit 70 µs of CPU per span where 2 cost 62–64."""


def _keys(table: Table, parts: list[pa.Table]) -> list[PartitionKey]:
    """Each part's partition key, from its first row: each of the spec's transforms applied
    once, to the first rows of all the parts together (per part, the transforms' pyarrow
    calls cost the Parquet threads ~1.5 µs/span)."""
    metadata = table.metadata
    spec, schema = metadata.spec(), metadata.schema()
    columns = []
    for field in spec.fields:
        name = schema.find_column_name(field.source_id)
        if name is None:
            raise ValueError(f"the partition field {field.name} has no source column")
        source = schema.find_field(field.source_id)
        column_type = parts[0].schema.field(name).type
        firsts = pa.chunked_array([c for part in parts for c in part.column(name).slice(0, 1).chunks], column_type)
        columns.append((field, field.transform.pyarrow_transform(source.field_type)(firsts).to_pylist()))
    return [
        PartitionKey(
            field_values=[PartitionFieldValue(field=field, value=values[number]) for field, values in columns],
            partition_spec=spec,
            schema=schema,
        )
        for number in range(len(parts))
    ]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What writing a file of one schema under one set of table properties needs, made once."""

    writer_kwargs: dict[str, Any]
    row_group_rows: int
    stats_columns: dict[int, StatisticsCollector]
    column_ids: dict[str, int]


_PLANS: dict[tuple[str, int, tuple[tuple[str, str], ...]], _Plan] = {}


def _plan(metadata: TableMetadata) -> _Plan:
    """The plan of the table's current schema and properties (made at its first file)."""
    key = (str(metadata.table_uuid), metadata.current_schema_id, tuple(sorted(metadata.properties.items())))
    found = _PLANS.get(key)
    if found is None:
        found = _PLANS[key] = _make_plan(metadata.schema(), metadata.properties)
    return found


def _make_plan(schema: Schema, props: dict[str, str]) -> _Plan:
    row_group_rows = property_as_int(
        props, TableProperties.PARQUET_ROW_GROUP_LIMIT, TableProperties.PARQUET_ROW_GROUP_LIMIT_DEFAULT
    )
    return _Plan(
        writer_kwargs=_codecs(_get_parquet_writer_kwargs(props), [field.name for field in schema.fields]),
        row_group_rows=cast(int, row_group_rows),
        # No metrics at all for the columns written without Parquet statistics: pyiceberg
        # logged a warning per such column, row group and file otherwise (the receiver's
        # logging lock and stderr took ~4% of its samples), and dropped their counts anyway.
        stats_columns=compute_statistics_plan(
            schema,
            {**props, **{f"{TableProperties.METRICS_MODE_COLUMN_CONF_PREFIX}.{n}": "none" for n in _NO_STATISTICS}},
        ),
        column_ids=parquet_path_to_id_mapping(schema),
    )


def _codecs(kwargs: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """``kwargs`` with zstd kept to the columns it pays for (``_ZSTD_PAYS``), snappy for the rest."""
    if kwargs.get("compression") != "zstd":
        return kwargs
    codecs = {name: "zstd" if name in _ZSTD_PAYS else "snappy" for name in columns}
    level = kwargs.get("compression_level")
    levels = None if level is None else {name: level for name, codec in codecs.items() if codec == "zstd"}
    return {**kwargs, "compression": codecs, "compression_level": levels}


def _with_field_ids(rows: pa.Table, schema: Schema) -> pa.Table:
    """``rows`` with each column's Iceberg field id in its metadata (no data copied). A
    column the table does not have is left out: a table an older tracechat made, before
    the field was added (the next store to open the table adds it)."""
    known = {field.name for field in schema.fields}
    fields, columns = [], []
    for field, column in zip(rows.schema, rows.columns, strict=True):
        if field.name in known:
            field_id = schema.find_field(field.name).field_id
            fields.append(field.with_metadata({PYARROW_PARQUET_FIELD_ID_KEY: str(field_id).encode()}))
            columns.append(column)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


TraceKey = tuple[str, str]
"""(project, trace id)."""


@dataclass(frozen=True, slots=True)
class Written:
    files: list[DataFile]
    """To commit."""
    traces: dict[TraceKey, list[str]]
    """The locations of the files holding each trace's rows (logs without a trace: none)."""


def trace_keys(rows: pa.Table) -> list[TraceKey]:
    """The (project, trace id) pairs of ``rows``, each once (a null trace id left out)."""
    pairs = rows.select(["project", "trace_id"]).group_by(["project", "trace_id"]).aggregate([])
    projects, traces = pairs.column("project").to_pylist(), pairs.column("trace_id").to_pylist()
    return [(p, t) for p, t in zip(projects, traces, strict=True) if t is not None]


def located(files: list[tuple[str, list[TraceKey]]]) -> dict[TraceKey, list[str]]:
    """Per trace, the files (location, the traces in it) holding its rows."""
    found: dict[TraceKey, list[str]] = {}
    for location, keys in files:
        for key in keys:
            found.setdefault(key, []).append(location)
    return found


def write_data_files(table: Table, rows: pa.Table) -> Written:
    """Write ``rows`` (sorted by partition, with ``tables.partitions``' helper column) as
    one file per partition; the files' ``DataFile``s, to commit, and which traces each holds."""
    metadata = table.metadata
    schema = metadata.schema()
    plan = _plan(metadata)
    locations = load_location_provider(table_location=metadata.location, table_properties=metadata.properties)
    write_uuid = uuid.uuid4()

    def write(number: int, part: pa.Table, key: PartitionKey) -> DataFile:
        path = locations.new_data_location(data_file_name=f"00000-{number}-{write_uuid}.parquet", partition_key=key)
        output = table.io.new_output(path)
        with output.create(overwrite=True) as stream:
            writer = pq.ParquetWriter(
                stream,
                schema=part.schema,
                store_decimal_as_integer=True,
                use_dictionary=[name for name in part.column_names if name not in _UNIQUE],
                write_statistics=[name for name in part.column_names if name not in _NO_STATISTICS],
                **plan.writer_kwargs,
            )
            writer.write(part, row_group_size=plan.row_group_rows)
            writer.close()
        statistics = data_file_statistics_from_parquet_metadata(
            parquet_metadata=writer.writer.metadata,
            stats_columns=plan.stats_columns,
            parquet_column_mapping=plan.column_ids,
        )
        return DataFile.from_args(
            content=DataFileContent.DATA,
            file_path=path,
            file_format=FileFormat.PARQUET,
            partition=key.partition,
            file_size_in_bytes=len(output),
            sort_order_id=None,
            spec_id=metadata.default_spec_id,
            equality_ids=None,
            key_metadata=None,
            **statistics.to_serialized_dict(),
        )

    parts = [_with_field_ids(part, schema) for part in tables.partitions(rows)]
    keys = _keys(table, parts) if parts else []
    files = list(_WRITERS.map(write, range(len(parts)), parts, keys))
    traces = located([(f.file_path, trace_keys(part)) for f, part in zip(files, parts, strict=True)])
    return Written(files, traces)
