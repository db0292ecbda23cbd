"""A CrewAI crew that delegates, traced by OpenInference or by OpenLLMetry.

    crewai_case.py openinference   # openinference-instrumentation-crewai (+ -openai for the model calls)
    crewai_case.py openllmetry     # opentelemetry-instrumentation-crewai (+ traceloop -openai)

The crew: a `Travel coordinator` (allow_delegation=True, no tools of its own) has one task,
the user's weather question; a `Weather specialist` with the get_weather tool does the
lookup when the coordinator delegates to it through CrewAI's "Delegate work to coworker"
tool. The LLM is CrewAI's native OpenAI provider (`LLM(model="gpt-4o-mini", base_url=...)`)
against the fake server. CrewAI's own telemetry is off (CREWAI_DISABLE_TELEMETRY, OTEL_SDK_DISABLED
is not used because it would switch off the SDK the case exports with).
"""

from __future__ import annotations

import os
import sys

import _common as c


def run() -> None:
    from crewai import LLM, Agent, Crew, Process, Task
    from crewai.tools import tool

    @tool("get_weather")
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return c.get_weather(city)

    llm = LLM(model=c.MODEL, base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])
    specialist = Agent(
        role="Weather specialist",
        goal="Look up the current weather in a city with the get_weather tool.",
        backstory=c.SYSTEM_PROMPT,
        tools=[get_weather],
        llm=llm,
        allow_delegation=False,
        verbose=False,
    )
    coordinator = Agent(
        role="Travel coordinator",
        goal="Answer the traveller's question, delegating weather lookups to the Weather specialist.",
        backstory="You coordinate a small travel desk and delegate weather questions.",
        llm=llm,
        allow_delegation=True,
        verbose=False,
    )
    task = Task(
        description=c.QUESTION,
        expected_output="One short sentence about the current weather.",
        agent=coordinator,
    )
    crew = Crew(agents=[coordinator, specialist], tasks=[task], process=Process.sequential, verbose=False)
    print(f"answer: {crew.kickoff()}")


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "openinference"
    tp = c.make_tracer_provider("weather-crew")
    if mode == "openinference":
        from openinference.instrumentation.crewai import CrewAIInstrumentor
        from openinference.instrumentation.openai import OpenAIInstrumentor

        CrewAIInstrumentor().instrument(tracer_provider=tp)
        OpenAIInstrumentor().instrument(tracer_provider=tp)
    else:
        from opentelemetry.instrumentation.crewai import CrewAIInstrumentor
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor

        CrewAIInstrumentor().instrument(tracer_provider=tp)
        OpenAIInstrumentor().instrument(tracer_provider=tp)
    run()
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
