"""openinference-instrumentation-langchain + a LangGraph prebuilt ReAct agent, two turns on
one checkpointed thread, each invocation its own trace.

As openinference_langgraph.py, but without the enclosing CHAIN span: each `agent.invoke`
is a trace of its own, and LangGraph's run metadata gives every span the thread as its
`session.id`. The second turn's model calls get the first turn back from the checkpoint.
"""

from __future__ import annotations

import os
import sys

import _common as c

THREAD_ID = "thread-weather-0002"


def main() -> int:
    tp = c.make_tracer_provider("weather-langgraph-session")

    from langchain_core.messages import AIMessage
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.prebuilt import create_react_agent
    from openinference.instrumentation.langchain import LangChainInstrumentor
    from pydantic import BaseModel, Field

    LangChainInstrumentor().instrument(tracer_provider=tp)

    class WeatherArgs(BaseModel):
        city: str = Field(description="City name, e.g. Paris")

    @tool("get_weather", args_schema=WeatherArgs, description=c.WEATHER_TOOL["function"]["description"])
    def get_weather(city: str) -> str:
        return c.get_weather(city)

    model = ChatOpenAI(
        model=c.MODEL,
        base_url=os.environ["OPENAI_BASE_URL"],
        api_key=os.environ["OPENAI_API_KEY"],
        temperature=0.2,
    )
    agent = create_react_agent(
        model, [get_weather], prompt=c.SYSTEM_PROMPT, checkpointer=InMemorySaver(), name="weather_agent"
    )
    config = {"configurable": {"thread_id": THREAD_ID}, "recursion_limit": 10}
    for question in (c.QUESTION, c.FOLLOW_UP):
        state = agent.invoke({"messages": [{"role": "user", "content": question}]}, config)
        last = state["messages"][-1]
        if not isinstance(last, AIMessage) or last.tool_calls or not last.content:
            print(f"agent did not finish with an answer: {last!r}", file=sys.stderr)
            return 1
        print(f"answer: {last.content} ({len(state['messages'])} messages in the thread)")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
