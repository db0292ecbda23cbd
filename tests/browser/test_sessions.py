"""Sessions in the viewer: the list (its filters in its address, like the trace list), a
session's page over all its traces, and the link to it from each of its traces."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlsplit

from playwright.sync_api import Page

from tests.browser.chromium import ARTIFACTS, api
from tests.samples import ALL_TIME
from tests.servers import InProcessServer


def shown_sessions(page: Page) -> list[str]:
    return page.eval_on_selector_all("tbody tr[data-session-id]", "rows => rows.map(r => r.dataset.sessionId)")


def listed_sessions(server: InProcessServer, **params: str) -> list[str]:
    return [s["session_id"] for s in api(server, "GET", "/agents/sessions", params=params)["sessions"]]


def test_the_session_list_shows_what_the_api_lists_and_keeps_its_filters_in_the_address(
    page: Page, new_page: Callable[[], Page], server: InProcessServer
) -> None:
    page.goto("/")
    page.click("nav a[data-nav=sessions]")
    page.wait_for_url("**/sessions")
    page.wait_for_selector("tbody tr[data-session-id]")
    listed = listed_sessions(server)
    assert shown_sessions(page) == listed
    assert {"thread-weather-0002", "agents-session-0001"} <= set(listed)
    row = api(server, "GET", "/agents/sessions")["sessions"][0]
    cells = page.locator("tbody tr").first.locator("td").all_inner_texts()
    assert cells[1] == row["session_id"]
    assert cells[2] == str(row["turns"])
    assert page.inner_text(".pager .meta") == f"1–{len(listed)} of {len(listed)}"
    page.screenshot(path=str(ARTIFACTS / "viewer-sessions.png"), full_page=True)

    page.select_option("select[name=since]", "all")
    page.wait_for_url("**/sessions?since=all")
    page.fill("input[name=agent]", "Weather Agent")
    page.press("input[name=agent]", "Enter")
    page.wait_for_url("**/sessions?since=all&agent=Weather+Agent")
    assert dict(parse_qsl(urlsplit(page.url).query)) == {"since": "all", "agent": "Weather Agent"}
    expected = listed_sessions(server, since=ALL_TIME, agent_name="Weather Agent")
    assert expected == ["agents-session-0001"]
    page.wait_for_function(
        "(n) => document.querySelectorAll('tbody tr[data-session-id]').length === n", arg=len(expected)
    )
    assert shown_sessions(page) == expected

    fresh = new_page()
    fresh.goto(page.url)
    fresh.wait_for_selector("tbody tr[data-session-id]")
    assert shown_sessions(fresh) == expected
    assert fresh.input_value("input[name=agent]") == "Weather Agent"
    page.go_back()
    page.wait_for_url("**/sessions?since=all")
    page.wait_for_function("() => document.querySelectorAll('tbody tr[data-session-id]').length > 1")
    assert shown_sessions(page) == listed_sessions(server, since=ALL_TIME)
    page.goto("/sessions?agent=nobody")
    page.wait_for_selector("td.empty")
    assert page.inner_text("td.empty").startswith("No sessions match in this window")


def test_a_session_page_reads_every_turn_and_each_trace_links_to_it(page: Page, server: InProcessServer) -> None:
    session = "agents-session-0001"
    expected = api(server, "POST", "/agents/sessions/chat", json={"project_id": "default", "session_id": session})
    first, second = (t["trace_id"] for t in expected["traces"])
    page.goto(f"/traces/{second}")
    page.wait_for_selector("a.session-link")
    assert page.inner_text("a.session-link") == f"session {session}"
    page.click("a.session-link")
    page.wait_for_url(f"**/sessions/{session}")
    page.wait_for_selector("article.msg")
    shown = page.eval_on_selector_all("article.msg", "nodes => nodes.map(n => [n.classList[1], n.dataset.spanId])")
    assert shown == [[m["type"], m["span_id"]] for m in expected["messages"]]
    assert page.locator("article.user_message").all_inner_texts()[1].endswith("Thanks! And how about London?")
    assert page.locator("article.agent_start").count() == 2  # Triage Agent, Weather Agent: once each
    turns = page.locator(".turn")
    assert turns.count() == 2
    assert turns.nth(0).inner_text().startswith("Turn 1 · Weather chat")
    assert page.eval_on_selector_all(".turn", "nodes => nodes.map(n => n.dataset.traceId)") == [first, second]
    summary = expected["summary"]
    assert f"2 turns · {len(expected['messages'])} messages · " in page.inner_text(".trace-head .meta")
    assert f"{summary['input_tokens']:,} in / {summary['output_tokens']:,} out tokens" in page.inner_text(".trace-head")
    page.screenshot(path=str(ARTIFACTS / "viewer-session.png"), full_page=True)
    turns.nth(0).locator("a").click()
    page.wait_for_url(f"**/traces/{first}")
    page.wait_for_selector("article.msg")
    page.go_back()
    page.wait_for_selector(".turn")


def test_an_id_with_any_characters_reaches_its_session(page: Page, server: InProcessServer) -> None:
    from tests.e2e.test_sessions_api import conversation
    from tests.traces import BASE_NS

    odd = "user/42 #1?x=y"
    for trace in conversation(odd, BASE_NS)[:2]:
        trace.store_in(server.service.store, project="default")
    page.goto("/sessions?since=all")
    page.click(f"tr[data-session-id='{odd}'] a")
    page.wait_for_url(f"**/sessions/{quote(odd, safe='')}")
    page.wait_for_selector(".turn")
    assert page.inner_text(".trace-head h1") == f"Session {odd}"
    assert page.locator(".turn").count() == 2
