"""An Agno Team whose leader delegates to a member agent, traced by openinference-instrumentation-agno.

The team (`Team(name="travel_team", members=[weather_agent])`, Agno's default coordinate
mode) offers its leader Agno's `delegate_task_to_member(member_id, task)` tool; the member
`weather_agent` has get_weather. The leader delegates the weather lookup, the member calls
get_weather and answers, and the leader answers the user with the member's result: control
comes back to the leader (an agent used as a tool, not a handoff).
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    tp = c.make_tracer_provider("weather-team")

    from openinference.instrumentation.agno import AgnoInstrumentor

    AgnoInstrumentor().instrument(tracer_provider=tp)

    from agno.agent import Agent
    from agno.models.openai import OpenAIChat
    from agno.team import Team

    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        return c.get_weather(city)

    def model() -> OpenAIChat:
        return OpenAIChat(id=c.MODEL, base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])

    weather_agent = Agent(
        name="weather_agent",
        role="Looks up the current weather in a city.",
        model=model(),
        tools=[get_weather],
        instructions=c.SYSTEM_PROMPT,
        telemetry=False,
    )
    team = Team(
        name="travel_team",
        members=[weather_agent],
        model=model(),
        instructions="You coordinate a travel desk. Delegate weather questions to the weather agent.",
        telemetry=False,
    )
    result = team.run(c.QUESTION)
    print(f"answer: {result.content}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
