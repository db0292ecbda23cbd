"""What the openai-agents SDK cases share: the triage agent handing off to the weather agent,
and a run under OpenInference's instrumentor. The SDK is imported when called, after the case
has instrumented it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import _common as c


def triage_agent() -> Any:
    """A triage agent whose one handoff (transfer_to_weather_agent) is the weather agent,
    which calls the get_weather function tool."""
    from agents import Agent, function_tool

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
    return Agent(
        name="Triage Agent",
        instructions="You are a triage agent. Hand weather questions off to the Weather Agent.",
        model=c.MODEL,
        handoffs=[weather_agent],
    )


def run_with_openinference(service_name: str, run: Callable[[], Awaitable[list[str]]]) -> int:
    """Instrument the SDK with OpenInference (its processor replacing the SDK's own, so
    nothing goes to the SDK's default backend), run, print the answers, flush."""
    tp = c.make_tracer_provider(service_name)

    from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    OpenAIAgentsInstrumentor().instrument(tracer_provider=tp, exclusive_processor=True)
    for answer in asyncio.run(run()):
        print(f"answer: {answer}")
    c.shutdown(tp)
    return 0
