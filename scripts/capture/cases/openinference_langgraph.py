"""openinference-instrumentation-langchain + a LangGraph prebuilt ReAct agent (langchain-openai).

create_react_agent with a ChatOpenAI model (chat completions, non-streaming) pointed at the
fake server, the get_weather tool, the system prompt as the agent's `prompt`, and an
InMemorySaver checkpointer. Two user turns on the same thread_id: the weather in Paris
(the model calls get_weather, the ToolNode runs it, the model answers), then the follow-up
about London, whose model calls get the first turn's messages back from the checkpoint.
Both invocations run under one OpenInference CHAIN span with a session id
(openinference's using_session), so the whole conversation is one trace; the LangChain
tracer parents its top-level run on the current OTel context.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import _common as c

THREAD_ID = "thread-weather-0001"


def react_agent() -> Any:
    """The weather agent: LangGraph's prebuilt ReAct agent on ChatOpenAI with get_weather and
    an in-memory checkpointer (so turns on one thread_id share their history)."""
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.prebuilt import create_react_agent
    from pydantic import BaseModel, Field

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
    # create_react_agent is deprecated in favour of langchain.agents.create_agent (the separate
    # `langchain` package) but is still langgraph's own prebuilt agent in this version.
    return create_react_agent(
        model, [get_weather], prompt=c.SYSTEM_PROMPT, checkpointer=InMemorySaver(), name="weather_agent"
    )


def answer_of(state: dict[str, Any]) -> str | None:
    """The agent's answer: its last message, if that is the model's text; else None (said on stderr)."""
    from langchain_core.messages import AIMessage

    last = state["messages"][-1]
    if not isinstance(last, AIMessage) or last.tool_calls or not last.content:
        print(f"agent did not finish with an answer: {last!r}", file=sys.stderr)
        return None
    return str(last.content)


def main() -> int:
    tp = c.make_tracer_provider("weather-langgraph")

    from openinference.instrumentation import OITracer, TraceConfig, using_session
    from openinference.instrumentation.langchain import LangChainInstrumentor

    LangChainInstrumentor().instrument(tracer_provider=tp)
    tracer = OITracer(tp.get_tracer("weather-langgraph"), config=TraceConfig())
    agent = react_agent()
    config = {"configurable": {"thread_id": THREAD_ID}, "recursion_limit": 10}

    with (
        using_session(THREAD_ID),
        tracer.start_as_current_span("weather-chat", openinference_span_kind="chain") as chain,
    ):
        chain.set_input(c.QUESTION)
        answer = None
        for question in (c.QUESTION, c.FOLLOW_UP):
            state = agent.invoke({"messages": [{"role": "user", "content": question}]}, config)
            answer = answer_of(state)
            if answer is None:
                return 1
            print(f"answer: {answer} ({len(state['messages'])} messages in the thread)")
        chain.set_output(answer)
        chain.set_status("OK")

    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
