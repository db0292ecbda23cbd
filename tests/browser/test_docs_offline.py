"""/docs renders from the server alone: no request leaves 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route

from tests.browser.chromium import ARTIFACTS
from tests.servers import InProcessServer


@pytest.fixture
def offline(browser: Browser, server: InProcessServer) -> Iterator[tuple[Page, list[str]]]:
    """A page whose every request to a host other than 127.0.0.1 is aborted, and the list of
    those that were attempted."""
    context = browser.new_context(base_url=server.api, viewport={"width": 1400, "height": 1000})
    attempted: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    context.route("**/*", loopback_only)
    yield context.new_page(), attempted
    context.close()


def test_swagger_ui_lists_the_operations_with_no_request_beyond_loopback(offline: tuple[Page, list[str]]) -> None:
    page, attempted = offline
    page.goto("/docs", wait_until="networkidle")
    assert attempted == []
    page.wait_for_selector(".opblock-summary-path[data-path='/agents/traces']")
    assert page.locator(".opblock-summary-path[data-path='/agents/traces/chat']").count() == 1
    page.screenshot(path=str(ARTIFACTS / "docs-swagger.png"))
    assert attempted == []  # nor once it has rendered


def test_redoc_is_off_rather_than_loading_from_its_cdn(server: InProcessServer) -> None:
    # ReDoc's bundle loads its logo from cdn.redoc.ly whatever its options say.
    assert httpx.get(f"{server.api}/redoc", timeout=30).status_code == 404
