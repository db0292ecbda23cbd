"""What the LangChain 1.x `create_agent` cases share: the "subagents" pattern, a supervisor
`travel_agent` whose one tool, `ask_weather_agent(task)`, invokes `weather_agent` (tool
get_weather) and returns its last message. LangChain is imported when called, after the case
has instrumented it."""

from __future__ import annotations

import os
import sys

import _common as c


def travel_agent_answer() -> str | None:
    """Ask the travel agent the question: its answer, or None (said on stderr) when its last
    message is not an answer."""
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
        return None
    return str(last.content)
