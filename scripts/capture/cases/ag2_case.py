"""AG2 (the `ag2` package, 1.x) with its own OpenTelemetry middleware, against the fake model.

    ag2_case.py tool-error   one agent whose get_weather fails once, then succeeds
    ag2_case.py subagent     a travel agent delegating to a weather agent exposed with as_tool()

AG2's tracing is a middleware, `ag2.middleware.builtin.TelemetryMiddleware`, given to each agent
(its `agent_name` names the agent in the spans, as AG2's own eval runner passes `agent.name`).
"""

from __future__ import annotations

import asyncio
import os
import sys

from _common import MODEL, QUESTION, SYSTEM_PROMPT, get_weather, make_tracer_provider
from ag2 import Agent
from ag2.config import OpenAIConfig
from ag2.middleware.builtin import TelemetryMiddleware

FAILURES = {"left": 1}


def weather_tool(city: str) -> str:
    """Get the current weather for a city."""
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise RuntimeError(f"weather service unavailable for {city}, try again")
    return get_weather(city)


weather_tool.__name__ = "get_weather"


def config() -> OpenAIConfig:
    return OpenAIConfig(model=MODEL, base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])


def telemetry(provider, name: str) -> TelemetryMiddleware:
    return TelemetryMiddleware(tracer_provider=provider, agent_name=name, provider_name="openai", model_name=MODEL)


async def tool_error(provider) -> None:
    agent = Agent(
        "weather_agent",
        prompt=SYSTEM_PROMPT,
        config=config(),
        tools=[weather_tool],
        middleware=[telemetry(provider, "weather_agent")],
    )
    reply = await agent.ask(QUESTION)
    print("answer:", reply.body)


async def subagent(provider) -> None:
    FAILURES["left"] = 0
    weather = Agent(
        "weather_agent",
        prompt=SYSTEM_PROMPT,
        config=config(),
        tools=[weather_tool],
        middleware=[telemetry(provider, "weather_agent")],
    )
    travel = Agent(
        "travel_agent",
        prompt="You help travellers. Delegate weather questions to the weather agent, then pass its answer on.",
        config=config(),
        tools=[weather.as_tool(name="ask_weather_agent", description="Ask the weather agent about current weather.")],
        middleware=[telemetry(provider, "travel_agent")],
    )
    reply = await travel.ask(QUESTION)
    print("answer:", reply.body)


def main() -> None:
    provider = make_tracer_provider("ag2-case")
    scenario = {"tool-error": tool_error, "subagent": subagent}[sys.argv[1]]
    try:
        asyncio.run(scenario(provider))
    finally:
        provider.force_flush()
        provider.shutdown()


if __name__ == "__main__":
    main()
