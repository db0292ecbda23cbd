"""Semantic Kernel's ChatCompletionAgent with a plugin, SK's own OpenTelemetry diagnostics.

SK traces with the global TracerProvider when
SEMANTICKERNEL_EXPERIMENTAL_GENAI_ENABLE_OTEL_DIAGNOSTICS=true (set by cases.toml), and with
..._SENSITIVE=true it writes the messages as Python log records (``event.name`` =
``gen_ai.system.message`` / ``gen_ai.user.message`` / ``gen_ai.assistant.message`` /
``gen_ai.tool.message`` / ``gen_ai.choice``, the body the JSON text of SK's message dict)
inside the model call's span: an OTel ``LoggingHandler`` on the root logger sends them as
OTLP log records linked to that span, as SK's telemetry samples set it up.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Annotated

import _common as c


async def run() -> None:
    from openai import AsyncOpenAI
    from semantic_kernel.agents import ChatCompletionAgent
    from semantic_kernel.connectors.ai.open_ai import OpenAIChatCompletion
    from semantic_kernel.functions import kernel_function

    class WeatherPlugin:
        @kernel_function(name="get_weather", description="Get the current weather for a city.")
        def get_weather(self, city: Annotated[str, "City name, e.g. Paris"]) -> str:
            return c.get_weather(city)

    client = AsyncOpenAI(base_url=os.environ["OPENAI_BASE_URL"], api_key="test")
    agent = ChatCompletionAgent(
        service=OpenAIChatCompletion(ai_model_id=c.MODEL, async_client=client),
        name="weather_agent",
        instructions=c.SYSTEM_PROMPT,
        plugins=[WeatherPlugin()],
    )
    response = await agent.get_response(messages=c.QUESTION)
    print("answer:", response.message.content)


def main() -> int:
    tp = c.make_tracer_provider("weather-agent")
    lp = c.make_logger_provider("weather-agent")
    from opentelemetry.sdk._logs import LoggingHandler

    handler = LoggingHandler(logger_provider=lp)
    handler.addFilter(logging.Filter("semantic_kernel"))  # SK's records only, not the HTTP client's
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    asyncio.run(run())
    c.shutdown(tp, lp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
