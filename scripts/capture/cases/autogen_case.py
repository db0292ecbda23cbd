"""AutoGen agentchat 0.7: one AssistantAgent with a tool, or a Swarm team with a handoff.

Tracing as AutoGen documents it: its own OpenTelemetry spans (autogen-core's runtime
messaging spans and agentchat's GenAI `create_agent` / `invoke_agent` / `execute_tool`
spans, from the global TracerProvider) plus OpenLLMetry's `opentelemetry-instrumentation-openai`
for the model calls (AutoGen's OpenAI client makes no span of its own); the run is wrapped
in one span of the application's (`run weather team`), as AutoGen's tracing guide does.

    autogen_case.py agent   # AssistantAgent("weather_agent", tools=[get_weather]).run(task=...)
    autogen_case.py swarm   # Swarm([triage_agent -> handoff weather_agent, weather_agent])
    autogen_case.py swarm openinference   # the same traced by openinference-instrumentation-autogen-agentchat
"""

from __future__ import annotations

import asyncio
import os
import sys

import _common as c


async def run(mode: str) -> None:
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.conditions import MaxMessageTermination, TextMessageTermination
    from autogen_agentchat.teams import Swarm
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return c.get_weather(city)

    client = OpenAIChatCompletionClient(
        model=c.MODEL, base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"]
    )
    if mode == "agent":
        agent = AssistantAgent(
            "weather_agent",
            model_client=client,
            tools=[get_weather],
            system_message=c.SYSTEM_PROMPT,
            reflect_on_tool_use=True,
        )
        result = await agent.run(task=c.QUESTION)
    else:
        triage = AssistantAgent(
            "triage_agent",
            model_client=client,
            handoffs=["weather_agent"],
            description="Routes each question to the agent that can answer it.",
            system_message="You are a triage agent. Hand weather questions off to weather_agent.",
        )
        weather = AssistantAgent(
            "weather_agent",
            model_client=client,
            tools=[get_weather],
            description="Answers questions about the current weather in a city.",
            system_message=c.SYSTEM_PROMPT,
            reflect_on_tool_use=True,
        )
        stop = TextMessageTermination("weather_agent") | MaxMessageTermination(10)
        result = await Swarm([triage, weather], termination_condition=stop).run(task=c.QUESTION)
    for message in result.messages:
        print(f"{type(message).__name__} {message.source}: {message.to_text()[:200]}")
    await client.close()


def main() -> int:
    tp = c.make_tracer_provider("weather-autogen")

    if "openinference" in sys.argv[2:]:
        # OpenInference's AutoGen instrumentation instead of AutoGen's own spans + OpenLLMetry
        from openinference.instrumentation.autogen_agentchat import AutogenAgentChatInstrumentor

        os.environ["AUTOGEN_DISABLE_RUNTIME_TRACING"] = "true"
        AutogenAgentChatInstrumentor().instrument(tracer_provider=tp)
    else:
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=tp)
    # As AutoGen's tracing guide does: the whole run inside one span of the application's.
    with tp.get_tracer("weather-autogen").start_as_current_span("run weather team"):
        asyncio.run(run(sys.argv[1] if len(sys.argv) > 1 else "agent"))
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
