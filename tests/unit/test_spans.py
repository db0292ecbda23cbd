"""What a span says, read by meaning (``spantree/spans.py``): the small readers, exactly."""

from __future__ import annotations

import json

import pytest

from tracechat.spantree.spans import argument, called_with_text, is_document, plain


@pytest.mark.parametrize("name", ["input", "prompt", "question", "query", "message", "user_input", "task"])
def test_a_question_is_read_from_any_of_the_keys_frameworks_use(name: str) -> None:
    assert plain(json.dumps({"other": 1, name: "Weather in Paris?"})) == "Weather in Paris?"
    assert plain(json.dumps({name: {"nested": "no"}})) is None  # a structure is no question


def test_plain_text_and_json_strings_read_as_they_are_and_other_json_as_nothing() -> None:
    assert plain("Weather in Paris?") == "Weather in Paris?"
    assert plain('"quoted"') == "quoted"
    assert plain("[1, 2]") is None
    assert plain(None) is None


def test_a_call_record_with_one_text_is_that_text_and_any_other_call_nothing() -> None:
    assert called_with_text(json.dumps({"args": ["Weather in Paris?"], "kwargs": {}})) == "Weather in Paris?"
    assert called_with_text(json.dumps({"args": [], "kwargs": {"question": "Weather?"}})) == "Weather?"
    assert called_with_text(json.dumps({"args": ["Weather?"]})) == "Weather?"
    assert called_with_text(json.dumps({"args": ["a", "b"], "kwargs": {}})) is None  # two values
    assert called_with_text(json.dumps({"args": [3], "kwargs": {}})) is None  # no text
    assert called_with_text(json.dumps({"args": ["a"], "kwargs": {}, "other": 1})) is None  # not a call record
    assert called_with_text(json.dumps({"args": "a", "kwargs": {}})) is None
    assert called_with_text("Weather?") is None
    assert called_with_text(None) is None


def test_tool_arguments_are_a_document_only_when_an_object_or_array() -> None:
    assert is_document('  \n {"city": "Paris"}')
    assert is_document("[1]")
    assert not is_document('"Paris"  ')
    assert not is_document("42")
    assert not is_document(None)
    assert not is_document("{'city': 'Paris'}")  # Python's repr of a dict
    assert is_document("[" * 2_000 + "]" * 2_000)  # too deep to read as a structure, a document still


def test_one_argument_is_read_only_when_it_is_a_non_empty_string() -> None:
    assert argument('{"agent_name": "weather"}', "agent_name") == "weather"
    assert argument('{"agent_name": ""}', "agent_name") is None
    assert argument('{"agent_name": 3}', "agent_name") is None
    assert argument("[]", "agent_name") is None
    assert argument("not json", "agent_name") is None
    assert argument(None, "agent_name") is None
