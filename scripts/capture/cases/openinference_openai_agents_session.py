"""openai-agents SDK + openinference-instrumentation-openai-agents, two turns of one session.

The SDK keeps the conversation in a `SQLiteSession` (in memory): each `Runner.run(...,
session=session)` is its own trace, and the second run's model input starts with the first
turn's items from the session. OpenInference ties the traces with `using_session(id)`
(every span gets `session.id`); the runs are named `Weather chat`
(`RunConfig.workflow_name`) and grouped by the session id (`group_id`, which the SDK's own
tracing records and OpenInference does not). Turn 1 as openinference_openai_agents.py (the triage agent
hands off to the weather agent, which calls get_weather for Paris); turn 2 continues with
`result.last_agent` (the weather agent), as the SDK's docs do for a follow-up, which calls
get_weather for London and answers.
"""

from __future__ import annotations

import sys

import _common as c
from _agents_sdk import run_with_openinference, triage_agent

SESSION_ID = "agents-session-0001"


async def run() -> list[str]:
    from agents import RunConfig, Runner, SQLiteSession
    from openinference.instrumentation import using_session

    session = SQLiteSession(SESSION_ID)
    config = RunConfig(workflow_name="Weather chat", group_id=SESSION_ID)  # the SDK's names for a conversation
    answers = []
    agent = triage_agent()
    for question in (c.QUESTION, c.FOLLOW_UP):
        with using_session(SESSION_ID):
            result = await Runner.run(agent, question, session=session, max_turns=6, run_config=config)
        answers.append(str(result.final_output))
        agent = result.last_agent
    return answers


def main() -> int:
    return run_with_openinference("weather-agents-session", run)


if __name__ == "__main__":
    sys.exit(main())
