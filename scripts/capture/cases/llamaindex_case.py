"""LlamaIndex agent workflows, traced by openinference-instrumentation-llama-index or by
LlamaIndex's own OpenTelemetry integration (llama-index-observability-otel).

    llamaindex_case.py function   # FunctionAgent: the model calls get_weather as an OpenAI tool
    llamaindex_case.py react      # ReActAgent: Thought / Action / Action Input text, Observation back
    llamaindex_case.py handoff    # AgentWorkflow: triage_agent hands off to weather_agent (`handoff` tool)
    llamaindex_case.py function otel   # the same scenario, traced by llama-index-observability-otel

`LlamaIndexInstrumentor().instrument(tracer_provider=...)` (the default, `openinference`) and
`LlamaIndexOpenTelemetry(...).start_registering()` (`otel`) both hook LlamaIndex's own
instrumentation dispatcher (workflow steps, LLM calls, tool calls). The LLM is
`llama_index.llms.openai.OpenAI` (chat completions) pointed at the fake server.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import _common as c


async def run(mode: str) -> None:
    from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ReActAgent
    from llama_index.core.tools import FunctionTool
    from llama_index.llms.openai import OpenAI

    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return c.get_weather(city)

    llm = OpenAI(model=c.MODEL, api_base=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])
    tools = [FunctionTool.from_defaults(fn=get_weather)]
    if mode == "function":
        agent = FunctionAgent(name="weather_agent", tools=tools, llm=llm, system_prompt=c.SYSTEM_PROMPT)
    elif mode == "react":
        agent = ReActAgent(name="weather_agent", tools=tools, llm=llm, system_prompt=c.SYSTEM_PROMPT)
    else:
        triage = FunctionAgent(
            name="triage_agent",
            description="Routes each question to the agent that can answer it.",
            system_prompt="You are a triage agent. Hand weather questions off to weather_agent.",
            llm=llm,
            can_handoff_to=["weather_agent"],
        )
        weather = FunctionAgent(
            name="weather_agent",
            description="Answers questions about the current weather in a city.",
            system_prompt=c.SYSTEM_PROMPT,
            tools=tools,
            llm=llm,
            can_handoff_to=[],
        )
        agent = AgentWorkflow(agents=[triage, weather], root_agent="triage_agent")
    answer = await agent.run(user_msg=c.QUESTION)
    print(f"answer: {answer}")


def instrument(instrumentation: str) -> Any:
    """The tracer provider the chosen instrumentation exports through, wired to the sink."""
    if instrumentation == "otel":
        # As the integration's README has a user write it: an OTLP exporter and a service name;
        # it makes its own TracerProvider (BatchSpanProcessor) and sets it as the global one.
        from llama_index.observability.otel import LlamaIndexOpenTelemetry
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        LlamaIndexOpenTelemetry(
            span_exporter=OTLPSpanExporter(endpoint=c.otlp_base() + "/v1/traces"),
            service_name_or_resource="weather-llamaindex",
        ).start_registering()
        return trace.get_tracer_provider()
    tp = c.make_tracer_provider("weather-llamaindex")

    from openinference.instrumentation.llama_index import LlamaIndexInstrumentor

    LlamaIndexInstrumentor().instrument(tracer_provider=tp)
    return tp


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "function"
    tp = instrument(sys.argv[2] if len(sys.argv) > 2 else "openinference")
    asyncio.run(run(mode))
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
