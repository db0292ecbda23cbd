"""AgentScope 2.x: its ReAct `Agent` with AgentScope's own OpenTelemetry tracing.

    agentscope_case.py

AgentScope 2.x has one agent class, `agentscope.agent.Agent`, which runs the reasoning-acting
(ReAct) loop; its tracing is the `agentscope.middleware.TracingMiddleware` given to the agent
(spans on the `agentscope` tracer of the global TracerProvider: `invoke_agent`, `chat`,
`execute_tool`, OTel GenAI attributes). The model is `OpenAIChatModel` (chat completions,
AgentScope's default streaming) with an `OpenAICredential` whose `base_url` is the fake server.

Two user turns on one agent: the weather in Paris, where `get_weather` raises the first time
(the model calls it again), then the weather in London.
"""

from __future__ import annotations

import asyncio
import os

import _common as c


async def run() -> None:
    from agentscope.agent import Agent
    from agentscope.credential import OpenAICredential
    from agentscope.message import Msg, TextBlock
    from agentscope.middleware import TracingMiddleware
    from agentscope.model import OpenAIChatModel
    from agentscope.permission import PermissionBehavior, PermissionDecision
    from agentscope.tool import FunctionTool, Toolkit

    calls: list[str] = []

    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city (`str`):
                City name, e.g. Paris
        """
        calls.append(city)
        if len(calls) == 1:
            raise RuntimeError(f"weather service error: unavailable for {city}, try again")
        return c.get_weather(city)

    allow = PermissionDecision(behavior=PermissionBehavior.ALLOW, message="get_weather is always allowed.")
    toolkit = Toolkit(tools=[FunctionTool(get_weather, permission=allow)])
    model = OpenAIChatModel(
        credential=OpenAICredential(api_key=os.environ["OPENAI_API_KEY"], base_url=os.environ["OPENAI_BASE_URL"]),
        model=c.MODEL,
    )
    agent = Agent(
        name="weather_agent",
        system_prompt=c.SYSTEM_PROMPT,
        model=model,
        toolkit=toolkit,
        middlewares=[TracingMiddleware()],
    )
    for question in (c.QUESTION, c.FOLLOW_UP):
        msg = Msg(name="user", role="user", content=[TextBlock(text=question)])
        answer = await agent.reply(msg)
        print(f"answer: {answer.content}")


def main() -> None:
    provider = c.make_tracer_provider("agentscope-weather")
    try:
        asyncio.run(run())
    finally:
        c.shutdown(provider)


if __name__ == "__main__":
    main()
