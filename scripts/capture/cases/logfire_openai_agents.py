"""Logfire's own openai-agents integration: a triage agent hands off to a weather agent.

`logfire.configure(send_to_logfire=False)` exports to OTEL_EXPORTER_OTLP_ENDPOINT (the sink),
as Logfire's guide for other backends says; `logfire.instrument_openai_agents()` adds Logfire's
trace processor to the SDK (its spans replace nothing: the SDK's default exporter to OpenAI has
no key to send with and the run disables it). The triage agent hands off to the weather agent
(transfer_to_weather_agent); the weather agent calls get_weather and answers. Responses API,
non-streaming `Runner.run`.
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
    import logfire
    from agents import set_tracing_export_api_key

    set_tracing_export_api_key("")  # the SDK's own backend exporter has nothing to send with
    logfire.configure(service_name="weather-agents", send_to_logfire=False, console=False, metrics=False)
    logfire.instrument_openai_agents()
    print(f"answer: {asyncio.run(run())}")
    logfire.force_flush()
    logfire.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
