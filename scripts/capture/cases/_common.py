"""Shared pieces of the Python capture cases: OTel providers wired to the sink, the tool.

Every case program runs with (set by ../capture.py):
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<sink port>
  OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
  OPENAI_BASE_URL=http://127.0.0.1:<fake model port>/v1
  OPENAI_API_KEY=test
"""

from __future__ import annotations

import json
import os
from typing import Any

SYSTEM_PROMPT = (
    "You are a helpful weather assistant. Use the get_weather tool to look up current "
    "conditions before answering, and answer in one short sentence."
)
QUESTION = "What's the weather like in Paris today?"
FOLLOW_UP = "Thanks! And how about London?"
TWO_CITIES = "What's the weather like in Paris and in London today?"
"""The fake model answers a question naming two cities with two get_weather calls in one response."""
MODEL = "gpt-4o-mini"

_WEATHER = {
    "Paris": {"temperature_c": 18, "condition": "sunny", "humidity": 55},
    "London": {"temperature_c": 12, "condition": "light rain", "humidity": 81},
}

# Chat Completions tool definition.
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name, e.g. Paris"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


def get_weather(city: str) -> str:
    """The tool implementation: deterministic, returns a JSON string."""
    data = _WEATHER.get(city, {"temperature_c": 20, "condition": "clear", "humidity": 50})
    return json.dumps({"city": city, **data})


def otlp_base() -> str:
    return os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/")


def make_resource(service_name: str):
    from opentelemetry.sdk.resources import Resource

    return Resource.create({"service.name": service_name})


def make_tracer_provider(service_name: str, *, set_global: bool = True):
    """A TracerProvider with a BatchSpanProcessor -> OTLP/HTTP protobuf -> the sink."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=make_resource(service_name))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_base() + "/v1/traces")))
    if set_global:
        trace.set_tracer_provider(provider)
    return provider


def make_logger_provider(service_name: str, *, set_global: bool = True):
    """A LoggerProvider with a BatchLogRecordProcessor -> OTLP/HTTP protobuf -> the sink."""
    from opentelemetry import _logs
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    provider = LoggerProvider(resource=make_resource(service_name))
    provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=otlp_base() + "/v1/logs")))
    if set_global:
        _logs.set_logger_provider(provider)
    return provider


def shutdown(*providers: Any) -> None:
    """Flush and shut down (traces first, then logs), so every export reaches the sink."""
    for p in providers:
        if p is None:
            continue
        p.force_flush()
    for p in providers:
        if p is None:
            continue
        p.shutdown()


def assistant_message_dict(message: Any) -> dict[str, Any]:
    """An assistant ChatCompletionMessage as a request message dict."""
    d: dict[str, Any] = {"role": "assistant", "content": message.content}
    if message.tool_calls:
        d["tool_calls"] = [
            {
                "id": tc.id,
                "type": "function",
                "function": {"name": tc.function.name, "arguments": tc.function.arguments},
            }
            for tc in message.tool_calls
        ]
    return d


def answer_with_tools(client: Any, messages: list[dict[str, Any]], get_weather: Any, model: str = MODEL) -> str:
    """The chat completions tool loop (at most four rounds): ask the model, run each
    get_weather call it asks for, append the call and its result to ``messages``, until it
    answers. ``get_weather`` is the case's own, as its library traces it."""
    for _ in range(4):
        resp = client.chat.completions.create(model=model, messages=messages, tools=[WEATHER_TOOL])
        msg = resp.choices[0].message
        messages.append(assistant_message_dict(msg))
        if not msg.tool_calls:
            return msg.content or ""
        for tc in msg.tool_calls:
            result = get_weather(**json.loads(tc.function.arguments or "{}"))
            messages.append({"role": "tool", "tool_call_id": tc.id, "content": result})
    raise RuntimeError("tool loop did not finish")
