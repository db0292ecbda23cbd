"""Logfire instrumenting the openai client directly, exporting OTLP to the sink (not to Logfire).

`logfire.configure(send_to_logfire=False)` exports to OTEL_EXPORTER_OTLP_ENDPOINT (the sink),
as Logfire's guide for other backends says; `logfire.instrument_openai()` traces each chat
completion. The agent is hand-written, as a Logfire user writes one: a `logfire.span` around
the conversation, the tool `@logfire.instrument`-ed. Two user turns: the weather in Paris
(the model calls get_weather, the loop runs it, the model answers), then the follow-up
about London, sent with the whole history.
"""

from __future__ import annotations

import json
import sys

import _common as c


def main() -> int:
    import logfire
    from openai import OpenAI

    logfire.configure(service_name="weather-agent", send_to_logfire=False, console=False, metrics=False)
    logfire.instrument_openai()
    client = OpenAI()

    @logfire.instrument("get_weather {city}", extract_args=True, record_return=True)
    def get_weather(city: str) -> str:
        return c.get_weather(city)

    messages: list[dict] = [{"role": "system", "content": c.SYSTEM_PROMPT}]

    def turn(question: str) -> str:
        messages.append({"role": "user", "content": question})
        # the loop stays here, not in _common.answer_with_tools: logfire records each span's call
        # site (code.filepath, code.function, code.lineno), which a shared loop would change
        for _ in range(4):  # bounded tool loop
            resp = client.chat.completions.create(model=c.MODEL, messages=messages, tools=[c.WEATHER_TOOL])
            msg = resp.choices[0].message
            messages.append(c.assistant_message_dict(msg))
            if not msg.tool_calls:
                return msg.content or ""
            for tc in msg.tool_calls:
                result = get_weather(**json.loads(tc.function.arguments or "{}"))
                messages.append({"role": "tool", "tool_call_id": tc.id, "content": result})
        raise RuntimeError("tool loop did not finish")

    with logfire.span("weather agent"):
        for question in (c.QUESTION, c.FOLLOW_UP):
            print(f"answer: {turn(question)}")
    logfire.force_flush()
    logfire.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
