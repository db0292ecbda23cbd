"""A stdio MCP server with the get_weather tool (mcp 2.x `MCPServer`), traced to the sink.

mcp 2.x servers trace every inbound request (`OpenTelemetryMiddleware`, on by default) and
continue the caller's trace from the W3C context in the request's `_meta`; this process
sets a TracerProvider exporting to the sink, as a traced service would.
"""

from __future__ import annotations

import sys

import _common as c


def main() -> int:
    tp = c.make_tracer_provider("weather-mcp-server")

    from mcp.server.mcpserver import MCPServer

    server = MCPServer("weather")

    @server.tool(description="Get the current weather for a city.")
    def get_weather(city: str) -> str:
        return c.get_weather(city)

    try:
        server.run("stdio")
    finally:
        c.shutdown(tp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
