"""Chromium against hostile content and hostile sites: an HTML or SVG attachment opened from
its URL or from the viewer's link runs no script (which would read the API key in
``localStorage``); the viewer does not render inside another site's frame."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.browser.chromium import ARTIFACTS
from tests.hostile import ATTACHMENTS, hostile_trace
from tests.servers import InProcessServer


def _stored(server: InProcessServer) -> tuple[str, dict[str, str]]:
    trace = hostile_trace(base_ns=time.time_ns() - 60 * 10**9)
    trace.store_in(server.service.store, project="default")
    answer = httpx.post(
        f"{server.api}/agents/traces/chat", json={"project_id": "default", "trace_id": trace.trace_hex}, timeout=30
    ).json()
    user = next(m["user_message"] for m in answer["messages"] if m["type"] == "user_message")
    return trace.trace_hex, dict(zip(ATTACHMENTS, user["content_refs"], strict=True))


def _with_a_key_saved(page: Page) -> list[str]:
    """Open the viewer, save a key as a user would, and collect what the page logs."""
    logged: list[str] = []
    page.on("console", lambda message: logged.append(message.text))
    page.goto("/")
    page.evaluate("localStorage.setItem('tracechat.key', 'tck_secret.value')")
    return logged


def _open(page: Page, url: str) -> None:
    """Navigate; an attachment turns the navigation into a download, which is the point."""
    try:
        page.goto(url, wait_until="load")
    except PlaywrightError as exc:
        if "Download is starting" not in str(exc):
            raise
    page.wait_for_timeout(300)  # an onload handler or script would have run by now


@pytest.mark.parametrize("media_type", ["text/html", "image/svg+xml"])
def test_opening_a_scriptable_attachment_runs_no_script(
    new_page: Callable[[], Page], server: InProcessServer, media_type: str
) -> None:
    _, refs = _stored(server)
    page = new_page()
    logged = _with_a_key_saved(page)
    _open(page, f"/agents/traces/content/{refs[media_type]}")
    assert not [line for line in logged if "attack ran" in line], logged
    assert page.title() != "pwned"


def test_the_viewers_attachment_links_run_no_script(new_page: Callable[[], Page], server: InProcessServer) -> None:
    trace_id, _ = _stored(server)
    page = new_page()
    logged = _with_a_key_saved(page)
    page.goto(f"/traces/{trace_id}")
    page.wait_for_selector("article.user_message img.ref")
    links = page.eval_on_selector_all("article.user_message a[download]", "links => links.map(a => a.href)")
    assert len(links) == 2, "the HTML and the SVG attachment are links, not inline"
    assert page.locator("article.user_message img.ref").count() == 1, "only the PNG is shown inline"
    for link in links:
        _open(page, link)
    assert not [line for line in logged if "attack ran" in line], logged


class _FramingSite(BaseHTTPRequestHandler):
    """Another site (another loopback port, so another origin) whose page frames the viewer."""

    viewer = ""

    def do_GET(self) -> None:
        body = f'<html><body><iframe id="v" src="{self.viewer}" width="800" height="600"></iframe></body></html>'
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def framing_site(server: InProcessServer) -> Iterator[str]:
    handler = type("FramingViewer", (_FramingSite,), {"viewer": f"{server.api}/"})
    site = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{site.server_address[1]}/"
    site.shutdown()
    site.server_close()
    thread.join(10)


def test_the_viewer_does_not_render_inside_another_sites_frame(
    new_page: Callable[[], Page], server: InProcessServer, framing_site: str
) -> None:
    page = new_page()
    page.goto(framing_site)
    element = page.wait_for_selector("#v")
    assert element is not None
    frame = element.content_frame()
    assert frame is not None
    frame.wait_for_load_state("load")
    page.screenshot(path=str(ARTIFACTS / "viewer-framed.png"))
    assert frame.url.startswith("chrome-error://"), f"the viewer loaded in the frame: {frame.url}"
    assert "refused to connect" in frame.evaluate("document.body.innerText")
    assert frame.evaluate("document.querySelector('a.brand') === null")
