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
from _global_otel import shutdown_global, traceloop_init


async def run() -> str:
    from agents import Runner

    result = await Runner.run(triage_agent(), c.QUESTION, max_turns=6)
    return str(result.final_output)


def main() -> int:
    from traceloop.sdk.instruments import Instruments

    traceloop_init("weather-agents", {Instruments.OPENAI_AGENTS, Instruments.OPENAI})
    print(f"answer: {asyncio.run(run())}")
    shutdown_global()
    return 0


if __name__ == "__main__":
    sys.exit(main())
