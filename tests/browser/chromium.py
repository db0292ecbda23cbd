"""What every browser test shares: Debian's chromium, its flags, where screenshots go, and a
JSON call to the server under test (what the pages must show)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator

from tests.servers import InProcessServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        raise RuntimeError("the browser tests need Debian's chromium; .ci/run installs it")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


def api(server: InProcessServer, method: str, path: str, **kwargs: Any) -> Any:
    return httpx.request(method, f"{server.api}{path}", timeout=30, **kwargs).json()


def rendered_text(locator: Locator) -> str:
    """``innerText`` once it is laid out: messages skip layout until they are near the screen
    (``content-visibility: auto``), and until the first layout their text reads as empty."""
    locator.page.wait_for_function("el => el.innerText.trim() !== ''", arg=locator.element_handle())
    return locator.inner_text()
