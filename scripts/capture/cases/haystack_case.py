"""A Haystack Agent with a tool, traced by OpenInference's or OpenLLMetry's instrumentation.

    haystack_case.py [openinference | openllmetry]     (default: openinference)

Haystack 3 has no OpenTelemetry tracer of its own any more (`haystack.tracing` keeps only
the tracer interface and a logging tracer), so a user adds an instrumentation library:

- `openinference`: OpenInference's Haystack instrumentation
  (`HaystackInstrumentor().instrument(tracer_provider=...)`), which traces pipeline runs and
  their components, plus `openinference-instrumentation-openai` for the model calls inside
  the agent (its generator and tool invoker run inside the component, untraced).
- `openllmetry`: OpenLLMetry's `opentelemetry-instrumentation-haystack`, as its README has a
  user write it (`HaystackInstrumentor().instrument()`), which wraps `Pipeline.run` and the
  `run` of `OpenAIChatGenerator` / `OpenAIGenerator`, plus OpenLLMetry's
  `opentelemetry-instrumentation-openai` for the client calls under them.

Either way the Agent runs an `OpenAIChatGenerator` (chat completions, `api_base_url=<fake>`)
and its tool invoker in a loop until the model answers without a tool call, as the one
component of a pipeline: both instrumentations trace pipeline runs, and a bare `agent.run`
would export no span of the run itself.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import _common as c


def instrument_openinference(tp: Any) -> None:
    from openinference.instrumentation.haystack import HaystackInstrumentor
    from openinference.instrumentation.openai import OpenAIInstrumentor

    HaystackInstrumentor().instrument(tracer_provider=tp)
    OpenAIInstrumentor().instrument(tracer_provider=tp)


def instrument_openllmetry(tp: Any) -> None:
    from opentelemetry.instrumentation.haystack import HaystackInstrumentor
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    HaystackInstrumentor().instrument(tracer_provider=tp)
    OpenAIInstrumentor().instrument(tracer_provider=tp)


INSTRUMENTATIONS = {"openinference": instrument_openinference, "openllmetry": instrument_openllmetry}


def run_weather_agent() -> str:
    """The scenario: a Haystack Agent with get_weather, run as the one component of a pipeline."""
    from haystack import Pipeline
    from haystack.components.agents import Agent
    from haystack.components.generators.chat import OpenAIChatGenerator
    from haystack.dataclasses import ChatMessage
    from haystack.tools import Tool
    from haystack.utils import Secret

    tool = Tool(
        name="get_weather",
        description="Get the current weather for a city.",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        function=lambda city: c.get_weather(city),
    )
    generator = OpenAIChatGenerator(
        model=c.MODEL, api_base_url=os.environ["OPENAI_BASE_URL"], api_key=Secret.from_token("test")
    )
    agent = Agent(chat_generator=generator, tools=[tool], system_prompt=c.SYSTEM_PROMPT)
    pipeline = Pipeline()
    pipeline.add_component("weather_agent", agent)
    result = pipeline.run({"weather_agent": {"messages": [ChatMessage.from_user(c.QUESTION)]}})
    return str(result["weather_agent"]["messages"][-1].text)


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 else "openinference"
    tp = c.make_tracer_provider("weather-haystack")
    INSTRUMENTATIONS[which](tp)
    print(f"answer: {run_weather_agent()}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
