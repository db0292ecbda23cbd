"""openai-agents SDK + the OpenTelemetry contrib `opentelemetry-instrumentation-openai-agents-v2`.

A triage agent hands off to a weather agent (handoff tool transfer_to_weather_agent); the
weather agent calls the get_weather function tool and answers. The SDK talks to the fake
server with the Responses API (POST /v1/responses, non-streaming Runner.run).

The instrumentor adds its span processor beside the SDK's own ones (it has no exclusive
option), so the SDK's default processor, which exports to OpenAI's trace backend, is removed
first with `set_trace_processors([])`. Content is recorded on the spans by default (no
`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` needed: unset means span_and_event, and
its events are not emitted in 0.1.0).
"""

from __future__ import annotations

import asyncio
import sys

import _common as c
from _agents_sdk import triage_agent


async def run() -> str:
    from agents import Runner

    result = await Runner.run(triage_agent(), c.QUESTION, max_turns=6)
    return str(result.final_output)


def main() -> int:
    tp = c.make_tracer_provider("weather-agents")

    from agents import set_trace_processors
    from opentelemetry.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    set_trace_processors([])
    OpenAIAgentsInstrumentor().instrument(tracer_provider=tp)
    print(f"answer: {asyncio.run(run())}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
