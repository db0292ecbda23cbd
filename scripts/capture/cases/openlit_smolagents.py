"""OpenLIT on a smolagents ToolCallingAgent with a tool (as smolagents_case.py, other instrumentation).

`openlit.init(otlp_endpoint=<sink>, disable_metrics=True, capture_message_content=True)` sets up
its own providers and instruments every library it finds installed: here smolagents (OpenLIT's
own smolagents instrumentation) and the `openai` client under `OpenAIServerModel` (chat
completions, non-streaming). The user asks the weather in Paris, the model calls get_weather,
the agent runs it, then the model calls smolagents' `final_answer` tool with the answer text,
which ends the run.
"""

from __future__ import annotations

import sys

from _global_otel import openlit_init, shutdown_global
from _smolagents import run_weather_agent


def main() -> int:
    openlit_init("weather-agent")
    answer = run_weather_agent()
    print(f"answer: {answer}")
    shutdown_global(logs=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
