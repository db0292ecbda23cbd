"""OpenLLMetry (traceloop) on a LlamaIndex FunctionAgent with the get_weather tool.

`Traceloop.init()` with no `instruments=` is what traceloop's README has a user write: it
enables every OpenLLMetry instrumentation whose library is installed, here
opentelemetry-instrumentation-llamaindex (LlamaIndex's instrumentation dispatcher: workflow
steps, LLM calls, tool calls) and opentelemetry-instrumentation-openai (the `openai` client
under `llama_index.llms.openai.OpenAI`), plus the requests / urllib3 ones (no HTTP goes through
them here). Exports OTLP/HTTP protobuf to the sink (api_endpoint, no API key); telemetry and
metrics off; content capture on (TRACELOOP_TRACE_CONTENT=true, its default).
"""

from __future__ import annotations

import asyncio
import os
import sys

import _common as c
from _global_otel import shutdown_global, traceloop_init


async def run() -> None:
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.tools import FunctionTool
    from llama_index.llms.openai import OpenAI

    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return c.get_weather(city)

    llm = OpenAI(model=c.MODEL, api_base=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])
    agent = FunctionAgent(
        name="weather_agent",
        tools=[FunctionTool.from_defaults(fn=get_weather)],
        llm=llm,
        system_prompt=c.SYSTEM_PROMPT,
    )
    answer = await agent.run(user_msg=c.QUESTION)
    print(f"answer: {answer}")


def main() -> int:
    traceloop_init("weather-llamaindex")
    asyncio.run(run())
    shutdown_global()
    return 0


if __name__ == "__main__":
    sys.exit(main())
