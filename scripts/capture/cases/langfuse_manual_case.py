"""The Langfuse Python SDK v3 with observations made by hand, pointed at an OTLP endpoint of one's own.

Exported as in langfuse_case.py (`host` = the collector, `LANGFUSE_OTEL_TRACES_EXPORT_PATH=v1/traces`).
No integration: the plain `openai` client, each call recorded by the program in
`start_as_current_generation(model=..., input=<the messages>)` with `update(output=..., usage_details=
{"input": N, "output": M})` (Langfuse's own usage names), the reply as the message dict when it
asks for tools and as its text when it answers; the agent in `start_as_current_observation(
as_type="agent")` inside a plain `start_as_current_span` for the turn; the tool an
`@observe(as_type="tool")` function that raises the first time (Langfuse marks the observation
`level=ERROR` and the span's status ERROR with the exception's text); the loop sends the error
back to the model as the tool's result, the model calls the tool again.
"""

from __future__ import annotations

import json
import sys

import _common as c


def main() -> int:
    from langfuse import Langfuse, observe
    from openai import OpenAI

    langfuse = Langfuse(public_key="pk-lf-local", secret_key="sk-lf-local", host=c.otlp_base())
    client = OpenAI()
    failures = {"left": 1}

    @observe(as_type="tool", name="get_weather")
    def get_weather(city: str) -> str:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError(f"weather service unavailable for {city}")
        return c.get_weather(city)

    def run_agent(question: str) -> str:
        messages: list[dict] = [
            {"role": "system", "content": c.SYSTEM_PROMPT},
            {"role": "user", "content": question},
        ]
        for _ in range(4):  # bounded tool loop
            with langfuse.start_as_current_generation(name="chat", model=c.MODEL, input=messages) as generation:
                resp = client.chat.completions.create(model=c.MODEL, messages=messages, tools=[c.WEATHER_TOOL])
                msg = resp.choices[0].message
                usage = {"input": resp.usage.prompt_tokens, "output": resp.usage.completion_tokens}
                reply = c.assistant_message_dict(msg) if msg.tool_calls else msg.content
                generation.update(output=reply, usage_details=usage)
            messages.append(c.assistant_message_dict(msg))
            if not msg.tool_calls:
                return msg.content or ""
            for tc in msg.tool_calls:
                try:
                    result = get_weather(**json.loads(tc.function.arguments or "{}"))
                except RuntimeError as e:
                    result = json.dumps({"error": str(e)})
                messages.append({"role": "tool", "tool_call_id": tc.id, "content": result})
        raise RuntimeError("tool loop did not finish")

    with langfuse.start_as_current_span(name="weather turn", input=c.QUESTION) as turn:
        with langfuse.start_as_current_observation(as_type="agent", name="weather_agent", input=c.QUESTION) as agent:
            answer = run_agent(c.QUESTION)
            agent.update(output=answer)
        turn.update(output=answer)
    print(f"answer: {answer}")
    langfuse.flush()
    langfuse.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
