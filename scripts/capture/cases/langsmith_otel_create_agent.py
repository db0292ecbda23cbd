"""The LangSmith SDK's own OpenTelemetry export of a LangChain 1.x `create_agent` agent.

With `LANGSMITH_TRACING=true`, `LANGSMITH_OTEL_ENABLED=true` and `LANGSMITH_OTEL_ONLY=true`
LangChain's LangSmith tracer turns every run into an OpenTelemetry span (the SDK's
`OTELExporter`) through the global TracerProvider, and sends nothing to LangSmith's own API:
that is how LangSmith's guide points a LangChain app at any OTLP backend. No OpenInference,
no other instrumentation. The agent (`weather_agent`, `ChatOpenAI` on chat completions,
non-streaming) is asked about Paris and London in one question: the model asks for two
get_weather calls in one response, the tool node runs both, the model answers.
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    os.environ.update(
        {
            "LANGSMITH_TRACING": "true",
            "LANGSMITH_OTEL_ENABLED": "true",
            "LANGSMITH_OTEL_ONLY": "true",
            "LANGSMITH_API_KEY": "test",
            "LANGSMITH_PROJECT": "weather",
            "LANGSMITH_ENDPOINT": "http://127.0.0.1:9",  # never contacted with OTEL_ONLY; closed if it were
        }
    )
    tp = c.make_tracer_provider("langsmith-create-agent")

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
    state = agent.invoke({"messages": [{"role": "user", "content": c.TWO_CITIES}]})
    last = state["messages"][-1]
    if not isinstance(last, AIMessage) or last.tool_calls or not last.content:
        print(f"agent did not finish with an answer: {last!r}", file=sys.stderr)
        return 1
    print(f"answer: {last.content}")
    from langchain_core.tracers.langchain import wait_for_all_tracers

    wait_for_all_tracers()
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
