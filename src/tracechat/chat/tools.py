"""The assistant's tools over the trace store, scoped to the caller's project.

Each has a JSON-schema ``parameters`` (the OpenAI function-calling shape, which the other
providers are given in theirs) and returns a JSON-able result. A tool never raises: a bad
argument comes back as ``{"error": …}`` for the model to read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tracechat.errors import TracechatError
from tracechat.model.ids import parse_trace_id
from tracechat.model.names import model_family
from tracechat.model.sessions import SessionFilter
from tracechat.model.summaries import DEFAULT_WINDOW_HOURS, TraceFilter
from tracechat.model.trajectory import AgentChatMessage
from tracechat.query.service import TraceQueries
from tracechat.query.session_queries import SessionQueries
from tracechat.store.analytics import TraceAnalytics

HOUR_NS = 3_600 * 1_000_000_000
_TEXT_PREVIEW = 400
_SESSION_STEPS = 200


@dataclass(frozen=True, slots=True)
class ToolContext:
    project: str
    analytics: TraceAnalytics
    traces: TraceQueries
    now_ns: int

    def since(self, hours: Any) -> int:
        return self.now_ns - int(max(1, min(int(hours), 24 * 365))) * HOUR_NS


Run = Callable[[ToolContext, dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    run: Run

    def definition(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


def _schema(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False}


_HOURS = {
    "type": "integer",
    "minimum": 1,
    "description": f"How far back to look, in hours (default {DEFAULT_WINDOW_HOURS}).",
}
_LIMIT = {"type": "integer", "minimum": 1, "maximum": 50}


def _hours(args: dict[str, Any]) -> Any:
    return args.get("hours", DEFAULT_WINDOW_HOURS)


def _errors(context: ToolContext, args: dict[str, Any]) -> Any:
    hours = _hours(args)
    groups = context.analytics.errors(context.project, context.since(hours), int(args.get("limit", 10)))
    totals = {"groups": 0, "spans": 0}
    for group in groups:
        group.pop("last_seen_ns", None)
        totals = {"groups": group.pop("groups_total"), "spans": group.pop("spans_total")}
    return {"hours": hours, "failed_spans": totals["spans"], "groups": totals["groups"], "error_groups": groups}


def _slowest(context: ToolContext, args: dict[str, Any]) -> Any:
    what, hours, limit = args.get("what", "traces"), _hours(args), int(args.get("limit", 5))
    if what == "spans":
        return {"hours": hours, "spans": context.analytics.slowest_spans(context.project, context.since(hours), limit)}
    return {"hours": hours, "traces": context.analytics.slowest_traces(context.project, context.since(hours), limit)}


def _usage(context: ToolContext, args: dict[str, Any]) -> Any:
    group_by, hours = args.get("group_by", "model"), _hours(args)
    if group_by not in ("model", "agent"):
        return {"error": "group_by must be 'model' or 'agent'"}
    if group_by == "agent":  # read through the trajectory's rule of which agent a call belongs to
        return {
            "hours": hours,
            "group_by": group_by,
            **context.traces.usage_by_agent(context.project, context.since(hours)),
        }
    return {
        "hours": hours,
        "group_by": group_by,
        "usage": context.analytics.usage(context.project, context.since(hours)),
    }


def _step(message: AgentChatMessage) -> dict[str, Any]:
    entry = message.entry.model_dump(exclude_none=True, exclude={"content_refs"})
    for key, value in entry.items():
        if isinstance(value, str) and len(value) > _TEXT_PREVIEW:
            entry[key] = value[:_TEXT_PREVIEW] + "…"
    return {"type": message.type, "agent": message.agent_name, **entry}


def _trajectory(context: ToolContext, args: dict[str, Any]) -> Any:
    trace_id = parse_trace_id(str(args.get("trace_id", "")))
    trajectory = context.traces.trajectory(context.project, trace_id)
    steps = [_step(message) for message in trajectory.messages]
    return {
        "trace_id": trace_id,
        "root_span_name": trajectory.root_span_name,
        "total_duration_ms": trajectory.total_duration_ms,
        "steps": steps,
    }


def _sessions(context: ToolContext, args: dict[str, Any]) -> Any:
    hours, limit = _hours(args), int(args.get("limit", 10))
    where = SessionFilter(since_ns=context.since(hours), agent_name=args.get("agent") or None)
    found = SessionQueries.over(context.traces).list_sessions(context.project, where, limit, 0)
    return {"hours": hours, "total": found.total, "sessions": [s.model_dump(mode="json") for s in found.sessions]}


def _session(context: ToolContext, args: dict[str, Any]) -> Any:
    session_id = str(args.get("session_id") or "")
    if not session_id:
        raise ValueError("session_id is required")
    session = SessionQueries.over(context.traces).session_trajectory(context.project, session_id)
    steps = [{"trace_id": m.trace_id, **_step(m)} for m in session.messages]
    return {
        "session_id": session_id,
        "traces": [t.model_dump(mode="json", exclude={"feedback"}) for t in session.traces],
        "steps": steps[:_SESSION_STEPS],
        **({"steps_left_out": len(steps) - _SESSION_STEPS} if len(steps) > _SESSION_STEPS else {}),
    }


def _search(context: ToolContext, args: dict[str, Any]) -> Any:
    hours, limit = _hours(args), int(args.get("limit", 10))
    if args.get("tool"):
        ids = context.analytics.traces_with_tool(context.project, str(args["tool"]), context.since(hours), limit)
        return {"hours": hours, "trace_ids_with_tool": ids}
    where = TraceFilter(
        since_ns=context.since(hours),
        agent_name=args.get("agent"),
        model=model_family(str(args["model"])) if args.get("model") else None,
        has_error=args.get("has_error"),
        text=args.get("text"),
    )
    found = context.traces.list_traces(context.project, where, limit, 0)
    rows = [
        t.model_dump(
            mode="json",
            include={
                "trace_id",
                "root_span_name",
                "started_at",
                "duration_ms",
                "agents",
                "models",
                "has_error",
                "cost",
                "matches",
            },
        )
        for t in found.traces
    ]
    return {"hours": hours, "total": found.total, "traces": rows}


def _catalog(context: ToolContext, args: dict[str, Any]) -> Any:
    return {
        "hours": _hours(args),
        **context.analytics.catalog(context.project, context.since(_hours(args))),
    }


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            "find_errors",
            "Recent errors, grouped by name (a tool's name, else the span's) and error message, with counts and"
            " example trace ids.",
            _schema(hours=_HOURS, limit=_LIMIT),
            _errors,
        ),
        Tool(
            "find_slowest",
            "The slowest traces (or spans) in a time window.",
            _schema(what={"type": "string", "enum": ["traces", "spans"]}, hours=_HOURS, limit=_LIMIT),
            _slowest,
        ),
        Tool(
            "token_usage",
            "Token use and cost by model or by agent over a time window.",
            _schema(group_by={"type": "string", "enum": ["model", "agent"]}, hours=_HOURS),
            _usage,
        ),
        Tool(
            "get_trajectory",
            "One trace read as a conversation: agent starts, messages, tool calls, handoffs.",
            {**_schema(trace_id={"type": "string", "description": "32 hexadecimal digits."}), "required": ["trace_id"]},
            _trajectory,
        ),
        Tool(
            "list_sessions",
            "Conversations whose turns were traced one trace each (tied by a session or conversation id), "
            "the most recently active first: turns, tokens, cost, errors, agents, first and last time.",
            _schema(agent={"type": "string"}, hours=_HOURS, limit=_LIMIT),
            _sessions,
        ),
        Tool(
            "get_session",
            "One session read as one conversation over all its traces, each user turn, answer and tool call "
            "once; each step names its trace.",
            {**_schema(session_id={"type": "string"}), "required": ["session_id"]},
            _session,
        ),
        Tool(
            "search_traces",
            "Find traces by what was said in them (words in any user, assistant or system message, reasoning, "
            "tool argument or tool result; every word must occur in one of them, or put a phrase in double "
            "quotes), by root span name or trace id, or by agent, model, tool, or errors. Each trace found lists "
            "the spans whose text matched, with the field and a snippet.",
            _schema(
                text={"type": "string", "description": "Words to find, e.g. Lisbon, or a trace id or span name."},
                agent={"type": "string"},
                model={"type": "string"},
                tool={"type": "string"},
                has_error={"type": "boolean"},
                hours=_HOURS,
                limit=_LIMIT,
            ),
            _search,
        ),
        Tool(
            "list_agents_and_models",
            "The agents, models and tools seen in the project's traces.",
            _schema(hours=_HOURS),
            _catalog,
        ),
    )
}


def definitions(allowed: list[str] | None = None) -> list[dict[str, Any]]:
    return [tool.definition() for name, tool in TOOLS.items() if allowed is None or name in allowed]


def call(context: ToolContext, name: str, arguments: str | None, allowed: list[str] | None = None) -> str:
    """Run one tool; the result (or an error the model can read) as JSON text. A tool outside
    ``allowed`` (when given) is refused like an unknown one."""
    tool = TOOLS.get(name)
    names = [n for n in TOOLS if allowed is None or n in allowed]
    if tool is None or name not in names:
        return json.dumps({"error": f"no tool named {name!r} for this agent; tools: {', '.join(names)}"})
    try:
        parsed = json.loads(arguments or "{}")
        if not isinstance(parsed, dict):
            raise ValueError("arguments must be a JSON object")
        return json.dumps(tool.run(context, parsed), default=str)
    except (ValueError, TypeError, KeyError) as exc:
        return json.dumps({"error": f"bad arguments for {name}: {exc}"})
    except TracechatError as exc:
        return json.dumps({"error": exc.message})


def now_ns() -> int:
    return time.time_ns()
