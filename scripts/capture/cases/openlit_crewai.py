"""OpenLIT on a CrewAI crew: one agent (`weather_agent`) with get_weather, one task, two kickoffs.

`openlit.init(otlp_endpoint=<sink>, disable_metrics=True, capture_message_content=True)` sets up
its own providers and instruments every library it finds installed: here CrewAI (OpenLIT's own
crewai instrumentation) and the `openai` client under CrewAI's native OpenAI provider. The task's
description is the user's question (a `{question}` input): the first kickoff asks the weather in
Paris, the second the follow-up about London (CrewAI keeps no history between kickoffs: the crew
has no memory). The first get_weather call raises, as a failing CrewAI tool does; CrewAI hands the
error back to the model, which calls the tool again.
"""

from __future__ import annotations

import os
import sys

import _common as c
from _global_otel import openlit_init, shutdown_global

FAILURES = {"left": 1}


def run() -> None:
    from crewai import LLM, Agent, Crew, Process, Task
    from crewai.tools import tool

    @tool("get_weather")
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        if FAILURES["left"] > 0:
            FAILURES["left"] -= 1
            raise RuntimeError(f"weather service unavailable for {city}, try again")
        return c.get_weather(city)

    llm = LLM(model=c.MODEL, base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])
    agent = Agent(
        role="weather_agent",
        goal="Answer the user's weather question with the get_weather tool.",
        backstory=c.SYSTEM_PROMPT,
        tools=[get_weather],
        llm=llm,
        allow_delegation=False,
        verbose=False,
    )
    task = Task(
        description="{question}",
        expected_output="One short sentence about the current weather.",
        agent=agent,
    )
    crew = Crew(agents=[agent], tasks=[task], process=Process.sequential, verbose=False)
    for question in (c.QUESTION, c.FOLLOW_UP):
        print(f"answer: {crew.kickoff(inputs={'question': question})}")


def main() -> int:
    openlit_init("weather-crew")
    run()
    shutdown_global(logs=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
