"""pydantic-ai Agent with a tool, traced through ``openinference-instrumentation-pydantic-ai``.

The OpenInference package is a span processor, not an instrumentor: pydantic-ai's own
instrumentation (``Agent.instrument_all(InstrumentationSettings(tracer_provider=...))``, data
format version 5, the default) makes the spans, and ``OpenInferenceSpanProcessor``, added to the
provider before the exporting processor (as its README does), adds OpenInference attributes
(``openinference.span.kind``, ``llm.*_messages.*``, ``input.value`` / ``output.value``, ...) to
each span when it ends. An OpenAIChatModel (chat completions) pointed at the fake server.

CAPTURE_TOOL_ERROR=1: ``get_weather`` raises ``ModelRetry`` the first time (the weather service
is down); pydantic-ai tells the model so, the model calls the tool again.
"""

# (no `from __future__ import annotations`: pydantic-ai reads the tool's annotations at run time)
import os
import sys

import _common as c


def main() -> int:
    from openinference.instrumentation.pydantic_ai import OpenInferenceSpanProcessor
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from pydantic_ai import Agent, ModelRetry
    from pydantic_ai.models.instrumented import InstrumentationSettings
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    tp = TracerProvider(resource=c.make_resource("weather-agent"))
    tp.add_span_processor(OpenInferenceSpanProcessor())
    tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=c.otlp_base() + "/v1/traces")))
    trace.set_tracer_provider(tp)
    Agent.instrument_all(InstrumentationSettings(tracer_provider=tp))
    model = OpenAIChatModel(
        c.MODEL,
        provider=OpenAIProvider(base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"]),
    )
    agent = Agent(model, name="weather_agent", instructions=c.SYSTEM_PROMPT)
    failures = {"left": 1 if os.environ.get("CAPTURE_TOOL_ERROR") == "1" else 0}

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. Paris.
        """
        if failures["left"]:
            failures["left"] -= 1
            raise ModelRetry(f"weather service error: no answer for {city}, try again")
        return c.get_weather(city)

    result = agent.run_sync(c.QUESTION)
    print(f"answer: {result.output}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
