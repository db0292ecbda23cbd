"""openinference-instrumentation-langchain + a LangGraph prebuilt ReAct agent, two turns on
one checkpointed thread, each invocation its own trace.

As openinference_langgraph.py, but without the enclosing CHAIN span: each `agent.invoke`
is a trace of its own, and LangGraph's run metadata gives every span the thread as its
`session.id`. The second turn's model calls get the first turn back from the checkpoint.
"""

from __future__ import annotations

import sys

import _common as c
from openinference_langgraph import answer_of, react_agent

THREAD_ID = "thread-weather-0002"


def main() -> int:
    tp = c.make_tracer_provider("weather-langgraph-session")

    from openinference.instrumentation.langchain import LangChainInstrumentor

    LangChainInstrumentor().instrument(tracer_provider=tp)
    agent = react_agent()
    config = {"configurable": {"thread_id": THREAD_ID}, "recursion_limit": 10}
    for question in (c.QUESTION, c.FOLLOW_UP):
        state = agent.invoke({"messages": [{"role": "user", "content": question}]}, config)
        answer = answer_of(state)
        if answer is None:
            return 1
        print(f"answer: {answer} ({len(state['messages'])} messages in the thread)")
    c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
