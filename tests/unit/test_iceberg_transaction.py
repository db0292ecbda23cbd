"""The Iceberg store's commits copy the table's metadata once per change
(``store.iceberg.store.OnceCopiedTransaction``): pyiceberg deep-copies it at every read of a
transaction's ``table_metadata``, 14 times in one fast append."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField

from tracechat.store.iceberg import store as iceberg_store
from tracechat.store.iceberg.store import OnceCopiedTransaction


def test_a_fast_append_copies_the_metadata_once_per_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = SqlCatalog("t", uri=f"sqlite:///{tmp_path / 'catalog.db'}", warehouse=(tmp_path / "wh").as_uri())
    catalog.create_namespace("ns")
    schema = Schema(NestedField(1, "n", LongType(), required=True))
    table = catalog.create_table("ns.numbers", schema)
    table.append(pa.table({"n": pa.array([1], pa.int64())}, schema=schema.as_arrow()))  # a snapshot to copy
    files = [task.file for task in table.scan().plan_files()]
    copies: list[Any] = []
    made = iceberg_store.update_table_metadata

    def counted(*args: Any, **kwargs: Any) -> Any:
        copies.append(args)
        return made(*args, **kwargs)

    monkeypatch.setattr(iceberg_store, "update_table_metadata", counted)

    with (
        OnceCopiedTransaction(table) as transaction,
        transaction.update_snapshot(snapshot_properties={"batch": "b1"}).fast_append() as append,
    ):
        first = transaction.table_metadata
        assert transaction.table_metadata is first  # nothing staged between: the same copy
        for data_file in files:
            append.append_data_file(data_file)

    assert len(copies) <= 2  # before the snapshot is staged, and after (14 without the cache)
    committed = catalog.load_table("ns.numbers")
    assert committed.current_snapshot() is not None
    assert committed.current_snapshot().summary["batch"] == "b1"  # type: ignore[union-attr,index]
    assert len(list(committed.snapshots())) == 2
