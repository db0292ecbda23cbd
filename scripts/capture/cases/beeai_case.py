"""A BeeAI Framework RequirementAgent with a tool, traced by openinference-instrumentation-beeai.

BeeAIInstrumentor().instrument(tracer_provider=...) hooks BeeAI's event emitter: the agent
run, the model calls and the tool runs. The model is BeeAI's `OpenAIChatModel` (LiteLLM
underneath) pointed at the fake server. A RequirementAgent answers through its own
`final_answer` tool (`{"response": ...}`): the model calls get_weather, BeeAI runs it, then
the model calls final_answer with the answer, which ends the run.

    beeai_case.py           # that agent
    beeai_case.py handoff   # a travel_coordinator delegating to it through HandoffTool
"""

from __future__ import annotations

import asyncio
import os
import sys

import _common as c


async def run(mode: str) -> str:
    from beeai_framework.adapters.openai import OpenAIChatModel
    from beeai_framework.agents.requirement import RequirementAgent
    from beeai_framework.tools import StringToolOutput, tool
    from beeai_framework.tools.handoff import HandoffTool

    @tool
    def get_weather(city: str) -> StringToolOutput:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        return StringToolOutput(c.get_weather(city))

    # BeeAI does not know which tool_choice values an OpenAI-compatible server at a custom
    # base_url takes, and would ask for tool calls as a JSON response_format instead: keep
    # native tool calling (the documented switch).
    llm = OpenAIChatModel(
        c.MODEL,
        base_url=os.environ["OPENAI_BASE_URL"],
        api_key=os.environ["OPENAI_API_KEY"],
        tool_call_fallback_via_response_format=False,
    )
    agent = RequirementAgent(
        llm=llm,
        tools=[get_weather],
        name="weather_agent",
        description="Looks up the current weather in a city.",
        instructions=c.SYSTEM_PROMPT,
    )
    if mode == "handoff":
        # a coordinator that delegates to weather_agent through BeeAI's HandoffTool: the
        # member runs inside the tool and its answer is the tool's result
        agent = RequirementAgent(
            llm=llm,
            tools=[HandoffTool(agent)],
            name="travel_coordinator",
            instructions="You coordinate a travel desk. Delegate weather questions to the weather agent.",
        )
    response = await agent.run(c.QUESTION)
    return response.last_message.text


def main() -> int:
    tp = c.make_tracer_provider("weather-agent")

    from openinference.instrumentation.beeai import BeeAIInstrumentor

    BeeAIInstrumentor().instrument(tracer_provider=tp)
    answer = asyncio.run(run(sys.argv[1] if sys.argv[1:] else "agent"))
    print(f"answer: {answer}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
