"""The built-in offline analyst (``tracechat-analyst``): **rule-based, not a language model**.

It reads the question, picks tools by the words in it (errors, slow, tokens or cost, a trace
id, agents or models, a tool name…), calls them for real through the same function-calling
loop a model would, and writes its answer from their results. It streams its plan as
reasoning and its answer as text. Token counts are estimates (characters / 4); cost is 0.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

from tracechat.chat.models import ModelEvent, ModelRequest, ReasoningDelta, TextDelta, ToolCallRequest, Usage
from tracechat.model.summaries import DEFAULT_WINDOW_HOURS
from tracechat.pricing import dollars

NAME = "tracechat-analyst"
_TRACE_ID = re.compile(r"\b[0-9a-fA-F]{32}\b")
_WINDOW = re.compile(r"(?:last|past)\s+(\d+)\s*(hour|hr|h|day|d|week|w)", re.IGNORECASE)
_UNITS = {"h": 1, "d": 24, "w": 168}
_SESSION_NAMED = re.compile(r"\b(?:session|conversation)\s+[`'\"]?(?P<id>[\w.:-]*\d[\w.:-]*)", re.IGNORECASE)
"""A session named by an id (with a digit in it: "session thread-42", not "session list")."""
_TOOL_NAMED = re.compile(r"\btool\s+[`'\"]?([\w.-]+)", re.IGNORECASE)
_MENTIONED = re.compile(
    r"\b(?:mention(?:s|ed|ing)?|contain(?:s|ed|ing)?|(?:talk|talks|talked|say|says|said) about|with the (?:word|text))"
    r"\s+[`'\"“]?(?P<text>[^`'\"”?]+?)[`'\"”]?\s*[?.!]*$",
    re.IGNORECASE,
)


def _hours(question: str) -> int:
    match = _WINDOW.search(question)
    if match:
        return int(match.group(1)) * _UNITS[match.group(2)[0].lower()]
    lowered = question.lower()
    if any(w in lowered for w in ("right now", "today", "currently", "at the moment")):
        return 24
    if "week" in lowered:
        return 168
    if "month" in lowered:
        return 24 * 30
    return DEFAULT_WINDOW_HOURS


def plan(question: str) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls a question asks for, in order."""
    lowered = question.lower()
    hours = _hours(question)
    calls: list[tuple[str, dict[str, Any]]] = []
    trace = _TRACE_ID.search(question)
    if trace:
        calls.append(("get_trajectory", {"trace_id": trace.group(0).lower()}))
    session = _SESSION_NAMED.search(question)
    if session:
        calls.append(("get_session", {"session_id": session.group("id")}))
    elif "session" in lowered or "conversations" in lowered:
        calls.append(("list_sessions", {"hours": hours}))
    if any(w in lowered for w in ("error", "fail", "exception", "broken", "crash", "wrong")) and not trace:
        calls.append(("find_errors", {"hours": hours}))
    if any(w in lowered for w in ("slow", "latency", "duration", "longest", "takes long")):
        calls.append(("find_slowest", {"what": "spans" if "span" in lowered else "traces", "hours": hours}))
    if any(w in lowered for w in ("token", "cost", "spend", "expensive", "usage", "$")):
        calls.append(("token_usage", {"group_by": "agent" if "agent" in lowered else "model", "hours": hours}))
    mentioned = _MENTIONED.search(question.strip())
    if mentioned:
        calls.append(("search_traces", {"text": mentioned.group("text").strip(), "hours": hours}))
    tool = _TOOL_NAMED.search(question)
    if tool and tool.group(1).lower() not in ("calls", "call", "use", "usage"):
        calls.append(("search_traces", {"tool": tool.group(1), "hours": hours}))
    if any(
        w in lowered
        for w in (
            "which agents",
            "what agents",
            "which models",
            "what models",
            "list agents",
            "list models",
            "agents and models",
            "what tools",
            "which tools",
        )
    ):
        calls.append(("list_agents_and_models", {"hours": max(hours, DEFAULT_WINDOW_HOURS)}))
    if not calls:
        calls = [
            ("list_agents_and_models", {"hours": DEFAULT_WINDOW_HOURS}),
            ("find_slowest", {"what": "traces", "hours": hours}),
        ]
    return calls


