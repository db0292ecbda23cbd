"""The SQL catalog, committing a new snapshot against the metadata the writer already holds.

pyiceberg's ``SqlCatalog.commit_table`` loads the table again before every commit (a query,
then the current metadata file read and parsed: every snapshot the table keeps until
``maintain`` expires them), checks the commit's requirements against it and applies the
updates to it; its ``UPDATE … WHERE metadata_location = <that>`` then makes the commit
atomic. A commit that adds a snapshot (an append, an overwrite) requires the branch to be
at the snapshot it was made on, so it can only succeed against the metadata it was made
from or one that moved nothing but other things (snapshots expired, say). Committed
against the writer's own metadata instead, it fails in both cases: the ``UPDATE`` finds the
table moved and raises ``CommitFailedException``; pyiceberg (or the store) reloads the
table and tries again, a retry where the other case had none, and nothing is lost. Other
commits (expiring snapshots, which require nothing of the branch and apply to whatever is
current) load the table as pyiceberg does.
"""

from __future__ import annotations

import threading
from typing import Any

from pyiceberg.catalog import Catalog
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.table import CommitTableResponse, Table
from pyiceberg.table.update import AssertRefSnapshotId, TableRequirement, TableUpdate
from pyiceberg.typedef import Identifier


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
        if committing is not None and Catalog.identifier_to_tuple(identifier) == committing.name():
            return committing
        return super().load_table(identifier)
