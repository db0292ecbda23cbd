"""The Langfuse Python SDK v3 (built on OpenTelemetry) pointed at an OTLP endpoint of one's own.

Langfuse v3 exports through its own `LangfuseSpanProcessor` (an OTLP/HTTP protobuf exporter) to
`<host>/api/public/otel/v1/traces`; `LANGFUSE_OTEL_TRACES_EXPORT_PATH` replaces that path, so
`host` = the collector and `LANGFUSE_OTEL_TRACES_EXPORT_PATH=v1/traces` (set by cases.toml) sends
Langfuse's own export to a plain OTLP endpoint such as tracechat's, as a user pointing their
Langfuse-instrumented code at tracechat would. The keys are placeholders (the collector ignores
the Basic auth header they make).

The agent is hand-written, as a Langfuse user writes one: `@observe(as_type="agent")` around the
loop, `langfuse.openai.OpenAI` (Langfuse's OpenAI integration: one `generation` observation per
chat completion), the tool run inside `start_as_current_observation(as_type="tool")`.
"""

from __future__ import annotations

import sys

import _common as c


def main() -> int:
    from langfuse import Langfuse, observe

    langfuse = Langfuse(public_key="pk-lf-local", secret_key="sk-lf-local", host=c.otlp_base())
    from langfuse.openai import OpenAI  # after the client: the integration uses the client made above

    client = OpenAI()

    def get_weather(city: str) -> str:
        with langfuse.start_as_current_observation(as_type="tool", name="get_weather", input={"city": city}) as tool:
            result = c.get_weather(city)
            tool.update(output=result)
            return result

    @observe(as_type="agent", name="weather-agent")
    def run_agent(question: str) -> str:
        messages: list[dict] = [
            {"role": "system", "content": c.SYSTEM_PROMPT},
            {"role": "user", "content": question},
        ]
        return c.answer_with_tools(client, messages, get_weather)

    print(f"answer: {run_agent(c.QUESTION)}")
    langfuse.flush()
    langfuse.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
