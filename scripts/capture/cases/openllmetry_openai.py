"""OpenLLMetry: traceloop-sdk + its opentelemetry-instrumentation-openai, plain openai client.

Traceloop.init exports OTLP/HTTP protobuf to the sink (api_endpoint = the sink, no API key,
so no Traceloop cloud features), with only the OpenAI instrumentor enabled and telemetry,
metrics and logs off. The run is a @workflow, the tool a @tool, so the spans carry
traceloop.span.kind / traceloop.entity.* like a typical OpenLLMetry app.

With CAPTURE_REASONING=1 the model is "deepseek-reasoner": the fake server then returns
message.reasoning_content and usage.completion_tokens_details.reasoning_tokens.
"""

from __future__ import annotations

import os
import sys

import _common as c
from _global_otel import shutdown_global, traceloop_init

REASONING = os.environ.get("CAPTURE_REASONING") == "1"


def main() -> int:
    from openai import OpenAI
    from traceloop.sdk.decorators import tool, workflow
    from traceloop.sdk.instruments import Instruments

    traceloop_init("weather-assistant", {Instruments.OPENAI})

    @tool(name="get_weather")
    def get_weather(city: str) -> str:
        return c.get_weather(city)

    model = "deepseek-reasoner" if REASONING else c.MODEL

    @workflow(name="weather_chat")
    def weather_chat(question: str) -> str:
        client = OpenAI()
        messages: list[dict] = [
            {"role": "system", "content": c.SYSTEM_PROMPT},
            {"role": "user", "content": question},
        ]
        return c.answer_with_tools(client, messages, get_weather, model)

    answer = weather_chat(c.QUESTION)
    print(f"answer: {answer}")
    shutdown_global()
    return 0


if __name__ == "__main__":
    sys.exit(main())
