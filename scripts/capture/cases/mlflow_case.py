"""MLflow Tracing exporting OTLP: a hand-written tool-calling agent, as MLflow's guides write one.

mlflow-tracing exports its spans only to an OpenTelemetry collector when
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (no tracking server). `mlflow.openai.autolog()`
traces the openai client (CHAT_MODEL spans); the agent loop is an `@mlflow.trace(span_type=AGENT)`
function and the tool an `@mlflow.trace(span_type=TOOL)` one, so every span carries MLflow's
own attributes (`mlflow.spanType`, `mlflow.spanInputs`, `mlflow.spanOutputs`, ...).
The user asks the weather in Paris, the model calls get_weather, the loop runs it, the model
answers from the result.
"""

from __future__ import annotations

import os
import sys

import _common as c


def main() -> int:
    os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = c.otlp_base() + "/v1/traces"
    os.environ["OTEL_SERVICE_NAME"] = "weather-agent"

    import mlflow
    from mlflow.entities import SpanType
    from openai import OpenAI

    mlflow.openai.autolog()
    client = OpenAI()

    @mlflow.trace(name="get_weather", span_type=SpanType.TOOL)
    def get_weather(city: str) -> str:
        return c.get_weather(city)

    @mlflow.trace(name="weather_agent", span_type=SpanType.AGENT)
    def weather_agent(question: str) -> str:
        messages: list[dict] = [
            {"role": "system", "content": c.SYSTEM_PROMPT},
            {"role": "user", "content": question},
        ]
        return c.answer_with_tools(client, messages, get_weather)

    answer = weather_agent(c.QUESTION)
    print(f"answer: {answer}")
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    for name in ("force_flush", "shutdown"):
        getattr(provider, name, lambda: None)()
    mlflow.flush_trace_async_logging() if hasattr(mlflow, "flush_trace_async_logging") else None
    return 0


if __name__ == "__main__":
    sys.exit(main())
