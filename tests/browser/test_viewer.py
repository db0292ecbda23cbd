"""The viewer in a real headless Chromium (Debian's ``chromium``, driven by Playwright):
what the pages show is what the API returns. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page

from tests.browser.chromium import ARTIFACTS, api
from tests.samples import load_recent_samples
from tests.servers import InProcessServer


def test_list_shows_the_traces_the_api_lists(page: Page, server: InProcessServer) -> None:
    page.goto("/")
    page.wait_for_selector("table.traces tbody tr[data-trace-id]")
    listed = api(server, "GET", "/agents/traces", params={"limit": 50})
    shown = page.eval_on_selector_all("tbody tr[data-trace-id]", "rows => rows.map(r => r.dataset.traceId)")
    assert shown == [t["trace_id"] for t in listed["traces"]]
    assert page.inner_text(".pager .meta") == f"1–{len(shown)} of {listed['total']}"
    page.screenshot(path=str(ARTIFACTS / "viewer-list.png"), full_page=True)
    # Several samples' roots are named so (openai-agents-js, its stream, openinference's):
    # the search shows what the API finds, however many samples that is.
    found = [
        t["trace_id"]
        for t in api(server, "GET", "/agents/traces", params={"q": "Agent workflow", "limit": 50})["traces"]
    ]
    assert 0 < len(found) < len(shown)
    page.fill("input[name=q]", "Agent workflow")
    page.click("form.filters button[type=submit]")
    page.wait_for_function(f"() => document.querySelectorAll('tbody tr[data-trace-id]').length === {len(found)}")
    assert page.eval_on_selector_all("tbody tr[data-trace-id]", "rows => rows.map(r => r.dataset.traceId)") == found


def test_trajectory_page_shows_the_messages_the_api_returns(page: Page, server: InProcessServer) -> None:
    trace = api(server, "GET", "/agents/traces", params={"q": "Agent workflow"})["traces"][0]
    expected = api(server, "POST", "/agents/traces/chat", json={"project_id": "default", "trace_id": trace["trace_id"]})
    page.goto("/")
    page.click(f"tr[data-trace-id='{trace['trace_id']}'] a")
    page.wait_for_selector("article.msg")
    assert page.url.endswith(f"/traces/{trace['trace_id']}")
    shown = page.eval_on_selector_all("article.msg", "nodes => nodes.map(n => [n.classList[1], n.dataset.spanId])")
    assert shown == [[m["type"], m["span_id"]] for m in expected["messages"]]
    assert "Triage Agent → Weather Agent" in page.inner_text("article.agent_handoff")
    tool = page.locator("article.tool_call").first
    result = tool.locator("details.tool-result")
    assert result.get_attribute("open") is None
    result.locator("summary").click()
    assert result.get_attribute("open") is not None
    assert "Paris" in result.inner_text()
    page.locator("article.user_message").first.click()
    assert '"attributes"' in page.inner_text("#span-details")
    assert page.locator(".waterfall .row").count() == len(
        api(server, "GET", f"/agents/traces/{trace['trace_id']}/spans")["spans"]
    )
    page.screenshot(path=str(ARTIFACTS / "viewer-trajectory.png"), full_page=True)


def test_feedback_added_on_the_page_is_stored(page: Page, server: InProcessServer) -> None:
    trace = api(server, "GET", "/agents/traces")["traces"][0]
    page.goto(f"/traces/{trace['trace_id']}")
    page.wait_for_selector("form.feedback-form")
    page.fill("form.feedback-form input[name=name]", "helpful")
    page.fill("form.feedback-form input[name=label]", "yes")
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_selector(".feedback-list li")
    stored = api(
        server,
        "POST",
        "/agents/traces/chat",
        json={"project_id": "default", "trace_id": trace["trace_id"], "include_feedback": True},
    )["feedback"]
    assert [(f["name"], f["label"]) for f in stored] == [("helpful", "yes")]


def test_chat_streams_an_answer_and_links_its_traces(page: Page, server: InProcessServer) -> None:
    page.goto("/chat")
    page.fill("textarea[name=message]", "What are the slowest traces this week?")
    page.click("form.chat-form button[type=submit]")
    page.wait_for_selector("article.assistant_message:not(.streaming) .answer a")
    answer = page.inner_text("article.assistant_message .answer")
    assert answer.startswith("Slowest traces in the last 7 days")
    assert page.locator("article.assistant_message details.tool-call").count() == 1
    assert "/chat/" in page.url  # the new chat has an address
    assert page.locator(".chat-list a").count() == 1
    page.screenshot(path=str(ARTIFACTS / "viewer-chat.png"), full_page=True)
    # the links are the user's slowest traces, slowest first, not the analyst's own turn
    samples = api(server, "GET", "/agents/traces", params={"limit": 500})["traces"]
    duration = {t["trace_id"]: t["duration_ms"] for t in samples}
    linked = page.locator("article.assistant_message .answer a").all_inner_texts()
    assert linked
    assert set(linked) <= set(duration)
    assert [duration[t] for t in linked] == sorted(duration.values(), reverse=True)[: len(linked)]
    first_trace = page.locator("article.assistant_message .answer a").first
    trace_id = first_trace.inner_text()
    first_trace.click()
    page.wait_for_selector("article.msg")
    assert page.url.endswith(f"/traces/{trace_id}")
    page.go_back()
    page.wait_for_selector("article.user_message")  # the chat reloads from the store
    assert "slowest traces" in page.inner_text("article.user_message")


def test_a_thousand_message_trajectory_renders_whole(page: Page, server: InProcessServer) -> None:
    from tests.traces import TraceBuilder, as_json

    trace = TraceBuilder()
    history: list[dict[str, Any]] = []
    for turn in range(334):  # user + tool call + answer per turn: over a thousand messages
        history.append({"role": "user", "parts": [{"type": "text", "content": f"question {turn}"}]})
        call = {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": f"c{turn}", "name": "lookup", "arguments": {"n": turn}}],
        }
        trace.span(
            "chat m",
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.input.messages": as_json(history),
                "gen_ai.output.messages": as_json([call]),
            },
            start_ms=turn * 10,
        )
        history += [
            call,
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": f"c{turn}", "response": "ok"}]},
        ]
        answer = {"role": "assistant", "parts": [{"type": "text", "content": f"answer {turn}"}]}
        trace.span(
            "chat m",
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.input.messages": as_json(history),
                "gen_ai.output.messages": as_json([answer]),
            },
            start_ms=turn * 10 + 5,
        )
        history.append(answer)
    trace.store_in(server.service.store, project="default")
    expected = api(server, "POST", "/agents/traces/chat", json={"project_id": "default", "trace_id": trace.trace_hex})
    assert len(expected["messages"]) >= 1000
    page.goto(f"/traces/{trace.trace_hex}")
    page.wait_for_function(f"() => document.querySelectorAll('article.msg').length === {len(expected['messages'])}")
    last = page.locator("article.msg").last
    last.scroll_into_view_if_needed()  # off-screen messages are laid out only when near the viewport
    page.wait_for_function("el => el.innerText.endsWith('answer 333')", arg=last.element_handle())


def test_keys_are_asked_for_and_other_projects_stay_closed(browser: Browser, tmp_path: Path) -> None:
    from tests.servers import settings_for_test
    from tracechat.auth.keys import KeyRing

    key = KeyRing(tmp_path / "data" / "keys.json").create(project="default", admin=False)
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    load_recent_samples(server.service.receiver)
    try:
        view = browser.new_page(base_url=server.api)
        view.goto("/")
        assert "API key" in view.inner_text("[role=alert]")
        view.fill("#key", key.token)
        view.click("#access button[type=submit]")
        view.wait_for_selector("tbody tr[data-trace-id]")
        view.fill("#project", "someone-else")
        view.click("#access button[type=submit]")
        view.wait_for_selector("[role=alert]")
        assert "may not access project 'someone-else'" in view.inner_text("[role=alert]")
        assert view.locator("tbody tr[data-trace-id]").count() == 0
        view.close()
    finally:
        server.stop()


ONE_PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def test_images_show_inline_and_the_dark_theme_applies(page: Page, server: InProcessServer) -> None:
    from tests.traces import TraceBuilder, as_json

    trace = TraceBuilder()
    parts = [
        {"type": "text", "content": "What is this?"},
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": ONE_PIXEL_PNG},
    ]
    trace.span(
        "chat m",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.input.messages": as_json([{"role": "user", "parts": parts}]),
            "gen_ai.output.messages": as_json(
                [{"role": "assistant", "parts": [{"type": "text", "content": "A pixel."}]}]
            ),
        },
    )
    trace.store_in(server.service.store, project="default")
    page.goto(f"/traces/{trace.trace_hex}")
    page.wait_for_function(
        "() => { const i = document.querySelector('img.ref'); return i && i.complete && i.naturalWidth === 1; }"
    )
    page.click("#theme")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
    page.screenshot(path=str(ARTIFACTS / "viewer-dark.png"), full_page=True)
    page.reload()
    page.wait_for_selector("article.msg")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"  # remembered


def test_new_traces_appear_without_a_reload(page: Page, server: InProcessServer) -> None:
    import time

    from tests.traces import BASE_NS, MS, TraceBuilder

    page.goto("/")
    page.wait_for_selector("tbody tr[data-trace-id]")
    page.clock.pause_at(page.evaluate("Date.now()") + 10)  # the page's timers now wait for the test
    fresh = TraceBuilder()
    fresh.span("a brand new trace", {"gen_ai.operation.name": "chat"}, start_ms=(time.time_ns() - BASE_NS) // MS)
    fresh.store_in(server.service.store, project="default")
    assert page.locator(f"tr[data-trace-id='{fresh.trace_hex}']").count() == 0  # not before the refresh
    page.clock.run_for(5_000)  # the list refreshes every 5 s: move the page's clock, do not wait
    page.wait_for_selector(f"tr[data-trace-id='{fresh.trace_hex}']", timeout=5_000)
    assert page.locator("tbody tr[data-trace-id]").first.get_attribute("data-trace-id") == fresh.trace_hex
