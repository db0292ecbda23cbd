"""The trace list's filters live in its address, so a link or a reload shows the same traces;
an empty window says why and offers the traces before it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Page

from tests.browser.chromium import ARTIFACTS, api
from tests.samples import ALL_TIME, SAMPLES, sample_trace_count
from tests.servers import InProcessServer
from tests.traces import MS, TraceBuilder
from tracechat.ingest.loader import load_paths_in_process

DAY_MS = 24 * 3600 * 1000


def failed_trace(days_ago: int) -> TraceBuilder:
    trace = TraceBuilder(base_ns=time.time_ns() - days_ago * DAY_MS * MS)
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.agent.name": "Weather Agent",
    }
    trace.span(f"weather lookup failed {days_ago} days ago", attributes, error=True)
    return trace


def shown_rows(page: Page) -> list[str]:
    return page.eval_on_selector_all("tbody tr[data-trace-id]", "rows => rows.map(r => r.dataset.traceId)")


def listed_rows(server: InProcessServer, **params: Any) -> list[str]:
    return [t["trace_id"] for t in api(server, "GET", "/agents/traces", params=params)["traces"]]


def query_of(page: Page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(page.url).query))


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def test_filters_set_on_the_page_are_in_its_address_and_a_fresh_page_shows_the_same_rows(
    page: Page, new_page: Callable[[], Page], server: InProcessServer
) -> None:
    for age in (2, 20, 40):
        failed_trace(age).store_in(server.service.store, project="default")
    page.goto("/")
    page.wait_for_selector("tbody tr[data-trace-id]")
    assert query_of(page) == {}  # the default window needs no `since`
    assert page.locator("select[name=since] option:checked").inner_text() == "last 7 days (default)"
    assert shown_rows(page) == listed_rows(server)
    page.select_option("select[name=since]", "30d")  # applies at once
    page.wait_for_url("**/?since=30d")
    page.fill("input[name=agent]", "Weather Agent")
    page.fill("input[name=model]", "gpt-4o-mini")
    page.check("input[name=errors]")
    page.fill("input[name=q]", "weather lookup")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/?*q=*")
    filters = {"since": "30d", "agent": "Weather Agent", "model": "gpt-4o-mini", "errors": "1", "q": "weather lookup"}
    assert query_of(page) == filters
    expected = listed_rows(
        server,
        since=days_ago(30),
        agent_name="Weather Agent",
        model="gpt-4o-mini",
        has_error="true",
        q="weather lookup",
    )
    assert len(expected) == 2  # the failures of 2 and 20 days ago
    page.wait_for_function(f"() => document.querySelectorAll('tbody tr[data-trace-id]').length === {len(expected)}")
    assert shown_rows(page) == expected
    page.screenshot(path=str(ARTIFACTS / "viewer-list-filtered.png"), full_page=True)

    fresh = new_page()
    fresh.goto(page.url)  # a link to the view, opened elsewhere
    fresh.wait_for_selector("tbody tr[data-trace-id]")
    assert shown_rows(fresh) == expected
    assert fresh.input_value("select[name=since]") == "30d"
    assert fresh.input_value("input[name=q]") == "weather lookup"
    assert fresh.is_checked("input[name=errors]")

    fresh.reload()
    fresh.wait_for_selector("tbody tr[data-trace-id]")
    assert query_of(fresh) == filters
    assert shown_rows(fresh) == expected

    page.go_back()  # each applied filter was a step in the history: ticking errors only was the last but one
    page.wait_for_url("**/?since=30d&agent=Weather+Agent&model=gpt-4o-mini&errors=1")
    assert page.input_value("input[name=q]") == ""
    page.go_back()
    page.wait_for_url("**/?since=30d")
    back = listed_rows(server, since=days_ago(30))
    page.wait_for_function(f"() => document.querySelectorAll('tbody tr[data-trace-id]').length === {len(back)}")
    assert shown_rows(page) == back
    assert page.input_value("input[name=agent]") == ""


def test_until_and_the_page_offset_are_in_the_address_too(page: Page, server: InProcessServer) -> None:
    for age in (2, 20, 40):
        failed_trace(age).store_in(server.service.store, project="default")
    until = (datetime.now(UTC) - timedelta(days=10)).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    page.goto(f"/?since=all&until={until}&errors=1")
    page.wait_for_selector("tbody tr[data-trace-id]")
    assert shown_rows(page) == listed_rows(server, since=ALL_TIME, until=until, has_error="true")
    assert len(shown_rows(page)) == 2  # 20 and 40 days ago
    page.click("form.filters button[type=submit]")  # the form holds until as it was given
    assert query_of(page) == {"since": "all", "until": until, "errors": "1"}

    page.goto("/?since=all&offset=5")
    page.wait_for_selector("tbody tr[data-trace-id]")
    page_of = listed_rows(server, since=ALL_TIME, offset=5)
    assert shown_rows(page) == page_of
    total = api(server, "GET", "/agents/traces", params={"since": ALL_TIME})["total"]
    # the page ends where the API's page does: at the total while the samples fit on one
    # page, before it once they do not (60 traces against a page of 50)
    assert page.inner_text(".pager .meta") == f"6–{5 + len(page_of)} of {total}"
    page.click(".pager button:has-text('Newer')")
    page.wait_for_url("**/?since=all")
    page.wait_for_selector(".pager .meta:has-text('1–')")
    assert shown_rows(page) == listed_rows(server, since=ALL_TIME)
    page.go_back()
    page.wait_for_url("**/?since=all&offset=5")
    page.wait_for_selector(".pager .meta:has-text('6–')")
    assert shown_rows(page) == listed_rows(server, since=ALL_TIME, offset=5)


def test_an_empty_window_says_why_and_offers_the_older_traces(empty_page: Page, server: InProcessServer) -> None:
    page = empty_page
    page.goto("/")
    empty = page.locator("td.empty")
    assert empty.inner_text().startswith("No traces in project default yet: send OpenTelemetry spans")

    ten_days_ago = time.time_ns() - 10 * DAY_MS * MS
    load_paths_in_process(server.service.receiver, [SAMPLES], end_at_ns=ten_days_ago)
    older = api(server, "GET", "/agents/traces", params={"since": ALL_TIME})["total"]
    assert older == sample_trace_count()
    assert listed_rows(server) == []  # nothing in the default window
    page.reload()
    page.wait_for_selector("td.empty a")
    assert empty.inner_text() == f"No traces in the last 7 days — {older} older traces: show all time"
    page.screenshot(path=str(ARTIFACTS / "viewer-list-empty-window.png"), full_page=True)
    empty.locator("a").click()
    page.wait_for_url("**/?since=all")
    page.wait_for_selector("tbody tr[data-trace-id]")
    assert shown_rows(page) == listed_rows(server, since=ALL_TIME)
    assert page.input_value("select[name=since]") == "all"

    mini = api(server, "GET", "/agents/traces", params={"since": ALL_TIME, "model": "gpt-4o-mini"})["total"]
    assert 0 < mini < older
    page.goto("/?since=24h&model=gpt-4o-mini")
    page.wait_for_selector("td.empty a")
    assert empty.inner_text() == f"No traces match in the last 24 hours — {mini} older traces match: show all time"
    page.goto("/?q=no-such-trace")
    page.wait_for_selector("td.empty")
    assert empty.inner_text() == "No traces match in the last 7 days, nor before."
