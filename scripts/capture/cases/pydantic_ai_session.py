"""pydantic-ai, two turns of one conversation: each `run_sync` is its own trace.

As pydantic_ai_case.py (built-in instrumentation, OpenAIChatModel on the fake server), then
a second run with `message_history=first.all_messages()`: pydantic-ai carries the first
run's `conversation_id` over from the history, so both traces' agent spans name the same
`gen_ai.conversation.id`, and the second run's model calls re-send the first turn.
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    tp = c.make_tracer_provider("weather-agent-session")

    from pydantic_ai import Agent
    from pydantic_ai.models.instrumented import InstrumentationSettings
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    model = OpenAIChatModel(
        c.MODEL,
        provider=OpenAIProvider(base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"]),
    )
    Agent.instrument_all(InstrumentationSettings(tracer_provider=tp))
    agent = Agent(model, name="weather_agent", instructions=c.SYSTEM_PROMPT)

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        return c.get_weather(city)

    first = agent.run_sync(c.QUESTION)
    print(f"answer: {first.output}")
    second = agent.run_sync(c.FOLLOW_UP, message_history=first.all_messages())
    print(f"answer: {second.output}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
