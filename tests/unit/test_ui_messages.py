"""AI SDK UI messages → the messages a chat stores, and which of a resent history a chat
already holds (``tracechat.chat.ui_messages``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter

from tracechat.api.chat import ChatRequest
from tracechat.chat.ui_messages import plan, tagged, to_new_messages, ui_id
from tracechat.errors import InvalidInput
from tracechat.model.chat import ChatMessage, NewMessage

NOW = datetime(2026, 1, 2, tzinfo=UTC)


def convert(*messages: dict[str, Any]) -> list[NewMessage]:
    return to_new_messages(ChatRequest.model_validate({"messages": list(messages)}).messages)


def user(message_id: str, *texts: str) -> dict[str, Any]:
    return {"id": message_id, "role": "user", "parts": [{"type": "text", "text": t} for t in texts]}


ANSWER_WITH_A_TOOL = {
    "id": "msg_a1",
    "role": "assistant",
    "metadata": {"traceId": "t1"},
    "parts": [
        {"type": "step-start"},
        {"type": "reasoning", "text": "Plan: token_usage.", "state": "done"},
        {
            "type": "tool-token_usage",
            "toolCallId": "call_1",
            "state": "output-available",
            "input": {"hours": 24},
            "output": {"usage": []},
        },
        {"type": "tool-find_errors", "toolCallId": "call_2", "state": "input-available", "input": {}},
        {"type": "step-start"},
        {"type": "text", "text": "No token use.", "state": "done"},
    ],
}


def test_text_parts_are_joined_and_other_parts_are_not_text() -> None:
    [message] = convert(
        {
            "id": "u1",
            "role": "user",
            "parts": [
                {"type": "step-start"},
                {"type": "text", "text": "Which agent"},
                {"type": "file", "mediaType": "image/png", "url": "data:image/png;base64,AAAA", "filename": "a.png"},
                {"type": "data-weather", "data": {"city": "Paris"}},
                {"type": "text", "text": "spends the most?"},
            ],
            "metadata": {"from": "test"},
        }
    )
    assert (message.role, message.content) == ("user", "Which agent\n\nspends the most?")
    assert message.metadata == {
        "ui_message_id": "u1",
        "ui_metadata": {"from": "test"},
        "files": [{"mediaType": "image/png", "filename": "a.png"}],  # the bytes stay out of the chat
    }


def test_an_answer_becomes_its_steps_as_tracechat_stores_its_own() -> None:
    call, result, text = convert(ANSWER_WITH_A_TOOL)
    assert (call.role, call.content) == ("assistant", None)
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in call.tool_calls or ()] == [
        ("call_1", "token_usage", {"hours": 24})  # the call that never got a result is left out
    ]
    assert (result.role, result.tool_call_id, json.loads(result.content or "")) == ("tool", "call_1", {"usage": []})
    assert (text.role, text.content, text.tool_calls) == ("assistant", "No token use.", None)
    assert {ui_id(m) for m in (call, result, text)} == {"msg_a1"}


def test_dynamic_tools_failed_calls_and_empty_answers() -> None:
    call, result = convert(
        {
            "id": "msg_a2",
            "role": "assistant",
            "parts": [
                {
                    "type": "dynamic-tool",
                    "toolName": "search_traces",
                    "toolCallId": "c",
                    "state": "output-error",
                    "input": {"q": "x"},
                    "errorText": "boom",
                }
            ],
        }
    )
    assert call.tool_calls is not None
    assert call.tool_calls[0].function.name == "search_traces"
    assert json.loads(result.content or "") == {"error": "boom"}
    stopped = {
        "id": "msg_a3",
        "role": "assistant",
        "parts": [{"type": "step-start"}, {"type": "reasoning", "text": "…"}],
    }
    assert convert(stopped) == []  # an answer stopped before it said anything holds nothing to store


@pytest.mark.parametrize(
    "message",
    [
        {"role": "user"},
        {"role": "user", "content": "   "},
        {"role": "tool", "tool_call_id": "c"},
        {"role": "assistant"},
        {"id": "u", "role": "user", "parts": []},
        {"id": "u", "role": "user", "parts": [{"type": "step-start"}, {"type": "text", "text": ""}]},
        {"id": "s", "role": "system", "parts": [{"type": "reasoning", "text": "not for the model"}]},
    ],
)
def test_a_message_without_text_is_refused(message: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match=r"messages\[1\]: this \w+ message has no"):
        convert({"role": "user", "content": "fine"}, message)


def test_seed_messages_pass_unchanged() -> None:
    seed = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "content": "{}", "tool_call_id": "c"},
    ]
    assert convert(*seed) == TypeAdapter(list[NewMessage]).validate_python(seed)


# -- plan: what a turn stores ----------------------------------------------------------------


def stored(*messages: NewMessage) -> list[ChatMessage]:
    return [ChatMessage(**m.model_dump(), id=n, created_at=NOW) for n, m in enumerate(messages, start=1)]


def said(role: str, text: str, message_id: str | None) -> NewMessage:
    return NewMessage(role=role, content=text, metadata=tagged(message_id) if message_id else None)  # type: ignore[arg-type]


U1, A1, U2, A2 = (
    said("user", "q1", "u1"),
    said("assistant", "a1", "m1"),
    said("user", "q2", "u2"),
    said("assistant", "a2", "m2"),
)


def test_a_resent_history_stores_only_what_the_chat_does_not_hold() -> None:
    chat = stored(U1, A1)
    turn = plan(chat, [U1, A1, U2], "submit-message")
    assert (turn.drop_after, turn.store, turn.history) == (None, [U2], chat)
    only_the_last = plan(chat, [U2], "submit-message")  # a transport that sends just the new message
    assert (only_the_last.drop_after, only_the_last.store) == (None, [U2])


def test_messages_without_ids_are_always_new() -> None:
    chat = stored(said("user", "q1", None), said("assistant", "a1", "m1"))
    again = said("user", "q1", None)
    assert plan(chat, [again], "submit-message").store == [again]
    assert plan(chat, [again], "regenerate-message").store == [again]  # nothing to recognise it by


def test_regenerate_cuts_the_chat_back_to_the_last_user_message() -> None:
    chat = stored(U1, A1, U2, A2, said("tool", "{}", "m2"), said("assistant", "a2 again", "m2"))
    turn = plan(chat, [U1, A1, U2], "regenerate-message")
    assert (turn.drop_after, turn.store, turn.history) == (3, [], chat[:3])
    assert turn.asked == [chat[2]]
    kept_answer = plan(chat, [U1, A1, U2, A2], "regenerate-message")  # the answer to redo may come along
    assert kept_answer.drop_after == 3
    first = plan(chat, [U1], "regenerate-message")  # useChat's regenerate({messageId: a1})
    assert (first.drop_after, first.history) == (1, chat[:1])
    unknown = plan(stored(), [U1, A1], "regenerate-message")
    assert (unknown.drop_after, unknown.store) == (None, [U1])


def test_resubmitting_a_held_user_message_is_an_edit() -> None:
    chat = stored(U1, A1, U2, A2)
    edited = said("user", "q2, better", "u2")
    turn = plan(chat, [U1, A1, edited], "submit-message")
    assert (turn.drop_after, turn.store, turn.history) == (2, [edited], chat[:2])
    first = plan(chat, [said("user", "q1, better", "u1")], "submit-message")
    assert (first.drop_after, first.history) == (0, [])
