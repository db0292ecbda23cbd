"""openai-agents SDK + openinference-instrumentation-openai-agents.

A triage agent hands off to a weather agent (handoff tool transfer_to_weather_agent); the
weather agent calls the get_weather function tool and answers. The SDK talks to the fake
server with the Responses API (POST /v1/responses, non-streaming Runner.run).
The instrumentor replaces the SDK's own trace processors (exclusive_processor=True), so
nothing is sent to the SDK's default trace backend.
"""

from __future__ import annotations

import asyncio
import sys

import _common as c


async def run() -> str:
    from agents import Agent, Runner, function_tool

    @function_tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        return c.get_weather(city)

    weather_agent = Agent(
        name="Weather Agent",
        handoff_description="Answers questions about the current weather in a city.",
        instructions=c.SYSTEM_PROMPT,
        model=c.MODEL,
        tools=[get_weather],
    )
    triage_agent = Agent(
        name="Triage Agent",
        instructions="You are a triage agent. Hand weather questions off to the Weather Agent.",
        model=c.MODEL,
        handoffs=[weather_agent],
    )
    result = await Runner.run(triage_agent, c.QUESTION, max_turns=6)
    return str(result.final_output)


def main() -> int:
    tp = c.make_tracer_provider("weather-agents")

    from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    OpenAIAgentsInstrumentor().instrument(tracer_provider=tp, exclusive_processor=True)
    answer = asyncio.run(run())
    print(f"answer: {answer}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
