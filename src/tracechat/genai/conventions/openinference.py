"""OpenInference semantic conventions (Arize Phoenix), spec as of 2026-08-21.

Flattened ``llm.input_messages.N.message.*`` / ``llm.output_messages.N.message.*`` (with
``contents.M.message_content.*`` and ``tool_calls.M.tool_call.*``), ``llm.tools.N.tool.json_schema``,
token counts, TOOL spans (``tool.name``, ``input.value`` / ``output.value``), ``agent.name``,
handoff TOOL spans named ``handoff to X`` (openai-agents instrumentation) and annotations.
Also covers LangChain / LangGraph and Google ADK as instrumented by OpenInference.
"""

from __future__ import annotations

from typing import Any

from tracechat.genai.messages import (
    langchain_message,
    langchain_messages,
    parse_message,
    parse_messages,
    response_messages,
)
from tracechat.genai.types import Feedback, Message, Part, SpanFacts
from tracechat.genai.values import flattened, indexed, json_text, number, structured, text

_HANDOFF_PREFIX = "handoff to "


PREFIXES = ("llm.", "openinference.", "input.", "output.", "tool.", "agent.", "annotations.", "evaluations.")
"""The keys this convention reads start so (``genai.registry`` runs it only on spans with one)."""


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    if not facts.has(*PREFIXES):
        return
    kind = text(a.get("openinference.span.kind"))
    if kind == "AGENT" and text(a.get("tool.name")):
        # OpenInference's LangChain tracer marks every run whose name holds "agent" as AGENT,
        # a tool's run too (``ask_weather_agent``); a run that records the tool it ran is that
        # tool's call
        facts.operation, kind = "execute_tool", "TOOL"
    facts.fill("agent_name", text(a.get("agent.name")) or (text(a.get("graph.node.id")) if kind == "AGENT" else None))
    _graph(facts, structured(a.get("metadata")), kind)
    facts.fill("input_messages", _messages(a, "llm.input_messages."))
    facts.fill("output_messages", _messages(a, "llm.output_messages."))
    tools = _tools(a)
    if _say_more(tools, facts.tool_definitions):
        facts.tool_definitions = tools
    facts.fill("tool_definitions", tools)
    facts.fill("reasoning_tokens", number(a.get("llm.token_count.completion_details.reasoning")))
    facts.fill("finish_reason", text(a.get("llm.finish_reason")))
    facts.fill("input_text", text(a.get("input.value")))
    facts.fill("output_text", text(a.get("output.value")))
    if kind == "LLM":
        facts.fill("input_messages", parse_messages(a.get("input.value")))
        facts.fill("output_messages", response_messages(a.get("output.value")))
        _name_calls(facts.input_messages, a.get("input.value"))
        _name_calls(facts.output_messages, a.get("output.value"))
        _complete_from_serialized(facts.input_messages, a.get("input.value"))
        _drop_answered_calls(facts.output_messages, facts.input_messages)
    if kind == "TOOL":
        if facts.name.startswith(_HANDOFF_PREFIX):
            facts.fill("handoff_to", facts.name[len(_HANDOFF_PREFIX) :].strip() or text(a.get("output.value")))
            facts.fill("handoff_from", text(a.get("input.value")))
        else:
            facts.fill("tool_call_id", text(a.get("tool.id")) or text(a.get("tool_call.id")) or _answered(a))
            facts.fill("tool_arguments", json_text(_message_content(a.get("input.value"))))
            facts.fill("tool_result", json_text(_message_content(a.get("output.value"))))
    facts.feedback.extend(_annotations(a))


def _graph(facts: SpanFacts, metadata: Any, kind: str | None) -> None:
    """LangGraph's run metadata: the node a span runs in, and how deeply its graph is nested
    (``langgraph_checkpoint_ns`` is ``node:id`` per graph level, joined by ``|``). A
    LangGraph run marked AGENT is named after its graph (``create_react_agent(name=...)``);
    so is the run of a graph that is no node of another one (no ``langgraph_node``: the
    graph itself, which OpenInference's JS instrumentation marks CHAIN). LangChain 1's
    ``create_agent`` (a LangGraph graph too) names the agent each run belongs to,
    ``lc_agent_name``: an agent's own run is named by it."""
    if not isinstance(metadata, dict):
        return
    agent = text(metadata.get("lc_agent_name"))
    if metadata.get("ls_integration") != "langgraph" and agent is None:
        return
    if kind == "CHAIN" and "langgraph_node" not in metadata:
        facts.operation, kind = "invoke_agent", "AGENT"
    if kind == "AGENT":
        facts.fill("agent_name", agent or facts.name)
    facts.fill("graph_node", text(metadata.get("langgraph_node")))
    namespace = metadata.get("langgraph_checkpoint_ns")
    if isinstance(namespace, str) and namespace:
        facts.fill("graph_depth", namespace.count("|") + 1)


