"""A Haystack Agent with a tool, traced by openinference-instrumentation-haystack.

Haystack 3 has no OpenTelemetry tracer of its own any more (`haystack.tracing` keeps only
the tracer interface and a logging tracer), so the case uses OpenInference's Haystack
instrumentation (`HaystackInstrumentor().instrument(tracer_provider=...)`), plus
`openinference-instrumentation-openai` for the model calls inside the agent. The Agent runs an `OpenAIChatGenerator` (chat completions, `api_base_url=<fake>`) and its
tool invoker in a loop until the model answers without a tool call.
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    tp = c.make_tracer_provider("weather-haystack")

    from openinference.instrumentation.haystack import HaystackInstrumentor
    from openinference.instrumentation.openai import OpenAIInstrumentor

    HaystackInstrumentor().instrument(tracer_provider=tp)
    # The Agent's generator and tool invoker run inside the component, untraced by the
    # Haystack instrumentation: the OpenAI client's instrumentation records the model calls.
    OpenAIInstrumentor().instrument(tracer_provider=tp)

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
    # OpenInference traces pipeline runs (and the components they run): the agent runs as
    # the one component of a pipeline, as Haystack's docs show agents in pipelines.
    pipeline = Pipeline()
    pipeline.add_component("weather_agent", agent)
    result = pipeline.run({"weather_agent": {"messages": [ChatMessage.from_user(c.QUESTION)]}})
    print(f"answer: {result['weather_agent']['messages'][-1].text}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
