"""The Anthropic Python SDK against the fake Messages endpoint, a hand-written tool loop.

The instrumentation comes from the environment that ../capture.py sets per case:

* CAPTURE_INSTRUMENTATION=openinference -> openinference-instrumentation-anthropic
  (``AnthropicInstrumentor``: LLM spans with ``llm.input_messages.*`` / ``llm.output_messages.*``)
* CAPTURE_INSTRUMENTATION=openllmetry -> traceloop's opentelemetry-instrumentation-anthropic
  (``AnthropicInstrumentor``: ``anthropic.chat`` spans)
* CAPTURE_INSTRUMENTATION=sdk -> none: the Anthropic SDK's own tracing alone (on by default
  once a global TracerProvider exists; ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE=content
  asks it for content)

CAPTURE_STREAM=1 streams the replies (``messages.create(stream=True)``, SSE events, folded into
the final message with the SDK's own accumulator).
The user asks the weather in Paris; the model answers with a ``tool_use`` block; the program
runs the tool under a span of its own (``execute_tool get_weather``, the conventional name and
attributes, made by hand: neither instrumentation traces the application's tools) and sends
the ``tool_result`` back; the model answers. All under a root span ``weather-chat``.
"""

from __future__ import annotations

import json
import os
import sys

import _common as c

MODEL = "claude-sonnet-4-5"
TOOL = {
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "input_schema": c.WEATHER_TOOL["function"]["parameters"],
}


def fold_stream(events) -> list[dict]:
    """The content blocks of a raw event stream, as ``messages.stream()`` would accumulate them."""
    blocks: list[dict] = []
    partial: dict[int, str] = {}
    for event in events:
        if event.type == "content_block_start":
            blocks.append(event.content_block.model_dump(exclude_none=True))
        elif event.type == "content_block_delta" and event.delta.type == "text_delta":
            blocks[event.index]["text"] += event.delta.text
        elif event.type == "content_block_delta" and event.delta.type == "input_json_delta":
            partial[event.index] = partial.get(event.index, "") + event.delta.partial_json
        elif event.type == "content_block_stop" and event.index in partial:
            blocks[event.index]["input"] = json.loads(partial.pop(event.index) or "{}")
    return blocks


def main() -> int:
    tp = c.make_tracer_provider("weather-assistant")
    which = os.environ["CAPTURE_INSTRUMENTATION"]
    if which == "openinference":
        from openinference.instrumentation.anthropic import AnthropicInstrumentor
    elif which == "openllmetry":
        from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor  # type: ignore[no-redef]
    if which in ("openinference", "openllmetry"):
        AnthropicInstrumentor().instrument(tracer_provider=tp)
    # else ("sdk"): only the Anthropic SDK's own telemetry

    from anthropic import Anthropic

    client = Anthropic(base_url=os.environ["OPENAI_BASE_URL"].removesuffix("/v1"), api_key="test")
    stream = os.environ.get("CAPTURE_STREAM") == "1"
    tracer = tp.get_tracer("tracechat.capture")
    messages: list[dict] = [{"role": "user", "content": c.QUESTION}]
    with tracer.start_as_current_span("weather-chat"):
        for _ in range(4):  # bounded tool loop
            kwargs = {
                "model": MODEL,
                "max_tokens": 256,
                "system": c.SYSTEM_PROMPT,
                "messages": messages,
                "tools": [TOOL],
            }
            if stream:
                # messages.create(stream=True): the raw SSE events, folded into the blocks here.
                # (With the messages.stream() helper, traceloop's span and the SDK's own end up
                # siblings, not nested: see the case README.)
                blocks = fold_stream(client.messages.create(**kwargs, stream=True))
            else:
                blocks = [b.model_dump(exclude_none=True) for b in client.messages.create(**kwargs).content]
            messages.append({"role": "assistant", "content": blocks})
            uses = [b for b in blocks if b["type"] == "tool_use"]
            if not uses:
                print("answer:", "".join(b["text"] for b in blocks if b["type"] == "text"))
                break
            results = []
            for use in uses:
                attributes = {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": use["name"],
                    "gen_ai.tool.call.id": use["id"],
                    "gen_ai.tool.call.arguments": json.dumps(use["input"]),
                }
                with tracer.start_as_current_span(f"execute_tool {use['name']}", attributes=attributes) as span:
                    result = c.get_weather(**use["input"])
                    span.set_attribute("gen_ai.tool.call.result", result)
                results.append({"type": "tool_result", "tool_use_id": use["id"], "content": result})
            messages.append({"role": "user", "content": results})
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
