"""An Agno agent with a tool, traced by openinference-instrumentation-agno.

AgnoInstrumentor().instrument(tracer_provider=...) wraps the agent run, the model calls and
the tool calls. The model is Agno's `OpenAIChat` (chat completions, non-streaming) pointed at
the fake server. The user asks the weather in Paris, the model calls get_weather, Agno runs
it, then the model answers from the result.
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    tp = c.make_tracer_provider("weather-agent")

    from openinference.instrumentation.agno import AgnoInstrumentor

    AgnoInstrumentor().instrument(tracer_provider=tp)

    from agno.agent import Agent
    from agno.models.openai import OpenAIChat

    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        return c.get_weather(city)

    agent = Agent(
        name="weather_agent",
        model=OpenAIChat(id=c.MODEL, base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"]),
        tools=[get_weather],
        instructions=c.SYSTEM_PROMPT,
        telemetry=False,
    )
    result = agent.run(c.QUESTION)
    print(f"answer: {result.content}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
