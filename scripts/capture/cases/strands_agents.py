"""strands-agents Agent with a tool, using Strands' built-in OpenTelemetry tracing.

Strands' Tracer takes the global TracerProvider (set here before the Agent exists) and reads
OTEL_SEMCONV_STABILITY_OPT_IN (set by cases.toml: gen_ai_latest_experimental, the latest GenAI
conventions; message content then goes to `gen_ai.client.inference.operation.details` span
events). The model is `strands.models.openai.OpenAIModel` (chat completions, streamed) pointed
at the fake server. The user asks the weather in Paris, the model calls get_weather, the agent
runs it, the model answers. With CAPTURE_TWO_CITIES=1 the user asks for Paris and London:
the model calls get_weather twice in one response and the agent runs both tools.
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    tp = c.make_tracer_provider("weather-agent")

    from strands import Agent, tool
    from strands.models.openai import OpenAIModel

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        return c.get_weather(city)

    model = OpenAIModel(
        client_args={"base_url": os.environ["OPENAI_BASE_URL"], "api_key": os.environ["OPENAI_API_KEY"]},
        model_id=c.MODEL,
    )
    agent = Agent(
        model=model,
        tools=[get_weather],
        system_prompt=c.SYSTEM_PROMPT,
        name="weather_agent",
        callback_handler=None,  # no printing of the streamed text
    )
    result = agent(c.TWO_CITIES if os.environ.get("CAPTURE_TWO_CITIES") == "1" else c.QUESTION)
    print(f"answer: {result}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
