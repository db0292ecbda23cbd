"""The built-in analyst's reading of questions and writing of answers."""

from __future__ import annotations

import pytest

from tracechat.chat.analyst import compose, plan
from tracechat.model.summaries import DEFAULT_WINDOW_HOURS
from tracechat.pricing import dollars


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("Which traces mention Lisbon?", "Lisbon"),
        ('Find the traces that contain "refund policy".', "refund policy"),
        ("What did the agents say about Paris?", "Paris"),
        ("traces with the word timeout", "timeout"),
    ],
)
def test_a_question_about_what_was_said_searches_the_text(question: str, text: str) -> None:
    assert plan(question) == [("search_traces", {"text": text, "hours": DEFAULT_WINDOW_HOURS})]


@pytest.mark.parametrize(
    ("question", "hours"),
    [
        ("Which agent spends the most tokens?", DEFAULT_WINDOW_HOURS),
        ("What errors are happening right now?", 24),
        ("Slowest traces this month?", 24 * 30),
        ("Errors in the last 3 hours?", 3),
    ],
)
def test_the_window_is_the_default_unless_the_question_names_one(question: str, hours: int) -> None:
    assert {args["hours"] for _, args in plan(question)} == {hours}


@pytest.mark.parametrize(
    ("cost", "shown"),
    [(0.0000381, "$0.0000381"), (0.042, "$0.042"), (0.000243, "$0.000243"), (1.234, "$1.23"), (0.0, "$0")],
)
def test_costs_read_as_they_are(cost: float, shown: str) -> None:
    assert dollars(cost) == shown


def test_a_small_cost_is_not_rounded_away_in_an_answer() -> None:
    usage = {
        "hours": 168,
        "group_by": "model",
        "usage": [{"model": "gpt-4o-mini", "calls": 1, "input_tokens": 100, "output_tokens": 10, "cost": 0.0000381}],
    }
    assert "over 1 calls, $0.0000381" in compose([("token_usage", usage)])


def test_usage_by_agent_read_from_part_of_the_window_says_so() -> None:
    row = {"agent": "weather", "calls": 2, "input_tokens": 100, "output_tokens": 10, "cost": None}
    result = {"hours": 24, "group_by": "agent", "usage": [row], "complete": False}
    assert "newest traces of the window only" in compose([("token_usage", result)])
    assert "newest traces" not in compose([("token_usage", {**result, "complete": True})])


def test_an_error_group_shows_the_first_line_of_a_stack_not_the_stack() -> None:
    stack = "\n  Error: weather service down\n    at getWeather (/app/tools.js:12:11)\n    at run (/app/agent.js:40:5)"
    groups = [{"name": "get_weather", "message": stack, "count": 2, "example_trace_ids": ["t1"]}]
    answer = compose([("find_errors", {"hours": 24, "error_groups": groups})])
    assert "2× `get_weather`: Error: weather service down (e.g. `t1`)" in answer
    assert "tools.js" not in answer


def test_a_long_error_line_is_clipped() -> None:
    groups = [{"name": "call", "message": "x" * 500, "count": 1, "example_trace_ids": ["t1"]}]
    answer = compose([("find_errors", {"hours": 24, "error_groups": groups})])
    assert "x" * 199 + "…" in answer
    assert "x" * 200 not in answer


def test_a_cut_list_of_error_groups_says_how_many_there_are_in_all() -> None:
    groups = [{"name": "call", "message": "boom", "count": 3, "example_trace_ids": ["t1"]}]
    cut = compose([("find_errors", {"hours": 24, "failed_spans": 5, "groups": 2, "error_groups": groups})])
    assert cut.startswith("**Errors in the last 24 hours** (5 spans in 2 groups; the 1 largest):")
    whole = compose([("find_errors", {"hours": 24, "failed_spans": 3, "groups": 1, "error_groups": groups})])
    assert whole.startswith("**Errors in the last 24 hours** (3 spans in 1 groups):")
