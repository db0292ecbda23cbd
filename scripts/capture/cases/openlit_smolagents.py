"""OpenLIT on a smolagents ToolCallingAgent with a tool (as smolagents_case.py, other instrumentation).

`openlit.init(otlp_endpoint=<sink>, disable_metrics=True, capture_message_content=True)` sets up
its own providers and instruments every library it finds installed: here smolagents (OpenLIT's
own smolagents instrumentation) and the `openai` client under `OpenAIServerModel` (chat
completions, non-streaming). The user asks the weather in Paris, the model calls get_weather,
the agent runs it, then the model calls smolagents' `final_answer` tool with the answer text,
which ends the run.
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    import openlit

    openlit.init(
        application_name="weather-agent",
        environment="capture",
        otlp_endpoint=c.otlp_base(),
        disable_metrics=True,
        capture_message_content=True,
    )

    from smolagents import OpenAIServerModel, ToolCallingAgent, tool

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        return c.get_weather(city)

    model = OpenAIServerModel(
        model_id=c.MODEL, api_base=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"]
    )
    agent = ToolCallingAgent(
        tools=[get_weather],
        model=model,
        name="weather_agent",
        instructions=c.SYSTEM_PROMPT,
        max_steps=4,
        verbosity_level=0,
    )
    answer = agent.run(c.QUESTION)
    print(f"answer: {answer}")
    from opentelemetry import _logs, trace

    for provider in (trace.get_tracer_provider(), _logs.get_logger_provider()):
        if hasattr(provider, "force_flush"):
            provider.force_flush()
        if hasattr(provider, "shutdown"):
            provider.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
