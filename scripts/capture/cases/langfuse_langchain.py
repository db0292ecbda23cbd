"""Langfuse's LangChain callback handler (SDK v3, OpenTelemetry-based) on a LangChain 1.x agent.

`langfuse.langchain.CallbackHandler()` passed in the run's `config={"callbacks": [...]}` turns
each LangChain run into a Langfuse observation (an OTel span of scope `langfuse-sdk`); the
client exports to a plain OTLP endpoint as langfuse_case.py does (`host` = the collector,
`LANGFUSE_OTEL_TRACES_EXPORT_PATH=v1/traces` from cases.toml). The agent is
`langchain.agents.create_agent(ChatOpenAI, [get_weather], system_prompt=...)`, chat
completions, non-streaming; the model calls get_weather and answers.
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    from langfuse import Langfuse
    from langfuse.langchain import CallbackHandler

    langfuse = Langfuse(public_key="pk-lf-local", secret_key="sk-lf-local", host=c.otlp_base())

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

    model = ChatOpenAI(model=c.MODEL, base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])
    agent = create_agent(model, [get_weather], system_prompt=c.SYSTEM_PROMPT, name="weather_agent")
    state = agent.invoke(
        {"messages": [{"role": "user", "content": c.QUESTION}]},
        config={"callbacks": [CallbackHandler()]},
    )
    last = state["messages"][-1]
    if not isinstance(last, AIMessage) or last.tool_calls or not last.content:
        print(f"agent did not finish with an answer: {last!r}", file=sys.stderr)
        return 1
    print(f"answer: {last.content}")
    langfuse.flush()
    langfuse.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
