"""openinference-instrumentation-openai + openai client, Responses API with reasoning.

client.responses.create(model="o4-mini-reasoner", reasoning={"effort": "medium",
"summary": "auto"}, instructions=..., tools=[get_weather]). The fake server answers with a
`reasoning` output item (summary_text) before the function_call and before the final
message, and reports usage.output_tokens_details.reasoning_tokens. The reasoning items are
passed back in the next request's input, as a client keeping the conversation itself does.
"""

from __future__ import annotations

import json
import sys

import _common as c

RESPONSES_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "parameters": c.WEATHER_TOOL["function"]["parameters"],
    "strict": True,
}


def main() -> int:
    tp = c.make_tracer_provider("weather-assistant")

    from openai import OpenAI
    from openinference.instrumentation import OITracer, TraceConfig
    from openinference.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=tp)
    tracer = OITracer(tp.get_tracer("weather-assistant"), config=TraceConfig())

    @tracer.tool(name="get_weather", description=RESPONSES_TOOL["description"])
    def get_weather(city: str) -> str:
        return c.get_weather(city)

    client = OpenAI()
    items: list = [{"role": "user", "content": c.QUESTION}]
    answer = None
    with tracer.start_as_current_span("weather-chat", openinference_span_kind="chain") as chain:
        chain.set_input(c.QUESTION)
        for _ in range(4):  # bounded tool loop
            resp = client.responses.create(
                model="o4-mini-reasoner",
                instructions=c.SYSTEM_PROMPT,
                input=items,
                tools=[RESPONSES_TOOL],
                reasoning={"effort": "medium", "summary": "auto"},
            )
            calls = [o for o in resp.output if o.type == "function_call"]
            items.extend(o.model_dump(exclude_none=True) for o in resp.output)
            if not calls:
                answer = resp.output_text
                break
            for call in calls:
                result = get_weather(**json.loads(call.arguments or "{}"))
                items.append({"type": "function_call_output", "call_id": call.call_id, "output": result})
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
