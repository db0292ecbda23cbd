"""Tool definitions as recorded (each library writes its own shape) → the OpenAI function
tool shape ``{"type": "function", "function": {name, description?, parameters?}}``.

Only the shape changes: a key the trace did not record stays absent, and a definition of a
shape not known here passes through unchanged."""

from __future__ import annotations

import json
from typing import Any

from tracechat.model.trajectory import AgentChatMessage

_SCHEMA_KEYS = ("parameters", "input_schema", "inputSchema")
"""Where the JSON schema of the arguments sits: OpenAI and most libraries, Anthropic,
Vercel AI SDK / MCP (Strands' Bedrock shape wraps it once more in ``{"json": …}``)."""


def parse_definitions(text: str | None) -> list[Any]:
    """The JSON text of an ``agent_start``'s tool definitions as a list (empty when not
    recorded or not a JSON list)."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def openai_tool(definition: Any) -> Any:
    """One recorded definition in the OpenAI function tool shape."""
    if isinstance(definition, str):  # only the name was recorded
        return {"type": "function", "function": {"name": definition}}
    if not isinstance(definition, dict):
        return definition
    if isinstance(definition.get("function"), dict):
        return definition
    name = definition.get("name")
    if not isinstance(name, str) or definition.get("type", "function") != "function":
        return definition
    function: dict[str, Any] = {"name": name}
    if definition.get("description") is not None:
        function["description"] = definition["description"]
    for key in _SCHEMA_KEYS:
        schema = definition.get(key)
        if isinstance(schema, dict):
            inner = schema.get("json")
            function["parameters"] = inner if key == "inputSchema" and isinstance(inner, dict) else schema
            break
    if definition.get("strict") is not None:
        function["strict"] = definition["strict"]
    return {"type": "function", "function": function}


def tool_name(tool: Any) -> str | None:
    function = tool.get("function") if isinstance(tool, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    return name if isinstance(name, str) else None


def offered_tools(messages: list[AgentChatMessage]) -> list[Any]:
    """Every tool any agent of the trajectory was offered, once by name, in the order first
    offered, in the OpenAI shape."""
    found: list[Any] = []
    names: set[str] = set()
    for message in messages:
        if message.agent_start is None:
            continue
        for definition in parse_definitions(message.agent_start.tool_definitions):
            tool = openai_tool(definition)
            name = tool_name(tool)
            if name is None and tool in found:
                continue
            if name is not None:
                if name in names:
                    continue
                names.add(name)
            found.append(tool)
    return found