class Analyst:
    """Not a language model: picks trace tools by the words of the question and answers from their results.

    Works offline with no provider configured; every answer is reproducible."""

    name = NAME
    provider = "tracechat"

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        question = _last_user_text(request.messages)
        results = _results_since_question(request.messages)
        available = {t["function"]["name"] for t in request.tools}
        if not results:
            calls = [(name, args) for name, args in plan(question) if name in available]
            if calls:
                yield ReasoningDelta("Plan: " + "; ".join(f"{n}({json.dumps(a)})" for n, a in calls) + ".")
                for name, args in calls:
                    yield ToolCallRequest(f"call_{uuid.uuid4().hex[:24]}", name, json.dumps(args))
                answer = ""
            else:
                yield ReasoningDelta("None of the tools this agent may use answers that question.")
                answer = f"My tools ({', '.join(sorted(available)) or 'none'}) cannot answer that question."
                yield TextDelta(answer)
        else:
            yield ReasoningDelta(f"Read {len(results)} tool result(s); writing the answer.")
            answer = compose(results)
            for piece in _chunks(answer):
                yield TextDelta(piece)
        prompt_chars = sum(len(str(m.get("content") or "")) for m in request.messages)
        yield Usage(
            input_tokens=max(1, prompt_chars // 4),
            output_tokens=max(1, len(answer) // 4),
            model=NAME,
            api_calls_count=1,
        )


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


def _results_since_question(messages: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """(tool name, parsed result) of the tool messages after the last user message."""
    names: dict[str, str] = {}
    found: list[tuple[str, Any]] = []
    for message in messages:
        if message.get("role") == "user":
            found, names = [], {}
        for call in message.get("tool_calls") or ():
            names[call["id"]] = call["function"]["name"]
        if message.get("role") == "tool":
            try:
                result = json.loads(message.get("content") or "null")
            except ValueError:
                result = {"error": message.get("content")}
            found.append((names.get(message.get("tool_call_id", ""), "tool"), result))
    return found


def _chunks(text: str, size: int = 48) -> Iterator[str]:
    for start in range(0, len(text), size):
        yield text[start : start + size]


def compose(results: list[tuple[str, Any]]) -> str:
    sections = [_section(name, result) for name, result in results]
    return "\n\n".join(s for s in sections if s) or "I found nothing in the traces for that."


def _section(name: str, result: Any) -> str:
    try:
        return _WRITERS.get(name, _generic)(result)
    except (AttributeError, KeyError, TypeError, ValueError):  # a result the client wrote (its history), not our tool
        return _generic(result)


def _window(result: dict[str, Any]) -> str:
    hours = int(result.get("hours", DEFAULT_WINDOW_HOURS))
    return f"the last {hours // 24} days" if hours >= 48 and hours % 24 == 0 else f"the last {hours} hours"


def _errors(result: Any) -> str:
    if "error" in result:
        return f"I could not look up errors: {result['error']}"
    groups = result.get("error_groups", [])
    if not groups:
        return f"No errors in {_window(result)}."
    spans = result.get("failed_spans", sum(g["count"] for g in groups))
    total = result.get("groups", len(groups))
    cut = f"; the {len(groups)} largest" if len(groups) < total else ""
    lines = [f"**Errors in {_window(result)}** ({spans} spans in {total} groups{cut}):"]
    for group in groups:
        message = f": {headline(group['message'])}" if group["message"] else ""
        examples = ", ".join(f"`{t}`" for t in group["example_trace_ids"])
        lines.append(f"- {group['count']}× `{group['name']}`{message} (e.g. {examples})")
    return "\n".join(lines)


HEADLINE_CHARS = 200


def headline(message: str) -> str:
    """What an answer shows of a failure's message: its first line that says something,
    clipped. A JavaScript error's message is often its whole stack (``Error: x\n    at …``);
    the tool's result keeps the full text for a client that wants it."""
    line = next((line.strip() for line in message.splitlines() if line.strip()), "")
    return line if len(line) <= HEADLINE_CHARS else line[: HEADLINE_CHARS - 1].rstrip() + "…"


def _slowest(result: Any) -> str:
    rows = result.get("traces") or result.get("spans") or []
    what = "traces" if "traces" in result else "spans"
    if not rows:
        return f"No {what} in {_window(result)}."
    lines = [f"**Slowest {what} in {_window(result)}:**"]
    for row in rows:
        name = row.get("root_span_name") or row.get("span_name")
        lines.append(f"- {row['duration_ms']} ms `{name}` (trace `{row['trace_id']}`)")
    return "\n".join(lines)


def _usage(result: Any) -> str:
    if "error" in result:
        return f"I could not look up usage: {result['error']}"
    rows, key = result.get("usage", []), result.get("group_by", "model")
    if not rows:
        return f"No token use recorded in {_window(result)}."
    lines = [f"**Token use by {key} in {_window(result)}:**"]
    for row in rows:
        cost = f", {dollars(row['cost'])}" if row.get("cost") is not None else ""
        lines.append(
            f"- `{row[key]}`: {row['input_tokens'] or 0} in / {row['output_tokens'] or 0} out tokens "
            f"over {row['calls']} calls{cost}"
        )
    top = rows[0]
    lines.append(f"`{top[key]}` spends the most tokens.")
    if result.get("complete") is False:
        lines.append("(Read from the newest traces of the window only: there were more than one read may take.)")
    return "\n".join(lines)


def _trajectory(result: Any) -> str:
    if "error" in result:
        return f"I could not read that trace: {result['error']}"
    steps = result.get("steps", [])
    lines = [
        f"**Trace `{result['trace_id']}`** ({result.get('root_span_name')}, {result.get('total_duration_ms')} ms, "
        f"{len(steps)} steps):"
    ]
    for step in steps[:20]:
        lines.append(f"- {step['type']}" + (f" [{step['agent']}]" if step.get("agent") else "") + _step_detail(step))
    return "\n".join(lines)


def _sessions(result: Any) -> str:
    sessions = result.get("sessions", [])
    if not sessions:
        return f"No sessions active in {_window(result)}."
    lines = [f"**Sessions active in {_window(result)}** ({result['total']}, the most recent first):"]
    for row in sessions:
        cost = f", {dollars(row['cost'])}" if row.get("cost") is not None else ""
        errors = ", with errors" if row["has_error"] else ""
        agents = f" [{', '.join(row['agents'])}]" if row["agents"] else ""
        lines.append(f"- `{row['session_id']}`{agents}: {row['turns']} turns{cost}{errors}, last at {row['last_at']}")
    return "\n".join(lines)


def _session(result: Any) -> str:
    if "error" in result:
        return f"I could not read that session: {result['error']}"
    steps = result.get("steps", [])
    lines = [f"**Session `{result['session_id']}`** ({len(result['traces'])} traces, {len(steps)} steps):"]
    for step in steps[:30]:
        lines.append(f"- {step['type']}" + (f" [{step['agent']}]" if step.get("agent") else "") + _step_detail(step))
    return "\n".join(lines)


def _step_detail(step: dict[str, Any]) -> str:
    for key in ("text", "tool_name", "to_agent", "compaction_summary", "model"):
        if step.get(key):
            return f": {str(step[key])[:160]}"
    return ""


def _search(result: Any) -> str:
    if "trace_ids_with_tool" in result:
        ids = result["trace_ids_with_tool"]
        return (
            f"{len(ids)} traces call that tool: " + ", ".join(f"`{t}`" for t in ids)
            if ids
            else "No trace calls that tool."
        )
    rows = result.get("traces", [])
    if not rows:
        return "No matching traces."
    return f"**{result.get('total', len(rows))} matching traces**, newest first:\n" + "\n".join(
        f"- `{t['trace_id']}` {t['root_span_name']} ({t['duration_ms']} ms{', error' if t['has_error'] else ''})"
        + _said(t.get("matches") or [])
        for t in rows
    )


def _said(matches: list[dict[str, Any]]) -> str:
    """Where the text was found: the first matching passage and the field it is in."""
    if not matches:
        return ""
    first = matches[0]
    return f" — {first['field'].replace('_', ' ')} in span `{first['span_id']}`: “{first['snippet']}”"


def _catalog(result: Any) -> str:
    parts = []
    for key, label, count in (("agents", "agent", "traces"), ("models", "model", "traces"), ("tools", "tool", "calls")):
        rows = result.get(key, [])
        if rows:
            parts.append(f"**{key.capitalize()}:** " + ", ".join(f"`{r[label]}` ({r[count]} {count})" for r in rows))
    return "\n".join(parts) or f"No agents or models seen in {_window(result)}."


def _generic(result: Any) -> str:
    return json.dumps(result)[:1000]


_WRITERS = {
    "find_errors": _errors,
    "find_slowest": _slowest,
    "token_usage": _usage,
    "get_trajectory": _trajectory,
    "search_traces": _search,
    "list_agents_and_models": _catalog,
    "list_sessions": _sessions,
    "get_session": _session,
}
