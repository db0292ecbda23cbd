"""smolagents ToolCallingAgent with a tool, traced by openinference-instrumentation-smolagents.

SmolagentsInstrumentor().instrument(tracer_provider=...) wraps the agent run, each step, the
model calls and the tool calls. The model is `OpenAIServerModel` (chat completions,
non-streaming) pointed at the fake server. The user asks the weather in Paris, the model
calls get_weather, the agent runs it, then the model calls smolagents' `final_answer` tool
with the answer text (a ToolCallingAgent always ends that way), which ends the run.
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    tp = c.make_tracer_provider("weather-agent")

    from openinference.instrumentation.smolagents import SmolagentsInstrumentor

    SmolagentsInstrumentor().instrument(tracer_provider=tp)

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
    answer = agent.run(c.QUESTION)
    print(f"answer: {answer}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
