from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresServer
from tests.samples import clock
from tests.servers import InProcessServer, settings_for_test
from tracechat.store.duck import DuckDBStore

__all__ = ["clock"]  # a fixture for every test module


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    opened = DuckDBStore(tmp_path / "store" / "tracechat.duckdb")
    yield opened
    opened.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[InProcessServer]:
    running = InProcessServer(settings_for_test(tmp_path / "data"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster for the session (Debian's ``postgresql``); each test
    takes a database of its own from it (``postgres.create_database()``)."""
    server = PostgresServer()
    yield server
    server.close()
