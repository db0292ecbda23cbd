"""What the smolagents cases share: the ToolCallingAgent asked the weather in Paris. smolagents
is imported when called, after the case has instrumented it."""

from __future__ import annotations

import os

import _common as c


def run_weather_agent() -> str:
    """A ToolCallingAgent `weather_agent` with a smolagents `@tool` get_weather, its model an
    OpenAIServerModel (chat completions) at the fake server, run on the question: its answer."""
    from smolagents import OpenAIServerModel, ToolCallingAgent, tool

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        return c.get_weather(city)

    model = OpenAIServerModel(
        model_id=c.MODEL, api_base=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"]
    )
    agent = ToolCallingAgent(
        tools=[get_weather],
        model=model,
        name="weather_agent",
        instructions=c.SYSTEM_PROMPT,
        max_steps=4,
        verbosity_level=0,
    )
    return str(agent.run(c.QUESTION))
