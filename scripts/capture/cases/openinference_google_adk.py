"""Google ADK traced through ``openinference-instrumentation-google-adk``, the model through LiteLLM.

``GoogleADKInstrumentor().instrument(tracer_provider=...)`` as its README does, on the same
agent as adk_case.py: ``LlmAgent(name="weather_agent", model=LiteLlm("openai/gpt-4o-mini",
api_base=<fake>/v1))`` with a ``get_weather`` function tool, run by an ``InMemoryRunner``
(streaming mode NONE). The provider is also the global one, as in an app; whatever ADK's own
tracing then records goes out too.
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
    message = types.Content(role="user", parts=[types.Part(text=c.QUESTION)])
    async for event in runner.run_async(user_id="user-1", session_id=session.id, new_message=message):
        if event.is_final_response() and event.content and event.content.parts:
            print("answer:", "".join(p.text or "" for p in event.content.parts))


def main() -> int:
    from openinference.instrumentation.google_adk import GoogleADKInstrumentor

    tp = c.make_tracer_provider("weather-agent")
    GoogleADKInstrumentor().instrument(tracer_provider=tp)
    asyncio.run(run())
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
