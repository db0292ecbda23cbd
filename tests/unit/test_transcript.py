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
