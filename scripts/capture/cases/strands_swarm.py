"""A strands-agents Swarm of two agents: a triage agent hands off to a weather agent.

Same tracing as strands_agents.py (global TracerProvider, OTEL_SEMCONV_STABILITY_OPT_IN from
cases.toml). The Swarm gives every agent its `handoff_to_agent(agent_name, message, context)`
tool and passes each agent a text naming the others; the fake model has the triage agent call
it for weather_agent, the triage agent then says so, and the swarm runs weather_agent, which
calls get_weather and answers.
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    tp = c.make_tracer_provider("weather-swarm")

    from strands import Agent, tool
    from strands.models.openai import OpenAIModel
    from strands.multiagent import Swarm

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        return c.get_weather(city)

    def model() -> OpenAIModel:
        return OpenAIModel(
            client_args={"base_url": os.environ["OPENAI_BASE_URL"], "api_key": os.environ["OPENAI_API_KEY"]},
            model_id=c.MODEL,
        )

    triage = Agent(
        name="triage_agent",
        description="Routes each question to the agent that can answer it.",
        system_prompt="You are a triage agent. Hand weather questions off to weather_agent.",
        model=model(),
        callback_handler=None,
    )
    weather = Agent(
        name="weather_agent",
        description="Answers questions about the current weather in a city.",
        system_prompt=c.SYSTEM_PROMPT,
        tools=[get_weather],
        model=model(),
        callback_handler=None,
    )
    swarm = Swarm([triage, weather], entry_point=triage, max_handoffs=4, max_iterations=6)
    result = swarm(c.QUESTION)
    print(f"status: {result.status}")
    for node_id, node_result in result.results.items():
        print(f"{node_id}: {node_result.result}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
