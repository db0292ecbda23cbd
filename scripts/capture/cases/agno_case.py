"""An Agno agent with a tool, traced by openinference-instrumentation-agno.

AgnoInstrumentor().instrument(tracer_provider=...) wraps the agent run, the model calls and
the tool calls. The model is Agno's `OpenAIChat` (chat completions, non-streaming) pointed at
the fake server. The user asks the weather in Paris, the model calls get_weather, Agno runs
it, then the model answers from the result.

    agno_case.py          # agent.run(question)
    agno_case.py stream   # agent.run(question, stream=True): the model streamed
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
    if sys.argv[1:] == ["stream"]:
        answer = "".join(str(event.content or "") for event in agent.run(c.QUESTION, stream=True))
    else:
        answer = agent.run(c.QUESTION).content
    print(f"answer: {answer}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
