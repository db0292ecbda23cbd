"""pydantic-ai Agent with a tool, using its built-in OpenTelemetry instrumentation.

Agent.instrument_all(InstrumentationSettings(tracer_provider=...)) with default settings (data
format version 5), an OpenAIChatModel (chat completions) pointed at the fake server.
Instructions, user asks the weather in Paris, the model calls get_weather, the agent runs
it, the model answers.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import _common as c


def weather_agent(tp: Any) -> Any:
    """The instrumented weather agent (on every Agent: ``instrument_all``) with its tool."""
    from pydantic_ai import Agent
    from pydantic_ai.models.instrumented import InstrumentationSettings
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    model = OpenAIChatModel(
        c.MODEL,
        provider=OpenAIProvider(base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"]),
    )
    # (this version has no Agent(instrument=...) argument any more; instrument_all is the
    # documented switch, and Agent(capabilities=[Instrumentation(...)]) the per-agent one)
    Agent.instrument_all(InstrumentationSettings(tracer_provider=tp))
    agent = Agent(model, name="weather_agent", instructions=c.SYSTEM_PROMPT)

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        return c.get_weather(city)

    return agent


def main() -> int:
    tp = c.make_tracer_provider("weather-agent")
    result = weather_agent(tp).run_sync(c.QUESTION)
    print(f"answer: {result.output}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
