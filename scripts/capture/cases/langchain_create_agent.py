"""openinference-instrumentation-langchain + LangChain 1.x `create_agent` (langchain-openai).

LangChain v1's agent (`langchain.agents.create_agent`, a LangGraph graph with a model node and
a tool node, middleware-based) in its docs' "subagents" pattern: a supervisor `travel_agent`
whose one tool, `ask_weather_agent(task)`, invokes a second `create_agent` agent,
`weather_agent` (its own system prompt, tool get_weather), and returns its last message. The
model (ChatOpenAI, chat completions, non-streaming) asks `ask_weather_agent`; inside it the
weather agent calls get_weather and answers; the supervisor passes the answer on.
"""

from __future__ import annotations

import sys

import _common as c
from _langchain import travel_agent_answer


def main() -> int:
    tp = c.make_tracer_provider("langchain-create-agent")

    from openinference.instrumentation.langchain import LangChainInstrumentor

    LangChainInstrumentor().instrument(tracer_provider=tp)

    answer = travel_agent_answer()
    if answer is None:
        return 1
    print(f"answer: {answer}")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
