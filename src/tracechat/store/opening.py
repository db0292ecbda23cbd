"""Which store a server runs on (``--store``), opened with what goes with it: the DuckDB file
holds spans, chats and agents together; on the Iceberg store the spans' trace index,
feedback, chats, agents and API keys (``open_keys``) are all in the catalog's PostgreSQL,
shared by every node."""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from tracechat.auth.keys import Clock, KeyRing
from tracechat.config import Settings
from tracechat.errors import TracechatError
from tracechat.live_export import Snapshots
from tracechat.migration import MigrationStatus
from tracechat.model.records import IngestBatch, StoredCount
from tracechat.store.analytics import TraceAnalytics
from tracechat.store.cursors import CursorSource
from tracechat.store.duck import DuckDBStore
from tracechat.store.protocol import SpanStore
from tracechat.store.writer import CommitObserver


class StoreConfigurationError(TracechatError):
    code = "configuration"


class WriteQueue(Protocol):
    """What is watched of a store's writer (``GroupCommitWriter``): how much waits for a commit."""

    @property
    def queued_bytes(self) -> int: ...

    @property
    def queued_items(self) -> int: ...


class ServedStore(SpanStore, Protocol):
    """A span store as a server runs it: its writer's queue is watched, its search lag too,
    and ``problem`` says what damage it found (None while it is whole). A store opened for
    reading only (``--role query``) has no writer: its queue is always empty."""

    @property
    def problem(self) -> str | None: ...

    @property
    def writer(self) -> WriteQueue: ...

    def search_lag(self) -> int: ...

    def search_dead(self) -> int: ...

    def wait_searchable(self, timeout: float) -> bool: ...

    def submit(self, batch: IngestBatch) -> Future[StoredCount]: ...


class _Closable(Protocol):
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Stores:
    spans: ServedStore
    records: CursorSource
    """Where chats and agents live."""
    analytics: TraceAnalytics
    own_records: _Closable | None = None
    """``records`` when it is not ``spans`` (closed after it)."""
    snapshots: Snapshots | None = None
    """Consistent read snapshots of the whole store, for export while serving (DuckDB only)."""

    def close(self) -> None:
        self.spans.close()
        if self.own_records is not None:
            self.own_records.close()


def open_keys(settings: Settings, *, clock: Clock = time.monotonic) -> KeyRing:
    """The API keys: ``keys.json`` in the data directory, or with ``--store iceberg`` the
    catalog's PostgreSQL, shared by every node. ``clock``: when they are re-read."""
    if settings.store == "iceberg":
        from tracechat.store.iceberg.keys import PostgresKeyRing

        # the warehouse is checked too when one is given (a server refuses a bad one before
        # connecting anywhere); ``tracechat keys`` needs only the catalog
        return PostgresKeyRing(_iceberg_settings(settings, warehouse=bool(settings.warehouse))[0], clock=clock)
    return KeyRing(settings.keys_path, clock=clock)


def _iceberg_settings(settings: Settings, *, warehouse: bool = True) -> tuple[str, str]:
    """The catalog URI and warehouse of ``--store iceberg``, checked."""
    if not settings.catalog_uri or (warehouse and not settings.warehouse):
        raise StoreConfigurationError(
            "--store iceberg needs --catalog-uri postgresql://… and --warehouse file:///…|s3://bucket/prefix "
            "(TRACECHAT_CATALOG_URI, TRACECHAT_WAREHOUSE)"
        )
    if not settings.catalog_uri.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise StoreConfigurationError("--catalog-uri must be a postgresql:// URI (the PostgreSQL catalog)")
    if warehouse:
        from tracechat.store.iceberg.warehouse import WarehouseError
        from tracechat.store.iceberg.warehouse import check as check_warehouse

        try:
            check_warehouse(str(settings.warehouse))
        except WarehouseError as exc:
            raise StoreConfigurationError(str(exc)) from None
    return settings.catalog_uri, settings.warehouse or ""


def open_stores(
    settings: Settings, observer: CommitObserver | None = None, migration: MigrationStatus | None = None
) -> Stores:
    """The stores of ``--store``; ``migration``: told how far a schema migration of the
    DuckDB file is (the Iceberg store's tables have no migrations yet)."""
    if settings.store == "duckdb":
        if settings.role != "all":
            raise StoreConfigurationError(
                f"--role {settings.role} needs --store iceberg: one DuckDB file has one process"
            )
        store = DuckDBStore(
            settings.database_path,
            max_queue_bytes=settings.queue_max_bytes,
            max_commit_bytes=settings.commit_max_bytes,
            memory_mb=settings.store_memory_mb,
            observer=observer,
            search_dir=settings.search_path,
            search_refresh_s=settings.search_refresh_s,
            verify=settings.verify_store,
            migration=migration,
        )
        return Stores(store, store, TraceAnalytics(store), snapshots=store)
    from tracechat.store.iceberg.analytics import IcebergAnalytics
    from tracechat.store.iceberg.records import PostgresRecords
    from tracechat.store.iceberg.store import IcebergStore

    catalog_uri, warehouse = _iceberg_settings(settings)
    iceberg = IcebergStore(
        catalog_uri,
        warehouse,
        max_queue_bytes=settings.queue_max_bytes,
        max_commit_bytes=settings.commit_max_bytes,
        observer=observer,
        memory_mb=settings.store_memory_mb,
        writes=settings.role != "query",
        search=settings.search_index,
        # Text is indexed where it is searched: query and all nodes (receivers scale apart).
        text_indexer=settings.search_index and settings.role != "ingest",
    )
    try:
        records = PostgresRecords(catalog_uri)
    except BaseException:
        iceberg.close()
        raise
    return Stores(iceberg, records, IcebergAnalytics(iceberg), records)
