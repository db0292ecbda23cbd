"""Langtrace's Python SDK on a LangGraph prebuilt ReAct agent (langchain-openai).

`langtrace.init` as `langtrace_openai.py` makes it (a custom OTLP exporter to the sink,
`batch=False`, Sentry off, content on); it instruments whatever it finds installed: here
LangGraph, LangChain core and the `openai` client that langchain-openai calls. The agent is
`openinference_langgraph.react_agent()` (create_react_agent, get_weather, an in-memory
checkpointer); two user turns on one thread_id, each under Langtrace's
`@with_langtrace_root_span("weather_agent")` (one trace per turn, `session.id` from
`LANGTRACE_SESSION_ID`).
"""

from __future__ import annotations

import os
import sys

os.environ["LANGTRACE_ERROR_REPORTING"] = "False"
os.environ["TRACE_PROMPT_COMPLETION_DATA"] = "true"
os.environ["LANGTRACE_SESSION_ID"] = "weather-thread-1"

import _common as c  # noqa: E402


def main() -> int:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from langtrace_python_sdk import langtrace, with_langtrace_root_span

    langtrace.init(
        custom_remote_exporter=OTLPSpanExporter(endpoint=c.otlp_base() + "/v1/traces"),
        batch=False,
        service_name="langtrace-weather-langgraph",
    )

    from openinference_langgraph import answer_of, react_agent

    agent = react_agent()
    config = {"configurable": {"thread_id": "weather-thread-1"}, "recursion_limit": 10}

    @with_langtrace_root_span("weather_agent")
    def turn(question: str) -> str | None:
        return answer_of(agent.invoke({"messages": [{"role": "user", "content": question}]}, config))

    answers = [turn(c.QUESTION), turn(c.FOLLOW_UP)]
    for a in answers:
        print(f"answer: {a}")
    from _global_otel import shutdown_global

    shutdown_global()
    return 0 if all(answers) else 1


if __name__ == "__main__":
    sys.exit(main())
