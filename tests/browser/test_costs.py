"""Costs read as they are wherever the viewer shows one: three significant digits below a
dollar ($0.042, $0.0000381), dollars and cents above ($1.23)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.chromium import ARTIFACTS, api
from tests.scripted_models import ScriptedModels
from tests.servers import InProcessServer, settings_for_test
from tests.traces import TraceBuilder

CHEAP_CALLS = {254: "$0.0000381", 280_000: "$0.042", 8_200_000: "$1.23"}
"""gpt-4o-mini input tokens at $0.15 per million, and the cost as the viewer must show it."""


def priced_trace(input_tokens: int) -> TraceBuilder:
    trace = TraceBuilder(base_ns=time.time_ns())
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": input_tokens,
        "gen_ai.usage.output_tokens": 0,
    }
    trace.span(f"chat {input_tokens} tokens", attributes)
    return trace


def test_list_rows_and_the_trajectory_show_costs_to_their_significant_digits(
    empty_page: Page, server: InProcessServer
) -> None:
    traces = {tokens: priced_trace(tokens) for tokens in CHEAP_CALLS}
    for trace in traces.values():
        trace.store_in(server.service.store, project="default")
    listed = {t["trace_id"]: t["cost"] for t in api(server, "GET", "/agents/traces")["traces"]}
    assert listed[traces[254].trace_hex] == pytest.approx(0.0000381)  # what the API says, to format
    page = empty_page
    page.goto("/")
    page.wait_for_selector("tbody tr[data-trace-id]")
    shown = dict(
        page.eval_on_selector_all(
            "tbody tr[data-trace-id]",
            "rows => rows.map(r => [r.dataset.traceId, r.querySelector('td.cost').textContent])",
        )
    )
    assert shown == {trace.trace_hex: CHEAP_CALLS[tokens] for tokens, trace in traces.items()}
    page.screenshot(path=str(ARTIFACTS / "viewer-costs.png"), full_page=True)
    page.click(f"tr[data-trace-id='{traces[254].trace_hex}'] a")
    page.wait_for_selector(".trace-head .cost")
    assert page.inner_text(".trace-head .cost") == "$0.0000381"


@pytest.fixture
def priced_chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessServer]:
    """A server whose assistant may also use gpt-4o-mini, played by the scripted model server."""
    models = ScriptedModels()
    monkeypatch.setenv("TRACECHAT_OPENAI_BASE_URL", models.url + "/v1")
    monkeypatch.setenv("TRACECHAT_OPENAI_MODELS", "gpt-4o-mini")
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    yield server
    server.stop()
    models.close()


def test_a_chat_turn_shows_its_cost_to_its_significant_digits(browser: Browser, priced_chat: InProcessServer) -> None:
    page = browser.new_page(base_url=priced_chat.api)
    page.goto("/chat")
    page.select_option("select[name=model]", "gpt-4o-mini")
    page.fill("textarea[name=message]", "Which model costs most?")
    page.click("form.chat-form button[type=submit]")
    page.wait_for_selector("article.assistant_message .usage .cost")
    # Two scripted calls of 120 tokens in and 30 out: 240 × $0.15/M + 60 × $0.60/M.
    assert page.inner_text("article.assistant_message .usage .cost") == "$0.000072"
    assert page.inner_text("article.assistant_message .usage").startswith("gpt-4o-mini · 240 in / 60 out tokens · ")
    page.screenshot(path=str(ARTIFACTS / "viewer-chat-usage.png"), full_page=True)
    page.close()