def _message_content(value: Any) -> Any:
    """A tool's input or output that is a serialized LangChain message (``{"type": "tool",
    "data": {"content": ...}}``, or the ``{"lc": 1, "kwargs": {"content": ...}}`` form, also
    inside a wrapper that only carries it: ``{"output": ...}``, OpenInference's JS
    instrumentation) stands for its content."""
    data = _langchain_message(value)
    return data["content"] if data is not None and "content" in data else value


def _answered(attributes: dict[str, Any]) -> str | None:
    """The call a tool's result answers, as the LangChain ``ToolMessage`` it returned says."""
    data = _langchain_message(attributes.get("output.value"))
    return text(data.get("tool_call_id")) if data is not None else None


def _langchain_message(value: Any) -> dict[str, Any] | None:
    return langchain_message(structured(value) if isinstance(value, str) else value)


def _messages(attributes: dict[str, Any], prefix: str) -> list[Message] | None:
    items = flattened(attributes, prefix)
    if not items:
        return None
    messages = []
    for item in items:
        raw = item.get("message", {})
        if not isinstance(raw, dict):
            continue
        contents = indexed(raw.get("contents", {}))
        # ``content`` and ``contents`` may both be set to the same text; the parts win
        parsed = parse_message({"role": raw.get("role") or "user", "content": None if contents else raw.get("content")})
        message = parsed or Message(str(raw.get("role") or "user"))
        for content in contents:
            part = _content_part(content if isinstance(content, dict) else {})
            if part:
                message.parts.append(part)
        for call in indexed(raw.get("tool_calls", {})):
            part = _tool_call(call.get("tool_call", {}) if isinstance(call, dict) else {})
            if all(p.kind != "tool_call" or p.id != part.id or p.name != part.name for p in message.parts):
                message.parts.append(part)  # unless a ``tool_use`` content already is this call
        if raw.get("tool_call_id") and message.role == "tool":
            body = "\n".join(message.texts()) or None
            message.parts = [Part("tool_result", id=str(raw["tool_call_id"]), text=body)]
        messages.append(message)
    return messages


def _tool_call(tool_call: Any) -> Part:
    tool_call = tool_call if isinstance(tool_call, dict) else {}
    function = tool_call.get("function", {}) if isinstance(tool_call.get("function"), dict) else {}
    return Part(
        "tool_call",
        id=text(tool_call.get("id")),
        name=text(function.get("name")),
        arguments=json_text(function.get("arguments")),
    )


