"""A Microsoft Agent Framework agent with a tool, traced by the framework's own OTel GenAI spans.

Agent Framework instruments itself (`agent_framework.observability`): `invoke_agent`, `chat`
and `execute_tool` spans on the global TracerProvider. `enable_instrumentation(
enable_sensitive_data=True)` turns on content capture (messages, tool arguments and results).
The model client is `OpenAIChatCompletionClient` (chat completions, non-streaming) pointed at
the fake server. The user asks the weather in Paris, the model calls get_weather, the agent
runs it, then the model answers from the result.

    maf_case.py           # that agent
    maf_case.py as-tool   # a travel_coordinator agent with weather_agent.as_tool() as its tool
    maf_case.py responses-stream   # that agent on OpenAIChatClient (Responses API), streamed
    maf_case.py tool-error   # that agent, its tool failing the first time (the model tries again)
"""

from __future__ import annotations

import asyncio
import os
import sys

import _common as c


async def run(mode: str) -> str:
    from agent_framework import Agent, tool
    from agent_framework.openai import OpenAIChatClient, OpenAIChatCompletionClient

    calls = []

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        calls.append(city)
        if mode == "tool-error" and len(calls) == 1:
            raise TimeoutError("weather service did not answer in time")
        return c.get_weather(city)

    settings = {"model": c.MODEL, "base_url": os.environ["OPENAI_BASE_URL"], "api_key": os.environ["OPENAI_API_KEY"]}
    client = OpenAIChatClient(**settings) if mode == "responses-stream" else OpenAIChatCompletionClient(**settings)
    agent = Agent(
        client=client,
        name="weather_agent",
        description="Looks up the current weather in a city.",
        instructions=c.SYSTEM_PROMPT,
        tools=[get_weather],
    )
    if mode == "as-tool":
        # a coordinator that uses weather_agent as a tool: control comes back to it
        agent = Agent(
            client=client,
            name="travel_coordinator",
            instructions="You coordinate a travel desk. Ask the weather agent about the weather.",
            tools=[agent.as_tool()],
        )
    if mode == "responses-stream":
        return "".join([update.text async for update in agent.run(c.QUESTION, stream=True)])
    result = await agent.run(c.QUESTION)
    return result.text


def main() -> int:
    tp = c.make_tracer_provider("weather-agent")

    from agent_framework.observability import enable_instrumentation

    enable_instrumentation(enable_sensitive_data=True)
    answer = asyncio.run(run(sys.argv[1] if sys.argv[1:] else "agent"))
    print(f"answer: {answer}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
