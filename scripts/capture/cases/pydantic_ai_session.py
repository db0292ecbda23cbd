"""pydantic-ai, two turns of one conversation: each `run_sync` is its own trace.

As pydantic_ai_case.py (built-in instrumentation, OpenAIChatModel on the fake server), then
a second run with `message_history=first.all_messages()`: pydantic-ai carries the first
run's `conversation_id` over from the history, so both traces' agent spans name the same
`gen_ai.conversation.id`, and the second run's model calls re-send the first turn.
"""

from __future__ import annotations

import sys

import _common as c
from pydantic_ai_case import weather_agent


def main() -> int:
    tp = c.make_tracer_provider("weather-agent-session")

    agent = weather_agent(tp)
    first = agent.run_sync(c.QUESTION)
    print(f"answer: {first.output}")
    second = agent.run_sync(c.FOLLOW_UP, message_history=first.all_messages())
    print(f"answer: {second.output}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
