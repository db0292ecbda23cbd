"""OpenLIT on the openai-agents SDK: a triage agent hands off to a weather agent.

`openlit.init(otlp_endpoint=<sink>)` instruments every library it finds installed: here the
openai-agents SDK (its trace processor) and the openai client under it (Responses API,
non-streaming Runner.run). Metrics are off; message content is captured (OpenLIT's default).
The triage agent hands off to the weather agent (handoff tool transfer_to_weather_agent); the
weather agent calls get_weather and answers.
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
    import openlit

    openlit.init(
        application_name="weather-agents",
        environment="capture",
        otlp_endpoint=c.otlp_base(),
        disable_metrics=True,
        capture_message_content=True,
    )
    answer = asyncio.run(run())
    print(f"answer: {answer}")
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    provider.force_flush()  # type: ignore[attr-defined]
    provider.shutdown()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
