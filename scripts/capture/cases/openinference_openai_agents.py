"""openai-agents SDK + openinference-instrumentation-openai-agents.

A triage agent hands off to a weather agent (handoff tool transfer_to_weather_agent); the
weather agent calls the get_weather function tool and answers. The SDK talks to the fake
server with the Responses API (POST /v1/responses, non-streaming Runner.run).
The instrumentor replaces the SDK's own trace processors (exclusive_processor=True), so
nothing is sent to the SDK's default trace backend.
"""

from __future__ import annotations

import sys

import _common as c
from _agents_sdk import run_with_openinference, triage_agent


async def run() -> list[str]:
    from agents import Runner

    result = await Runner.run(triage_agent(), c.QUESTION, max_turns=6)
    return [str(result.final_output)]


def main() -> int:
    return run_with_openinference("weather-agents", run)


if __name__ == "__main__":
    sys.exit(main())
