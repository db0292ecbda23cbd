"""A trajectory as text for a terminal (``tracechat trajectory``)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable

from tracechat.model.sessions import SessionTrajectory
from tracechat.model.trajectory import AgentChatMessage, AgentChatTrajectory

WIDTH = 100
_PREVIEW = 600


class Style:
    """ANSI styles, or none when the output is not a terminal."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text


def render(trajectory: AgentChatTrajectory, color: bool = False) -> str:
    style = Style(color)
    head = " · ".join(
        part
        for part in (
            f"trace {trajectory.trace_id}",
            trajectory.root_span_name,
            trajectory.provider,
            f"{trajectory.total_duration_ms} ms" if trajectory.total_duration_ms is not None else None,
        )
        if part
    )
    lines = [style(head, "1"), ""]
    for message in trajectory.messages:
        lines.extend(_message(message, style))
    if trajectory.feedback:
        lines.append(style("feedback", "1"))
        lines.extend(f"  {f.name}: {f.score if f.score is not None else f.label}" for f in trajectory.feedback)
    return "\n".join(lines)


def render_session(session: SessionTrajectory, color: bool = False) -> str:
    """The session's conversation, with a line where each of its traces (turns) begins."""
    style = Style(color)
    lines = [style(f"session {session.session_id} · {len(session.traces)} traces", "1")]
    heads = {}
    for number, trace in enumerate(session.traces, 1):
        duration = f"{trace.total_duration_ms} ms" if trace.total_duration_ms is not None else None
        parts = (f"turn {number}", f"trace {trace.trace_id}", trace.root_span_name, duration)
        heads[trace.trace_id] = style("── " + " · ".join(p for p in parts if p), "2")
        if trace.feedback:
            heads[trace.trace_id] += "".join(f"\n  feedback {f.name}: {f.score or f.label}" for f in trace.feedback)
    for message in session.messages:
        head = heads.pop(message.trace_id, None)
        if head is not None:
            lines.extend(["", head])
        lines.extend(_message(message, style))
    return "\n".join(lines)


def _message(message: AgentChatMessage, style: Style) -> list[str]:
    agent = f" [{message.agent_name}]" if message.agent_name else ""
    at = style(message.started_at.strftime("%H:%M:%S.%f")[:-3], "2")
    title, code, detail, body = _RENDERERS[message.type](message)
    return [f"{style(title, code)}{agent} {detail}  {at}", *body]


Rendered = tuple[str, str, str, list[str]]
"""(title, ANSI style, detail on the title line, lines below)."""


def _agent_start(message: AgentChatMessage) -> Rendered:
    start = message.agent_start
    assert start is not None
    tools = ", ".join(_tool_names(start.tool_definitions)) if start.tool_definitions else None
    return (
        "AGENT START",
        "35;1",
        start.model or "",
        [*_block("instructions", start.system_instructions), *_block("tools", tools)],
    )


def _user(message: AgentChatMessage) -> Rendered:
    user = message.user_message
    assert user is not None
    return "USER", "34;1", "", [*_block(None, user.text), *_refs(user.content_refs)]


def _assistant(message: AgentChatMessage) -> Rendered:
    reply = message.assistant_message
    assert reply is not None
    figures = [reply.model, _tokens(reply.input_tokens, reply.output_tokens), _ms(reply.duration_ms)]
    body = [*_block("reasoning", reply.reasoning_content), *_block(None, reply.text), *_refs(reply.content_refs)]
    return "ASSISTANT", "32;1", " · ".join(f for f in figures if f), body


def _tool(message: AgentChatMessage) -> Rendered:
    call = message.tool_call
    assert call is not None
    body = [*_block("arguments", call.tool_arguments), *_block("result", call.tool_result), *_refs(call.content_refs)]
    return "TOOL", "33;1", f"{call.tool_name or '?'} {_ms(call.duration_ms) or ''}", body


def _handoff(message: AgentChatMessage) -> Rendered:
    handoff = message.agent_handoff
    assert handoff is not None
    return "HANDOFF", "36;1", f"{handoff.from_agent or '?'} → {handoff.to_agent or '?'}", []


def _compacted(message: AgentChatMessage) -> Rendered:
    compacted = message.context_compacted
    assert compacted is not None
    counts = f"{compacted.compaction_items_before} → {compacted.compaction_items_after} items"
    return "CONTEXT COMPACTED", "31;1", counts, _block("summary", compacted.compaction_summary)


_RENDERERS: dict[str, Callable[[AgentChatMessage], Rendered]] = {
    "agent_start": _agent_start,
    "user_message": _user,
    "assistant_message": _assistant,
    "tool_call": _tool,
    "agent_handoff": _handoff,
    "context_compacted": _compacted,
}


def _block(label: str | None, text: str | None) -> list[str]:
    if not text:
        return []
    if len(text) > _PREVIEW:
        text = text[:_PREVIEW] + f"… ({len(text)} characters)"
    prefix = f"    {label}: " if label else "    "
    wrapped = textwrap.fill(
        " ".join(text.split()), width=WIDTH, initial_indent=prefix, subsequent_indent=" " * len(prefix)
    )
    return wrapped.splitlines()


def _refs(refs: list[str]) -> list[str]:
    return [f"    content: {ref}" for ref in refs]


def _tokens(tokens_in: int | None, tokens_out: int | None) -> str | None:
    if tokens_in is None and tokens_out is None:
        return None
    return f"{tokens_in if tokens_in is not None else '?'} in / {tokens_out if tokens_out is not None else '?'} out"


def _ms(value: int | None) -> str | None:
    return f"{value} ms" if value is not None else None


def _tool_names(definitions: str) -> list[str]:
    try:
        tools = json.loads(definitions)
    except ValueError:
        return [definitions]
    names = []
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict):
            function = tool["function"] if isinstance(tool.get("function"), dict) else tool
            names.append(str(function.get("name", "?")))
    return names
