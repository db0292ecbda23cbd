from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
