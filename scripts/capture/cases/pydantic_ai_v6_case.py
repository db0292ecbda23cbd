"""pydantic-ai's newest instrumentation data format (version 6, opt-in) on agent delegation
with a tool that fails once.

`Agent.instrument_all(InstrumentationSettings(tracer_provider=..., version=6))`: version 6
sends tool results as `role: tool` messages (5: `role: user`) and retry feedback that answers
no tool call as `role: system`. Scenario, pydantic-ai's documented "agent delegation": a
`travel_agent` whose tool `ask_weather_agent(task)` runs a second agent, `weather_agent`
(`usage=ctx.usage`, as the docs do); the weather agent's `get_weather` raises `ModelRetry` the
first time (the weather service is down), pydantic-ai tells the model so, the model calls the
tool again, it answers, the weather agent answers, the travel agent passes the answer on.
"""

# (no `from __future__ import annotations`: pydantic-ai reads the tool's annotations at run
# time, and RunContext is imported inside main)
import os
import sys

import _common as c

TRAVEL_PROMPT = (
    "You are a travel assistant. Ask the weather agent for the weather with ask_weather_agent, "
    "then answer the traveller in one short sentence."
)


def main() -> int:
    from pydantic_ai import Agent, ModelRetry, RunContext
    from pydantic_ai.models.instrumented import InstrumentationSettings
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    tp = c.make_tracer_provider("travel-agent")
    Agent.instrument_all(InstrumentationSettings(tracer_provider=tp, version=6))
    model = OpenAIChatModel(
        c.MODEL,
        provider=OpenAIProvider(base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"]),
    )
    weather_agent = Agent(model, name="weather_agent", instructions=c.SYSTEM_PROMPT)
    travel_agent = Agent(model, name="travel_agent", instructions=TRAVEL_PROMPT)
    failures = {"left": 1}

    @weather_agent.tool_plain
    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        if failures["left"]:
            failures["left"] -= 1
            raise ModelRetry(f"weather service error: no answer for {city}, try again")
        return c.get_weather(city)

    @travel_agent.tool
    async def ask_weather_agent(ctx: RunContext[None], task: str) -> str:
        """Ask the weather agent to find the current weather somewhere.

        Args:
            task: What the weather agent should find out.
        """
        result = await weather_agent.run(task, usage=ctx.usage)
        return result.output

    result = travel_agent.run_sync(c.QUESTION)
    print(f"answer: {result.output}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
