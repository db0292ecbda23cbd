"""Which messages of a model call's input are new to the conversation read so far.

Every model call repeats the history in its input. Messages are compared by a key that
survives re-rendering (role, trimmed text, tool call ids or names, tool result ids), and a
multiset of the keys already read tells the new ones apart, whether the input extends the
history, leaves part of it out, or reorders it.
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass, field

from tracechat.genai.types import Message

Key = tuple[str, str, tuple[str, ...], tuple[str, ...]]


def key(message: Message) -> Key:
    if message.key is None:
        role = "assistant" if message.role not in ("user", "tool", "system") else message.role
        body = " ".join(" ".join(message.texts()).split())
        calls = tuple(p.id or p.name or "" for p in message.of_kind("tool_call"))
        results = tuple(p.id or p.name or "" for p in message.of_kind("tool_result"))
        message.key = (role, body, calls, results)
    return message.key


def conversation(messages: list[Message]) -> list[Message]:
    """The messages that are conversation, not instructions."""
    return [m for m in messages if m.role != "system"]


@dataclass(slots=True)
class Transcript:
    seen: Counter[Key] = field(default_factory=Counter)
    # The input absorbed last and its key counts. The next model call's input usually starts
    # with the very same Message objects (genai.messages.PrefixCache shares them), so only
    # what follows them needs looking at: linear in the conversation, not quadratic.
    _last: list[Message] = field(default_factory=list)
    _last_counts: Counter[Key] = field(default_factory=Counter)

    def __bool__(self) -> bool:
        return bool(self.seen)

    def new_messages(self, messages: list[Message]) -> list[Message]:
        remaining: Counter[Key]
        if self._extends_last(messages):
            # every message of the last input was absorbed, so all of them are known here
            start, remaining = len(self._last), Counter()
            for k in {key(m) for m in messages[start:]}:
                remaining[k] = self.seen[k] - self._last_counts[k]
        else:
            start, remaining = 0, Counter(self.seen)
        fresh = []
        for message in messages[start:]:
            k = key(message)
            if remaining[k] > 0:
                remaining[k] -= 1
            else:
                fresh.append(message)
        return fresh

    def known(self, message: Message) -> bool:
        return self.seen[key(message)] > 0

    def add(self, messages: list[Message]) -> None:
        for message in messages:
            self.seen[key(message)] += 1

    def absorb(self, messages: list[Message]) -> None:
        """Make every message of an input known (at least as often as it appears there)."""
        if self._extends_last(messages):
            counts = self._last_counts  # the last input's own: extended in place, not copied
            added = [key(m) for m in messages[len(self._last) :]]
        else:
            counts = Counter()
            added = [key(m) for m in messages]
        counts.update(added)
        for k in set(added):
            self.seen[k] = max(self.seen[k], counts[k])
        self._last, self._last_counts = list(messages), counts

    def _extends_last(self, messages: list[Message]) -> bool:
        last = self._last
        return bool(last) and len(messages) >= len(last) and all(map(operator.is_, messages, last))


def current_turn(messages: list[Message]) -> list[Message]:
    """The first input of a trace may carry earlier turns: keep the last run of user messages
    and what follows it (the turn this trace serves)."""
    start = None
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user":
            start = index
        elif start is not None:
            break
    return messages if start is None else messages[start:]
