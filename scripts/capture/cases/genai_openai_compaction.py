"""opentelemetry-instrumentation-genai-openai (the official OpenAI instrumentation, on
opentelemetry-util-genai 1.3b0) + the plain openai client, Responses API with server-side
compaction.

Every request carries ``context_management=[{"type": "compaction", "compact_threshold": N}]``.
The fake server compacts when the context after the last compaction item reaches N tokens:
its output then starts with a ``compaction`` item (``encrypted_content``, no readable
summary), as OpenAI's does. The conversation is kept the stateless way (``store=False``):
each response's output items, the compaction item included, are appended to the input of
the next request.

Two user turns in one trace under an ``invoke_agent weather_agent`` span (util-genai's
``handler.invoke_local_agent``); tools are run by hand under ``handler.tool`` spans. The
threshold is set so that the first request of the second turn compacts.
"""

from __future__ import annotations

import json
import sys

import _common as c

COMPACT_THRESHOLD = 150
"""Tokens (the fake server's ~4 characters a token) at which the server compacts: above
the first turn's requests, below the second turn's first."""

TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "parameters": c.WEATHER_TOOL["function"]["parameters"],
    "strict": True,
}


def main() -> int:
    tp = c.make_tracer_provider("weather-assistant")

    from openai import OpenAI
    from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor
    from opentelemetry.util.genai.handler import TelemetryHandler

    OpenAIInstrumentor().instrument(tracer_provider=tp)
    handler = TelemetryHandler(tracer_provider=tp)
    client = OpenAI()  # OPENAI_BASE_URL / OPENAI_API_KEY from the environment

    items: list[dict] = []
    with handler.invoke_local_agent(agent_name="weather_agent", request_model=c.MODEL):
        for question in (c.QUESTION, c.FOLLOW_UP):
            items.append({"role": "user", "content": question})
            for _ in range(4):  # bounded tool loop
                resp = client.responses.create(
                    model=c.MODEL,
                    instructions=c.SYSTEM_PROMPT,
                    input=items,
                    tools=[TOOL],
                    store=False,
                    context_management=[{"type": "compaction", "compact_threshold": COMPACT_THRESHOLD}],
                )
                items.extend(o.model_dump(exclude_none=True) for o in resp.output)
                calls = [o for o in resp.output if o.type == "function_call"]
                if not calls:
                    print(f"answer: {resp.output_text}")
                    break
                for call in calls:
                    with handler.tool(call.name, tool_type="function") as tool:
                        tool.tool_call_id = call.call_id
                        tool.tool_description = TOOL["description"]
                        tool.arguments = json.loads(call.arguments or "{}")
                        result = c.get_weather(**tool.arguments)
                        tool.tool_result = result
                    items.append({"type": "function_call_output", "call_id": call.call_id, "output": result})
    print("compacted:", [o.get("id") for o in items if o.get("type") == "compaction"])
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
