"""``tracechat maintain`` on the DuckDB store: its search index's dead commits, reported and,
with ``--retry-dead-text``, tried again, under the names the Iceberg store's maintenance
reports them by (``store.iceberg.maintain.MaintenanceReport``).

It opens the file as a server does, so it runs while no server has it open (one DuckDB file
has one process); on opening, the indexer catches up with every commit not indexed yet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from tracechat.errors import TracechatError
from tracechat.store.duck import DuckDBStore

IDLE_TIMEOUT_S = 3600.0
"""How long at most the run waits for the indexer to catch up."""


@dataclass(slots=True)
class TextMaintenanceReport:
    text_batches_indexed: int = 0
    """Commits whose text was added in this run."""
    text_batches_failed: int = 0
    """Attempts at a commit's text that failed in this run (it backs off, or is dead)."""
    text_batches_retried: int = 0
    """Dead commits given their attempts again (``--retry-dead-text``)."""
    text_batches_dead: int = 0
    """Commits whose text indexing gave up (``textretry.MAX_ATTEMPTS`` failures), after this run."""
    dead_text_batches: list[dict[str, Any]] = field(default_factory=list)
    """The first of those, with their last error."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def maintain_text(path: Path, search_dir: Path, *, retry_dead: bool = False) -> TextMaintenanceReport:
    """Catch the search index up with the store at ``path``; with ``retry_dead``, try the
    dead commits again first (each once more, then backing off as any failed commit)."""
    if not path.exists():
        raise TracechatError(f"no store at {path}")
    try:
        store = DuckDBStore(path, search_dir=search_dir, verify=False)
    except (duckdb.IOException, ValueError) as exc:  # the file's lock (another process), the index's (this one)
        if "lock" not in str(exc).lower():
            raise
        raise TracechatError(
            f"{path} is open in a running server (one DuckDB file has one process): stop it, then run maintain"
        ) from exc
    report = TextMaintenanceReport()
    try:
        indexer = store.text_indexer
        assert indexer is not None  # opened with its search directory
        if retry_dead:
            report.text_batches_retried = indexer.retry_dead()
        if not indexer.wait_idle(IDLE_TIMEOUT_S):
            raise TracechatError(f"the search index did not catch up within {IDLE_TIMEOUT_S:.0f} s")
        report.text_batches_indexed, report.text_batches_failed = indexer.succeeded, indexer.failed
        report.text_batches_dead = indexer.dead()
        report.dead_text_batches = [asdict(batch) for batch in indexer.dead_batches()]
    finally:
        store.close()
    return report
