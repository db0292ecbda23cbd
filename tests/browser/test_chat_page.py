"""The chat page shows what people typed as they typed it, and its sidebar holds any title."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.chromium import ARTIFACTS, api, rendered_text
from tests.servers import InProcessServer


def test_a_user_message_with_a_trace_id_reads_as_typed_with_the_id_linked(page: Page, server: InProcessServer) -> None:
    trace_id = api(server, "GET", "/agents/traces", params={"q": "Agent workflow"})["traces"][0]["trace_id"]
    question = f"Why is trace {trace_id} slow?\nIs it **the tool**, or - the model?"
    page.goto("/chat")
    page.fill("textarea[name=message]", question)
    page.click("form.chat-form button[type=submit]")
    page.wait_for_selector("article.assistant_message:not(.streaming)")
    assert_reads_as_typed(page, question, trace_id)
    page.reload()  # the chat has an address now: its messages come back from the store
    assert_reads_as_typed(page, question, trace_id)


def assert_reads_as_typed(page: Page, question: str, trace_id: str) -> None:
    user = page.locator("article.user_message .text")
    assert rendered_text(user) == question
    links = user.locator("a").evaluate_all("links => links.map(a => [a.textContent, a.getAttribute('href')])")
    assert links == [[trace_id, f"/traces/{trace_id}"]]


def test_an_answer_shows_its_markdown_as_formatting_and_links_every_trace_id(
    page: Page, server: InProcessServer
) -> None:
    first, second = (t["trace_id"] for t in api(server, "GET", "/agents/traces", params={"limit": 2})["traces"])
    answer = f"Trace {first} is slow.\n**Trace `{second}`** too:\n- see {first} and {second}"
    chat = api(server, "POST", "/api/v1/chats", json={"title": "stored"})
    messages = [{"role": "user", "content": "Which are slow?"}, {"role": "assistant", "content": answer}]
    api(server, "PUT", f"/api/v1/chats/{chat['id']}", json={"messages": messages})
    page.goto(f"/chat/{chat['id']}")
    shown = page.locator("article.assistant_message .text")
    assert [line for line in rendered_text(shown).split("\n") if line] == [
        f"Trace {first} is slow.",
        f"Trace {second} too:",
        f"see {first} and {second}",
    ]
    assert shown.locator("strong code a").inner_text() == second  # `code` inside **bold**
    assert shown.locator("li").count() == 1
    linked = shown.locator("a").evaluate_all("links => links.map(a => [a.textContent, a.getAttribute('href')])")
    assert linked == [[t, f"/traces/{t}"] for t in (first, second, first, second)]


def test_a_long_chat_title_stays_inside_the_sidebar(page: Page, server: InProcessServer) -> None:
    titles = ["x" * 200, " ".join(["Why did the weather agent call the forecast tool three times in a row?"] * 3)]
    for title in titles:
        api(server, "POST", "/api/v1/chats", json={"title": title})
    page.goto("/chat")
    page.wait_for_selector(".chat-list a")
    sidebar = page.locator(".chat-layout > aside")
    box = sidebar.bounding_box()
    assert box is not None
    shown = page.locator(".chat-list a")
    edges = shown.evaluate_all(
        "links => links.map(a => [a.title, a.getBoundingClientRect().left, a.getBoundingClientRect().right])"
    )
    assert len(edges) == len(titles)
    for title, left, right in edges:
        assert left >= box["x"], title
        assert right <= box["x"] + box["width"], title
    # Nor does any text stick out of the links: the sidebar has nothing to scroll sideways.
    assert sidebar.evaluate("aside => aside.scrollWidth - aside.clientWidth") == 0
    assert sorted(shown.evaluate_all("links => links.map(a => a.title)")) == sorted(titles)  # whole, on hover
    page.screenshot(path=str(ARTIFACTS / "viewer-chat-long-titles.png"), full_page=True)
