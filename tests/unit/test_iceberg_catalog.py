"""The catalog commits against the committing table's own metadata when it is current
(``store.iceberg.catalog.CommitCatalog``): no load of the table per commit, and a commit from
metadata another writer has moved past still fails, writing no metadata file, and is
retried, losing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.schema import Schema
from pyiceberg.table import Table
from pyiceberg.types import LongType, NestedField

from tracechat.store.iceberg.catalog import CommitCatalog

_SCHEMA = Schema(NestedField(1, "n", LongType(), required=True))


def _catalog(tmp_path: Path) -> CommitCatalog:
    catalog = CommitCatalog("t", uri=f"sqlite:///{tmp_path / 'catalog.db'}", warehouse=(tmp_path / "wh").as_uri())
    catalog.create_namespace_if_not_exists("ns")
    return catalog


def _rows(*numbers: int) -> pa.Table:
    return pa.table({"n": pa.array(numbers, pa.int64())}, schema=_SCHEMA.as_arrow())


def _loads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The loads of a table from the catalog's database, from now on."""
    loads: list[Any] = []
    real = SqlCatalog.load_table

    def counted(self: SqlCatalog, identifier: Any) -> Table:
        loads.append(identifier)
        return real(self, identifier)

    monkeypatch.setattr(SqlCatalog, "load_table", counted)
    return loads


def test_a_commit_loads_no_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = _catalog(tmp_path)
    table = catalog.create_table("ns.numbers", _SCHEMA)
    table.append(_rows(1))
    loads = _loads(monkeypatch)
    table.append(_rows(2))
    assert loads == []
    assert sorted(catalog.load_table("ns.numbers").scan().to_arrow().column("n").to_pylist()) == [1, 2]


def test_a_commit_from_metadata_another_writer_moved_past_fails_and_loses_nothing(tmp_path: Path) -> None:
    first, second = _catalog(tmp_path), _catalog(tmp_path)
    first.create_table("ns.numbers", _SCHEMA, properties={"commit.retry.num-retries": "0"})
    mine, theirs = first.load_table("ns.numbers"), second.load_table("ns.numbers")
    theirs.append(_rows(1))
    versions = sorted((tmp_path / "wh").rglob("*.metadata.json"))
    with pytest.raises(CommitFailedException):
        mine.append(_rows(2))  # from the metadata before theirs: no retry allowed here
    assert sorted((tmp_path / "wh").rglob("*.metadata.json")) == versions  # no orphan metadata file
    mine = first.load_table("ns.numbers")
    mine.append(_rows(3))
    table = second.load_table("ns.numbers")
    assert sorted(table.scan().to_arrow().column("n").to_pylist()) == [1, 3]
    assert len(table.metadata.snapshots) == 2


def test_expiring_snapshots_from_metadata_a_writer_moved_past_applies_to_the_current_table(tmp_path: Path) -> None:
    """It requires nothing of the branch: as in pyiceberg, it is applied to what is current
    (maintenance expires on the table it loaded while receivers keep appending)."""
    first, second = _catalog(tmp_path), _catalog(tmp_path)
    first.create_table("ns.numbers", _SCHEMA)
    mine = first.load_table("ns.numbers")
    mine.append(_rows(1))
    mine.append(_rows(2))
    theirs = second.load_table("ns.numbers")
    theirs.append(_rows(3))  # moves the table past ``mine``
    oldest = min(snapshot.timestamp_ms for snapshot in mine.metadata.snapshots)
    mine.maintenance.expire_snapshots().by_id(
        next(s.snapshot_id for s in mine.metadata.snapshots if s.timestamp_ms == oldest)
    ).commit()
    table = second.load_table("ns.numbers")
    assert len(table.metadata.snapshots) == 2
    assert sorted(table.scan().to_arrow().column("n").to_pylist()) == [1, 2, 3]
