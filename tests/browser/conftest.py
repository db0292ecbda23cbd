from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.chromium import ARTIFACTS, CHROMIUM, FLAGS, require_chromium
from tests.samples import load_recent_samples
from tests.servers import InProcessServer


@pytest.fixture
def browser() -> Iterator[Browser]:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Browser, server: InProcessServer, clock: datetime) -> Iterator[Callable[[], Page]]:
    """Opens pages on the server, each in a fresh context (nothing stored, no history), with
    the page's clock the server's (``clock`` moves both)."""
    contexts: list[BrowserContext] = []

    def open_page() -> Page:
        context = browser.new_context(base_url=server.api, viewport={"width": 1400, "height": 1000})
        context.clock.install(time=datetime.now(UTC))
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def empty_page(new_page: Callable[[], Page]) -> Page:
    """A page on a server with no traces."""
    return new_page()


@pytest.fixture
def page(server: InProcessServer, empty_page: Page) -> Page:
    """A page on a server loaded with every sample, moved in time to end now."""
    load_recent_samples(server.service.receiver)
    return empty_page
