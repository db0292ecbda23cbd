"""OpenLIT on LangChain 1.x `create_agent`: a supervisor whose tool runs a second agent.

`openlit.init(otlp_endpoint=<sink>)` instruments every library it finds installed: here
LangChain / LangGraph and the openai client under langchain-openai's ChatOpenAI (chat
completions, non-streaming). The scenario is LangChain's "subagents" pattern, as
langchain_create_agent.py: `travel_agent`'s one tool, `ask_weather_agent(task)`, invokes
`weather_agent` (its own system prompt, tool get_weather) and returns its last message.
"""

from __future__ import annotations

import os
import sys

import _common as c
from _global_otel import openlit_init, shutdown_global


def main() -> int:
    openlit_init("travel-agents")

    from langchain.agents import create_agent
    from langchain_core.messages import AIMessage
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from pydantic import BaseModel, Field

    class WeatherArgs(BaseModel):
        city: str = Field(description="City name, e.g. Paris")

    @tool("get_weather", args_schema=WeatherArgs, description=c.WEATHER_TOOL["function"]["description"])
    def get_weather(city: str) -> str:
        return c.get_weather(city)

    def model() -> ChatOpenAI:
        return ChatOpenAI(model=c.MODEL, base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])

    weather_agent = create_agent(model(), [get_weather], system_prompt=c.SYSTEM_PROMPT, name="weather_agent")

    @tool("ask_weather_agent")
    def ask_weather_agent(task: str) -> str:
        """Ask the weather agent to find the current weather somewhere."""
        state = weather_agent.invoke({"messages": [{"role": "user", "content": task}]})
        return str(state["messages"][-1].content)

    travel_agent = create_agent(
        model(),
        [ask_weather_agent],
        system_prompt="You help travellers. Delegate weather questions to the weather agent, then pass its answer on.",
        name="travel_agent",
    )
    state = travel_agent.invoke({"messages": [{"role": "user", "content": c.QUESTION}]})
    last = state["messages"][-1]
    if not isinstance(last, AIMessage) or last.tool_calls or not last.content:
        print(f"agent did not finish with an answer: {last!r}", file=sys.stderr)
        return 1
    print(f"answer: {last.content}")
    shutdown_global()
    return 0


if __name__ == "__main__":
    sys.exit(main())
