"""The SQL catalog, committing a new snapshot against the metadata the writer already holds.

pyiceberg's ``SqlCatalog.commit_table`` loads the table again before every commit (a query,
then the current metadata file read and parsed: every snapshot the table keeps until
``maintain`` expires them), checks the commit's requirements against it and applies the
updates to it; its ``UPDATE … WHERE metadata_location = <that>`` then makes the commit
atomic. A commit that adds a snapshot (an append, an overwrite) requires the branch to be
at the snapshot it was made on. Here such a commit asks the catalog only for the table's
current metadata location (one row, no file read): when it is the committing table's own,
that table is the current one and is used as is; when another writer has moved the table,
the table is loaded as pyiceberg does, the requirement fails before any metadata file is
written, and pyiceberg (or the store) reloads and tries again, nothing lost. (Committing
against the writer's own metadata without asking would write a metadata file per lost race,
an orphan every time two receivers take turns; the ``UPDATE`` still guards the moment
between the question and the commit.) Other commits (expiring snapshots, which require
nothing of the branch and apply to whatever is current) load the table as pyiceberg does.
"""

from __future__ import annotations

import threading
from typing import Any

from pyiceberg.catalog import Catalog
from pyiceberg.catalog.sql import IcebergTables, SqlCatalog
from pyiceberg.table import CommitTableResponse, Table
from pyiceberg.table.update import AssertRefSnapshotId, TableRequirement, TableUpdate
from pyiceberg.typedef import Identifier
from sqlalchemy import select
from sqlalchemy.orm import Session


class CommitCatalog(SqlCatalog):
    """``SqlCatalog`` whose commits of a snapshot start from the committing table's metadata."""

    def __init__(self, name: str, **properties: Any) -> None:
        super().__init__(name, **properties)
        self._committing = threading.local()

    def commit_table(
        self, table: Table, requirements: tuple[TableRequirement, ...], updates: tuple[TableUpdate, ...]
    ) -> CommitTableResponse:
        if not any(isinstance(requirement, AssertRefSnapshotId) for requirement in requirements):
            return super().commit_table(table, requirements, updates)
        self._committing.table = table
        try:
            return super().commit_table(table, requirements, updates)
        finally:
            self._committing.table = None

    def load_table(self, identifier: str | Identifier) -> Table:
        committing: Table | None = getattr(self._committing, "table", None)
        if committing is not None and self._is_current(committing, identifier):
            return committing
        return super().load_table(identifier)

    def _is_current(self, table: Table, identifier: str | Identifier) -> bool:
        """Whether ``identifier`` names ``table`` and the catalog's row holds its metadata location."""
        if Catalog.identifier_to_tuple(identifier) != table.name():
            return False
        with Session(self.engine) as session:
            location = session.scalar(
                select(IcebergTables.metadata_location).where(
                    IcebergTables.catalog_name == self.name,
                    IcebergTables.table_namespace == Catalog.namespace_to_string(Catalog.namespace_from(identifier)),
                    IcebergTables.table_name == Catalog.table_name_from(identifier),
                )
            )
        return location == table.metadata_location
