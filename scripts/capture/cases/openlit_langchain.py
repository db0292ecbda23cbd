"""OpenLIT on LangChain 1.x `create_agent`: a supervisor whose tool runs a second agent.

`openlit.init(otlp_endpoint=<sink>)` instruments every library it finds installed: here
LangChain / LangGraph and the openai client under langchain-openai's ChatOpenAI (chat
completions, non-streaming). The scenario is LangChain's "subagents" pattern, as
langchain_create_agent.py: `travel_agent`'s one tool, `ask_weather_agent(task)`, invokes
`weather_agent` (its own system prompt, tool get_weather) and returns its last message.
"""

from __future__ import annotations

import sys

from _global_otel import openlit_init, shutdown_global
from _langchain import travel_agent_answer


def main() -> int:
    openlit_init("travel-agents")

    answer = travel_agent_answer()
    if answer is None:
        return 1
    print(f"answer: {answer}")
    shutdown_global()
    return 0


if __name__ == "__main__":
    sys.exit(main())
