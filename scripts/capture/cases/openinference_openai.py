"""openinference-instrumentation-openai + the plain openai client (chat completions).

System prompt, user asks the weather in Paris, the model calls get_weather (non-streaming
call), the tool runs inside an OpenInference TOOL span (OITracer.tool), and the final answer
is streamed (stream=True with stream_options.include_usage). Everything is under a CHAIN
span with a session id (openinference's using_session).
"""

from __future__ import annotations

import json
import sys

import _common as c


def main() -> int:
    tp = c.make_tracer_provider("weather-assistant")

    from openai import OpenAI
    from openinference.instrumentation import OITracer, TraceConfig, using_session
    from openinference.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=tp)
    tracer = OITracer(tp.get_tracer("weather-assistant"), config=TraceConfig())

    @tracer.tool(name="get_weather", description=c.WEATHER_TOOL["function"]["description"])
    def get_weather(city: str) -> str:
        return c.get_weather(city)

    client = OpenAI()
    messages: list[dict] = [
        {"role": "system", "content": c.SYSTEM_PROMPT},
        {"role": "user", "content": c.QUESTION},
    ]
    with (
        using_session("session-weather-0001"),
        tracer.start_as_current_span("weather-chat", openinference_span_kind="chain") as chain,
    ):
        chain.set_input(c.QUESTION)
        answer = None
        for _ in range(4):  # bounded tool loop
            if messages[-1]["role"] == "tool":
                # the final answer is streamed
                stream = client.chat.completions.create(
                    model=c.MODEL,
                    messages=messages,
                    tools=[c.WEATHER_TOOL],
                    stream=True,
                    stream_options={"include_usage": True},
                )
                parts = []
                for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        parts.append(chunk.choices[0].delta.content)
                answer = "".join(parts)
                messages.append({"role": "assistant", "content": answer})
                break
            resp = client.chat.completions.create(model=c.MODEL, messages=messages, tools=[c.WEATHER_TOOL])
            msg = resp.choices[0].message
            messages.append(c.assistant_message_dict(msg))
            if not msg.tool_calls:
                answer = msg.content
                break
            for tc in msg.tool_calls:
                result = get_weather(**json.loads(tc.function.arguments or "{}"))
                messages.append({"role": "tool", "tool_call_id": tc.id, "content": result})
        if answer is None:
            print("tool loop did not finish", file=sys.stderr)
            return 1
        chain.set_output(answer)
        chain.set_status("OK")
        print(f"answer: {answer}")

    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
