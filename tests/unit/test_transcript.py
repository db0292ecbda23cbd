"""The transcript tells new messages from repeated history the same way whether or not an
input shares its first messages with the one before (the fast path must not change what
is new)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from tracechat.genai.types import Message, Part
from tracechat.query.transcript import Key, Transcript, key


def _reference_new(seen: Counter[Key], messages: list[Message]) -> list[Message]:
    """The rule, stated plainly: the n-th occurrence of a key in an input is new when the
    conversation so far holds fewer than n messages with that key."""
    keys = [key(m) for m in messages]
    return [m for i, m in enumerate(messages) if keys[:i].count(keys[i]) >= seen[keys[i]]]


def _message(text: str) -> Message:
    return Message("user" if text.islower() else "assistant", [Part("text", text=text)])


# each step: keep the last input and append to it (the usual case), or start a new list
_steps = st.lists(
    st.tuples(st.booleans(), st.lists(st.sampled_from("abcABC"), max_size=4)),
    min_size=1,
    max_size=8,
)


@given(_steps)
def test_new_messages_match_the_plain_multiset_rule(steps: list[tuple[bool, list[str]]]) -> None:
    transcript, seen = Transcript(), Counter[Key]()
    current: list[Message] = []
    for extend, texts in steps:
        current = [*current, *map(_message, texts)] if extend else [_message(t) for t in texts]
        assert transcript.new_messages(current) == _reference_new(seen, current)
        transcript.absorb(current)
        for k, n in Counter(key(m) for m in current).items():
            seen[k] = max(seen[k], n)
        assert transcript.seen == seen


def test_a_key_is_role_words_calls_and_results() -> None:
    said = Message("model", [Part("text", text="  Sunny\n in   Paris ")])
    assert key(said) == ("assistant", "Sunny in Paris", (), ())  # any speaker not user, tool or system
    for role in ("user", "tool", "system"):
        assert key(Message(role, [Part("text", text="x")]))[0] == role
    asked = Message("assistant", [Part("tool_call", id="c1", name="get_weather"), Part("tool_call", name="lookup")])
    assert key(asked) == ("assistant", "", ("c1", "lookup"), ())
    answered = Message("tool", [Part("tool_result", id="c1", text="18C"), Part("tool_result", name="lookup")])
    assert key(answered) == ("tool", "", (), ("c1", "lookup"))


def test_the_current_turn_is_the_last_run_of_user_messages_and_what_follows() -> None:
    from tracechat.query.transcript import current_turn

    u1, a1, u2, u3, a2 = (_message(t) for t in ("a", "A", "b", "c", "B"))
    assert current_turn([u1, a1, u2, u3, a2]) == [u2, u3, a2]
    assert current_turn([u1, a1, u2]) == [u2]
    assert current_turn([u1, u2]) == [u1, u2]
    assert current_turn([a1, a2]) == [a1, a2]  # no user message: all of it
    assert current_turn([]) == []
