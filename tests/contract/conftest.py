"""The contract suite runs against every store: the embedded DuckDB one and the Iceberg one
(PostgreSQL catalog from ``tests.postgres``, warehouse in the test's directory)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresServer
from tracechat.store.duck import DuckDBStore
from tracechat.store.iceberg.store import IcebergStore
from tracechat.store.protocol import SpanStore

StoreOpener = Callable[[], SpanStore]


@pytest.fixture(params=["duckdb", "iceberg"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreOpener]:
    """Opens the store under test, again and again on the same data; closes what it opened."""
    opened: list[SpanStore] = []
    if request.param == "duckdb":

        def opener() -> SpanStore:
            opened.append(DuckDBStore(tmp_path / "store" / "tracechat.duckdb"))
            return opened[-1]

    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        dsn = server.create_database()
        warehouse = (tmp_path / "warehouse").as_uri()

        def opener() -> SpanStore:
            opened.append(IcebergStore(dsn, warehouse))
            return opened[-1]

    yield opener
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: StoreOpener) -> SpanStore:
    return open_store()
