"""Which messages of a model call's input are new to the conversation read so far.

Every model call repeats the history in its input. Messages are compared by a key that
survives re-rendering (role, trimmed text, tool call ids or names, tool result ids), and a
multiset of the keys already read tells the new ones apart, whether the input extends the
history, leaves part of it out, or reorders it.
"""

from __future__ import annotations

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

    def __bool__(self) -> bool:
        return bool(self.seen)

    def new_messages(self, messages: list[Message]) -> list[Message]:
        remaining = Counter(self.seen)
        fresh = []
        for message in messages:
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
        counts = Counter(key(m) for m in messages)
        for k, n in counts.items():
            self.seen[k] = max(self.seen[k], n)


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
