"""OpenLLMetry (traceloop-sdk) on the openai-agents SDK: a triage agent hands off to a weather agent.

`Traceloop.init(instruments={OPENAI_AGENTS, OPENAI})` turns on traceloop's
`opentelemetry-instrumentation-openai-agents` (the SDK's trace processor) and its OpenAI client
instrumentation under it (Responses API, non-streaming `Runner.run`), as a user with both
installed gets from a bare `Traceloop.init()`. The triage agent hands off to the weather agent
(handoff tool transfer_to_weather_agent); the weather agent calls get_weather and answers.
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
    from opentelemetry import trace
    from traceloop.sdk import Traceloop
    from traceloop.sdk.instruments import Instruments

    Traceloop.init(
        app_name="weather-agents",
        api_endpoint=c.otlp_base(),
        telemetry_enabled=False,
        instruments={Instruments.OPENAI_AGENTS, Instruments.OPENAI},
    )
    print(f"answer: {asyncio.run(run())}")
    tp = trace.get_tracer_provider()
    tp.force_flush()  # type: ignore[attr-defined]
    tp.shutdown()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
