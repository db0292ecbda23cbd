"""openai-agents SDK + openinference-instrumentation-openai-agents, the tool served over MCP.

The weather agent's tool comes from a stdio MCP server (`mcp_weather_server.py`, started by
the SDK's `MCPServerStdio`): the SDK lists its tools, the model calls get_weather, the SDK
calls it over MCP. Both sides trace: the SDK's spans (OpenInference, exclusive processor),
mcp's client spans (`MCP send tools/call get_weather`, with the W3C context injected into the
request) and the server's own (`tools/call get_weather`, exported by the server process).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import _common as c
from _agents_sdk import run_with_openinference

HERE = Path(__file__).resolve().parent


async def run() -> list[str]:
    from agents import Agent, Runner
    from agents.mcp import MCPServerStdio

    env = {k: v for k, v in os.environ.items() if k.startswith(("OTEL_", "PYTHON"))} | {"PATH": os.environ["PATH"]}
    params = {"command": sys.executable, "args": [str(HERE / "mcp_weather_server.py")], "env": env, "cwd": str(HERE)}
    async with MCPServerStdio(params, name="weather-mcp", cache_tools_list=True) as server:
        agent = Agent(name="Weather Agent", instructions=c.SYSTEM_PROMPT, model=c.MODEL, mcp_servers=[server])
        result = await Runner.run(agent, c.QUESTION, max_turns=6)
    return [str(result.final_output)]


def main() -> int:
    return run_with_openinference("weather-agents", run)


if __name__ == "__main__":
    sys.exit(main())
