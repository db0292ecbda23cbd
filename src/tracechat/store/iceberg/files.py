"""Parquet files for one commit, written in parallel, one per partition.

pyiceberg's own path (``_dataframe_to_data_files``) finds the partitions of a table by
filtering it once per partition it holds; rows here come sorted by partition already
(``tables.span_rows``, ``tables.log_rows``), so each partition is a zero-copy slice and only
its key is computed, from its first row, with the table's own transforms. pyiceberg then
writes the files (its thread pool) and reads their statistics back into ``DataFile``s.
"""

from __future__ import annotations

import uuid

import pyarrow as pa
from pyiceberg.io.pyarrow import write_file
from pyiceberg.manifest import DataFile
from pyiceberg.partitioning import PartitionFieldValue, PartitionKey
from pyiceberg.table import Table, WriteTask

from tracechat.store.iceberg import tables


def _key(table: Table, part: pa.Table) -> PartitionKey:
    metadata = table.metadata
    spec, schema = metadata.spec(), metadata.schema()
    values = []
    for field in spec.fields:
        name = schema.find_column_name(field.source_id)
        if name is None:
            raise ValueError(f"the partition field {field.name} has no source column")
        source = schema.find_field(field.source_id)
        first = part.column(name).slice(0, 1)
        value = field.transform.pyarrow_transform(source.field_type)(first).to_pylist()[0]
        values.append(PartitionFieldValue(field=field, value=value))
    return PartitionKey(field_values=values, partition_spec=spec, schema=schema)


def write_data_files(table: Table, rows: pa.Table) -> list[DataFile]:
    """Write ``rows`` (sorted by partition, with ``tables.partitions``' helper column) as
    one file per partition; the files' ``DataFile``s, to commit."""
    write_uuid = uuid.uuid4()
    schema = table.metadata.schema()
    tasks = [
        WriteTask(
            write_uuid=write_uuid,
            task_id=number,
            schema=schema,
            record_batches=part.to_batches(),
            partition_key=_key(table, part),
        )
        for number, part in enumerate(tables.partitions(rows))
    ]
    return list(write_file(io=table.io, table_metadata=table.metadata, tasks=iter(tasks)))
