"""Langtrace's Python SDK (`langtrace-python-sdk`) around a hand-written OpenAI tool loop.

`langtrace.init(custom_remote_exporter=OTLPSpanExporter(<sink>/v1/traces), batch=False)` is how
Langtrace is pointed at an OTLP endpoint of one's own (a custom exporter: no Langtrace API key,
no Langtrace cloud); it sets the global TracerProvider and instruments the `openai` client. Its
error reporting (Sentry) is turned off with `LANGTRACE_ERROR_REPORTING=False`, and the prompt and
completion content is recorded (`TRACE_PROMPT_COMPLETION_DATA=true`, Langtrace's default, set
as a user who wants content would). Its version check (GitHub) fails: the capture has no network.

The agent: two user turns of one conversation, each under Langtrace's
`@with_langtrace_root_span("weather_agent")` (one trace per turn, both with the session id
Langtrace takes from `LANGTRACE_SESSION_ID`). The loop runs get_weather itself (untraced, as a
plain-SDK user does) and sends its result back as a `tool` message; the first Paris lookup
answers an error, so the model asks again.
"""

from __future__ import annotations

import json
import os
import sys

import _common as c

os.environ["LANGTRACE_ERROR_REPORTING"] = "False"
os.environ["TRACE_PROMPT_COMPLETION_DATA"] = "true"
os.environ["LANGTRACE_SESSION_ID"] = "weather-session-1"


def main() -> int:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from langtrace_python_sdk import langtrace, with_langtrace_root_span

    langtrace.init(
        custom_remote_exporter=OTLPSpanExporter(endpoint=c.otlp_base() + "/v1/traces"),
        batch=False,
        service_name="langtrace-weather-agent",
    )

    from openai import OpenAI

    client = OpenAI()
    failed: set[str] = set()

    def get_weather(city: str) -> str:
        if city == "Paris" and city not in failed:
            failed.add(city)
            return json.dumps({"city": city, "error": "weather service unavailable for Paris, try again"})
        return c.get_weather(city)

    messages: list[dict] = [{"role": "system", "content": c.SYSTEM_PROMPT}]

    @with_langtrace_root_span("weather_agent")
    def turn(question: str) -> str:
        messages.append({"role": "user", "content": question})
        return c.answer_with_tools(client, messages, get_weather)

    answers = [turn(c.QUESTION), turn(c.FOLLOW_UP)]
    for a in answers:
        print(f"answer: {a}")
    from _global_otel import shutdown_global

    shutdown_global()
    return 0 if all(answers) else 1


if __name__ == "__main__":
    sys.exit(main())
