"""LiteLLM's own OpenTelemetry callback around a hand-written tool loop.

`litellm.callbacks = ["otel"]` is LiteLLM's OpenTelemetry integration; with `OTEL_EXPORTER`
= `otlp_http` and `OTEL_ENDPOINT` = the sink's /v1/traces (set below from the capture's
OTEL_EXPORTER_OTLP_ENDPOINT) it exports each completion. The agent is the plain loop a LiteLLM
user writes: `litellm.completion(model="openai/gpt-4o-mini", api_base=...)` with the get_weather
tool, the tool run by the loop, its result sent back as a `tool` message, until the model
answers. The loop runs under a span of the case program's (`weather agent`, from the global
TracerProvider LiteLLM also exports through), so that the calls share one trace.
"""

from __future__ import annotations

import json
import os
import sys

import _common as c


def main() -> int:
    os.environ["OTEL_EXPORTER"] = "otlp_http"
    os.environ["OTEL_ENDPOINT"] = c.otlp_base() + "/v1/traces"
    # under a current span LiteLLM by default writes each call's attributes onto that span (the
    # user's), where a later call's can land after the span ended and be lost; its documented
    # switch makes a `litellm_request` span per call, a child of the current span
    os.environ["USE_OTEL_LITELLM_REQUEST_SPAN"] = "true"
    tp = c.make_tracer_provider("litellm-weather-agent")

    import litellm

    litellm.callbacks = ["otel"]
    tracer = tp.get_tracer("weather-agent")
    messages: list[dict] = [{"role": "system", "content": c.SYSTEM_PROMPT}, {"role": "user", "content": c.QUESTION}]
    answer = ""
    with tracer.start_as_current_span("weather agent"):
        for _ in range(4):  # bounded tool loop
            resp = litellm.completion(
                model=f"openai/{c.MODEL}",
                api_base=os.environ["OPENAI_BASE_URL"],
                api_key=os.environ["OPENAI_API_KEY"],
                messages=messages,
                tools=[c.WEATHER_TOOL],
            )
            msg = resp.choices[0].message
            messages.append(c.assistant_message_dict(msg))
            if not msg.tool_calls:
                answer = msg.content or ""
                break
            for tc in msg.tool_calls:
                result = c.get_weather(**json.loads(tc.function.arguments or "{}"))
                messages.append({"role": "tool", "tool_call_id": tc.id, "content": result})
    print(f"answer: {answer}")
    c.shutdown(tp)
    return 0 if answer else 1


if __name__ == "__main__":
    sys.exit(main())
