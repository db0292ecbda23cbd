"""OpenLLMetry's LangChain instrumentation (traceloop) on two LangGraph prebuilt agents.

Traceloop.init(instruments={LANGCHAIN}) wraps LangChain's callback manager with
opentelemetry-instrumentation-langchain's handler (no OpenAI client instrumentation: the model
calls are recorded by the LangChain handler alone). A `travel_agent` (create_react_agent)
has one tool, `ask_weather_expert(task)`, which runs a second agent, `weather_expert`
(create_react_agent with get_weather), and returns its last message: an agent used as a
tool, where control comes back to the caller. The user asks the weather in Paris.
"""

from __future__ import annotations

import os
import sys

import _common as c
from _global_otel import shutdown_global, traceloop_init


def main() -> int:
    from traceloop.sdk.instruments import Instruments

    traceloop_init("travel-assistant", {Instruments.LANGCHAIN})

    from langchain_core.messages import AIMessage
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from langgraph.prebuilt import create_react_agent

    def model() -> ChatOpenAI:
        return ChatOpenAI(model=c.MODEL, base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])

    @tool("get_weather", description=c.WEATHER_TOOL["function"]["description"])
    def get_weather(city: str) -> str:
        return c.get_weather(city)

    weather_expert = create_react_agent(
        model(),
        [get_weather],
        prompt="You are a weather expert. Look the weather up with get_weather and report it in one sentence.",
        name="weather_expert",
    )

    @tool("ask_weather_expert", description="Ask the weather expert agent to do a task; returns its answer.")
    def ask_weather_expert(task: str) -> str:
        state = weather_expert.invoke({"messages": [{"role": "user", "content": task}]})
        return str(state["messages"][-1].content)

    travel_agent = create_react_agent(
        model(),
        [ask_weather_expert],
        prompt="You are a travel assistant. For weather questions, ask the weather expert.",
        name="travel_agent",
    )
    state = travel_agent.invoke({"messages": [{"role": "user", "content": c.QUESTION}]}, {"recursion_limit": 10})
    last = state["messages"][-1]
    if not isinstance(last, AIMessage) or last.tool_calls or not last.content:
        print(f"agent did not finish with an answer: {last!r}", file=sys.stderr)
        return 1
    print(f"answer: {last.content}")
    shutdown_global()
    return 0


if __name__ == "__main__":
    sys.exit(main())