def _content_part(item: dict[str, Any]) -> Part | None:
    """One ``contents.M`` item: its ``message_content``; a ``tool_use`` content names its call
    in a ``tool_call`` beside it (``contents.M.tool_call.{id,function.*}``, the Anthropic
    instrumentation), else in the content itself."""
    content = item.get("message_content", {})
    content = content if isinstance(content, dict) else {}
    kind = content.get("type")
    if kind == "reasoning":
        return Part("reasoning", text=text(content.get("text")))
    if kind == "image":
        image = content.get("image", {})
        url = image.get("image", {}).get("url") if isinstance(image, dict) else None
        message = parse_message({"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]})
        return message.parts[0] if message and message.parts else None
    if kind == "tool_use":
        if isinstance(item.get("tool_call"), dict):
            return _tool_call(item["tool_call"])
        return Part("tool_call", id=text(content.get("id")), name=text(content.get("name")))
    value = text(content.get("text"))
    return Part("text", text=value) if value else None


def _tools(attributes: dict[str, Any]) -> list[Any] | None:
    tools = [structured(t.get("tool", {}).get("json_schema")) for t in flattened(attributes, "llm.tools.")]
    found = [t for t in tools if t is not None]
    return found or None


def _name_calls(messages: list[Message] | None, value: Any) -> None:
    """Tool calls recorded without their ids (OpenInference's LangChain JS instrumentation
    leaves ``tool_call.id`` out) take the ids the serialized LangChain messages in
    ``input.value`` / ``output.value`` give the same calls, in the same order."""
    calls = [p for m in messages or [] for p in m.parts if p.kind == "tool_call"]
    if not any(p.id is None for p in calls):
        return
    recorded: list[tuple[str | None, str | None]] = []
    _serialized_calls(structured(value), recorded)
    if [name for _, name in recorded] != [p.name for p in calls]:
        return
    for part, (call_id, _) in zip(calls, recorded, strict=True):
        part.id = part.id or call_id


def _complete_from_serialized(messages: list[Message] | None, value: Any) -> None:
    """Flattened messages that leave out what the serialized LangChain messages in
    ``input.value`` hold (OpenInference's LangChain JS instrumentation drops a content that is
    a list of parts, a system prompt's, and a tool message's ``tool_call_id``) take it from
    them, message for message, when both list the same roles in the same order."""
    if not any(not m.parts or (m.role == "tool" and not _results(m)) for m in messages or []):
        return  # nothing left out: ``input.value`` is not decoded
    if not messages or not isinstance(document := structured(value), dict):
        return
    serialized = langchain_messages(document, "messages")
    if serialized is None or [m.role for m in serialized] != [m.role for m in messages]:
        return
    for message, source in zip(messages, serialized, strict=True):
        if not message.parts or (message.role == "tool" and _answers_as(source, message)):
            message.parts = list(source.parts)


def _answers_as(source: Message, message: Message) -> bool:
    """``message`` is a tool result named by no call whose text ``source`` gives as the
    result of one."""
    if _results(message):
        return False
    return [p.text for p in _results(source)] == ["\n".join(message.texts())]


def _results(message: Message) -> list[Part]:
    return [p for p in message.parts if p.kind == "tool_result"]


def _drop_answered_calls(output: list[Message] | None, history: list[Message] | None) -> None:
    """A model call cannot ask for a tool call whose result it was sent: an output tool call
    whose id the call's own input already answers is a leftover of an earlier call recorded
    on the same span (OpenInference's Google ADK instrumentation writes two calls onto one
    span, and the second's output keys do not cover the first's ``tool_calls``)."""
    answered = {p.id for m in history or [] for p in m.parts if p.kind == "tool_result" and p.id}
    for message in output or []:
        message.parts = [p for p in message.parts if p.kind != "tool_call" or p.id not in answered]


def _say_more(tools: list[Any] | None, earlier: list[Any] | None) -> bool:
    """``llm.tools`` that record each tool's parameters say more than definitions filled
    before that record none (Google ADK's ``gen_ai.tool.definitions`` with
    ``"parameters": null``, beside OpenInference's ``parameters_json_schema``)."""
    if not tools or not earlier or len(tools) != len(earlier):
        return False
    return all(isinstance(d, dict) and _parameters(d) is None for d in earlier) and all(
        isinstance(t, dict) and _parameters(t) is not None for t in tools
    )


def _parameters(tool: dict[str, Any]) -> Any:
    """A tool definition's parameter schema, on the tool or on its ``function``
    (``inputSchema``: the AI SDK's and MCP's name for it)."""
    function = tool.get("function")
    for where in (tool, function if isinstance(function, dict) else {}):
        for key in ("parameters", "parameters_json_schema", "input_schema", "inputSchema"):
            if where.get(key) is not None:
                return where[key]
    return None


def _serialized_calls(document: Any, found: list[tuple[str | None, str | None]], depth: int = 0) -> None:
    """(id, name) of each tool call the AI messages in a document ask for, in document order:
    ``{"generations": [[{"message": …}]]}``, ``{"messages": [[…]]}``."""
    if depth > 6:
        return
    data = _langchain_message(document)
    if data is not None and "content" in data:
        for call in data.get("tool_calls") or []:
            if isinstance(call, dict):
                found.append((text(call.get("id")), text(call.get("name"))))
        return
    children = document.values() if isinstance(document, dict) else document if isinstance(document, list) else []
    for child in children:
        _serialized_calls(child, found, depth + 1)


def _annotations(attributes: dict[str, Any]) -> list[Feedback]:
    found = []
    for prefix, field in (("annotations.", "annotation"), ("evaluations.", "evaluation")):
        for item in flattened(attributes, prefix):
            body = item.get(field, {})
            if not isinstance(body, dict) or not body.get("name"):
                continue
            score = body.get("score")
            found.append(
                Feedback(
                    name=str(body["name"]),
                    score=float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
                    label=text(body.get("label")),
                    comment=text(body.get("explanation")),
                    source=f"openinference.{field}",
                )
            )
    return found
