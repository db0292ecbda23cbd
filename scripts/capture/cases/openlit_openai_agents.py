"""OpenLIT on the openai-agents SDK: a triage agent hands off to a weather agent.

`openlit.init(otlp_endpoint=<sink>)` instruments every library it finds installed: here the
openai-agents SDK (its trace processor) and the openai client under it (Responses API,
non-streaming Runner.run). Metrics are off; message content is captured (OpenLIT's default).
The triage agent hands off to the weather agent (handoff tool transfer_to_weather_agent); the
weather agent calls get_weather and answers.
"""

from __future__ import annotations

import asyncio
import sys

import _common as c
from _agents_sdk import triage_agent
from _global_otel import openlit_init, shutdown_global


async def run() -> str:
    from agents import Runner

    result = await Runner.run(triage_agent(), c.QUESTION, max_turns=6)
    return str(result.final_output)


def main() -> int:
    openlit_init("weather-agents")
    answer = asyncio.run(run())
    print(f"answer: {answer}")
    shutdown_global()
    return 0


if __name__ == "__main__":
    sys.exit(main())
