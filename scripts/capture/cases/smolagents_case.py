"""smolagents ToolCallingAgent with a tool, traced by openinference-instrumentation-smolagents.

SmolagentsInstrumentor().instrument(tracer_provider=...) wraps the agent run, each step, the
model calls and the tool calls. The model is `OpenAIServerModel` (chat completions,
non-streaming) pointed at the fake server. The user asks the weather in Paris, the model
calls get_weather, the agent runs it, then the model calls smolagents' `final_answer` tool
with the answer text (a ToolCallingAgent always ends that way), which ends the run.
"""

from __future__ import annotations

import sys

import _common as c
from _smolagents import run_weather_agent


def main() -> int:
    tp = c.make_tracer_provider("weather-agent")

    from openinference.instrumentation.smolagents import SmolagentsInstrumentor

    SmolagentsInstrumentor().instrument(tracer_provider=tp)

    answer = run_weather_agent()
    print(f"answer: {answer}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
