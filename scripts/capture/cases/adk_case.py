"""Google ADK (google-adk) with its built-in OpenTelemetry tracing, the model through LiteLLM.

``LlmAgent(name="weather_agent", model=LiteLlm("openai/gpt-4o-mini", api_base=<fake>/v1))``
with a ``get_weather`` function tool, run by an ``InMemoryRunner`` (streaming mode NONE).
ADK takes the global TracerProvider (and LoggerProvider, for the event-only mode). The
telemetry form comes from the environment that ../capture.py sets per case:

* ``ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN`` unset: schema 2 (OTel GenAI semconv aligned);
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY`` puts the messages in span
  attributes, ``EVENT_ONLY`` in ``gen_ai.client.inference.operation.details`` log records;
* ``ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1``: schema 1 (``gcp.vertex.agent.*`` attributes).

CAPTURE_TURNS=2 asks a follow-up question in the same session (a second ``run_async``,
which is a trace of its own).
"""

from __future__ import annotations

import asyncio
import os
import sys

import _common as c


async def run() -> None:
    from google.adk.agents import LlmAgent
    from google.adk.models.lite_llm import LiteLlm
    from google.adk.runners import InMemoryRunner
    from google.genai import types

    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        return c.get_weather(city)

    model = LiteLlm(model=f"openai/{c.MODEL}", api_base=os.environ["OPENAI_BASE_URL"], api_key="test")
    agent = LlmAgent(name="weather_agent", model=model, instruction=c.SYSTEM_PROMPT, tools=[get_weather])
    runner = InMemoryRunner(agent=agent, app_name="weather-app")
    session = await runner.session_service.create_session(app_name="weather-app", user_id="user-1")
    questions = [c.QUESTION, c.FOLLOW_UP][: int(os.environ.get("CAPTURE_TURNS", "1"))]
    for question in questions:
        message = types.Content(role="user", parts=[types.Part(text=question)])
        async for event in runner.run_async(user_id="user-1", session_id=session.id, new_message=message):
            if event.is_final_response() and event.content and event.content.parts:
                print("answer:", "".join(p.text or "" for p in event.content.parts))


def main() -> int:
    tp = c.make_tracer_provider("weather-agent")
    lp = c.make_logger_provider("weather-agent")
    asyncio.run(run())
    c.shutdown(tp, lp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
