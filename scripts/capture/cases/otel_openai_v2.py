"""opentelemetry-instrumentation-openai-v2 + the plain openai client, a hand-written tool loop.

Two user turns in one trace (the second question follows the first answer). The mode comes
from the environment that ../capture.py sets per case:

* attributes mode: OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental and
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY
  -> messages in span attributes gen_ai.input.messages / gen_ai.output.messages
* legacy events mode: no opt-in, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true
  -> per-message log records gen_ai.system.message / gen_ai.user.message /
     gen_ai.assistant.message / gen_ai.tool.message / gen_ai.choice
* latest events mode: opt-in and OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=EVENT_ONLY
  -> one gen_ai.client.inference.operation.details log record per chat call

In the opt-in modes the root span and the execute_tool spans come from the library's own
opentelemetry-util-genai TelemetryHandler (handler.workflow / handler.tool); in the legacy
mode (where the util handler is not used by the instrumentation) they are made by hand
with the conventional attribute names.
"""

from __future__ import annotations

import json
import os
import sys

import _common as c


def main() -> int:
    experimental = "gen_ai_latest_experimental" in os.environ.get("OTEL_SEMCONV_STABILITY_OPT_IN", "")
    mode = os.environ.get("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "")
    want_logs = mode.lower() in ("true", "event_only", "span_and_event")

    tp = c.make_tracer_provider("weather-assistant")
    lp = c.make_logger_provider("weather-assistant") if want_logs else None

    from openai import OpenAI
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=tp, logger_provider=lp)

    client = OpenAI()  # OPENAI_BASE_URL / OPENAI_API_KEY from the environment
    messages: list[dict] = [{"role": "system", "content": c.SYSTEM_PROMPT}]

    if experimental:
        from opentelemetry.util.genai.handler import TelemetryHandler

        handler = TelemetryHandler(tracer_provider=tp, logger_provider=lp)
        root = handler.workflow("weather-chat")
    else:
        handler = None
        tracer = tp.get_tracer("tracechat.capture")
        # the same name and attributes util-genai's handler.workflow() gives its span
        root = tracer.start_as_current_span(
            "invoke_workflow weather-chat",
            attributes={"gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "weather-chat"},
        )

    with root:
        for question in (c.QUESTION, c.FOLLOW_UP):
            messages.append({"role": "user", "content": question})
            for _ in range(4):  # bounded tool loop
                resp = client.chat.completions.create(
                    model=c.MODEL, messages=messages, tools=[c.WEATHER_TOOL], temperature=0.2, max_tokens=256
                )
                msg = resp.choices[0].message
                messages.append(c.assistant_message_dict(msg))
                if not msg.tool_calls:
                    print(f"answer: {msg.content}")
                    break
                for tc in msg.tool_calls:
                    args = json.loads(tc.function.arguments or "{}")
                    if handler is not None:
                        with handler.tool(
                            tc.function.name,
                            tool_call_id=tc.id,
                            tool_type="function",
                            tool_description=c.WEATHER_TOOL["function"]["description"],
                        ) as inv:
                            inv.arguments = args
                            result = c.get_weather(**args)
                            inv.tool_result = result
                    else:
                        with tracer.start_as_current_span(
                            f"execute_tool {tc.function.name}",
                            attributes={
                                "gen_ai.operation.name": "execute_tool",
                                "gen_ai.tool.name": tc.function.name,
                                "gen_ai.tool.call.id": tc.id,
                                "gen_ai.tool.type": "function",
                            },
                        ) as span:
                            result = c.get_weather(**args)
                            span.set_attribute("gen_ai.tool.call.arguments", tc.function.arguments)
                            span.set_attribute("gen_ai.tool.call.result", result)
                    messages.append({"role": "tool", "tool_call_id": tc.id, "content": result})
            else:
                print("tool loop did not finish", file=sys.stderr)
                return 1

    c.shutdown(tp, lp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
