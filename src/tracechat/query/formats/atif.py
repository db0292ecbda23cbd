"""A trajectory as ATIF, the Agent Trajectory Interchange Format of the Harbor framework
(v1.8, built with the ``atif`` package's Pydantic models, so what it returns validates).

The mapping (docs/trajectories.md has the table): ``agent_start`` with instructions → a
``system`` step; ``user_message`` → a ``user`` step; ``assistant_message`` → an ``agent``
step (one model call: ``llm_call_count`` 1, tokens in ``metrics``) whose ``tool_calls`` and
``observation`` hold the tool calls it asked for and their results; a tool call no model
call asked for → an ``agent`` step of its own with ``llm_call_count`` 0; hand-offs and
compaction → ``system`` steps with the entry in ``extra``. Every step's ``extra`` names
the span (and trace) it comes from. What the trace did not record stays absent, except
where ATIF requires a value: then the fallback is named in ``notes``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from atif import Agent, FinalMetrics, Metrics, Observation, ObservationResult, Step, ToolCall, Trajectory

from tracechat.model.trajectory import AgentChatMessage, AssistantMessage
from tracechat.query.formats.tools import offered_tools, openai_tool, parse_definitions

SCHEMA_VERSION = "ATIF-v1.8"
UNRECORDED = "unknown"
"""For the two values ATIF requires and a trace need not record: the agent's name (when no
agent or root span names it) and its version (a trace records none)."""


def to_atif(
    messages: list[AgentChatMessage], *, trajectory_id: str, session_id: str | None, extra: dict[str, Any]
) -> Trajectory:
    """The conversation of ``messages`` (a trace's or a session's) as one ATIF trajectory."""
    starts = [m for m in messages if m.agent_start is not None]
    name = next((m.agent_name for m in starts if m.agent_name), None) or extra.get("root_span_name")
    agent = Agent(
        name=name or UNRECORDED,
        version=UNRECORDED,
        model_name=next((m.agent_start.model for m in starts if m.agent_start and m.agent_start.model), None),
        tool_definitions=[t for t in offered_tools(messages) if isinstance(t, dict)] or None,
        extra={"agents": [_agent(m) for m in starts]} if starts else None,
    )
    steps = _steps(messages)
    prompt = [s.metrics.prompt_tokens for s in steps if s.metrics and s.metrics.prompt_tokens is not None]
    completion = [s.metrics.completion_tokens for s in steps if s.metrics and s.metrics.completion_tokens is not None]
    notes = [f"agent.version is {UNRECORDED!r}: a trace does not record it"]
    if not name:
        notes.append(f"agent.name is {UNRECORDED!r}: no agent or root span names it")
    return Trajectory(
        schema_version=SCHEMA_VERSION,
        session_id=session_id,
        trajectory_id=trajectory_id,
        agent=agent,
        steps=steps,
        notes="; ".join(notes),
        final_metrics=FinalMetrics(
            total_prompt_tokens=sum(prompt) if prompt else None,
            total_completion_tokens=sum(completion) if completion else None,
            total_steps=len(steps),
        ),
        extra={k: v for k, v in extra.items() if v is not None} or None,
    )


def _agent(message: AgentChatMessage) -> dict[str, Any]:
    start = message.agent_start
    assert start is not None
    found = {
        "name": message.agent_name,
        "model": start.model,
        "system_instructions": start.system_instructions,
        "tool_definitions": [openai_tool(d) for d in parse_definitions(start.tool_definitions)] or None,
        "span_id": message.span_id,
    }
    return {k: v for k, v in found.items() if v is not None}


def _steps(messages: list[AgentChatMessage]) -> list[Step]:
    """Steps in trajectory order; a tool call joins the step of the model call that asked
    for it (the trajectory puts it after that call)."""
    drafts: list[dict[str, Any]] = []
    asking: dict[str, dict[str, Any]] = {}  # tool call id → the draft of the model call that asked
    for message in messages:
        if message.tool_call is not None and message.tool_call.tool_call_id in asking:
            _answer(asking[message.tool_call.tool_call_id], message)
            continue
        draft = _draft(message)
        if draft is None:
            continue
        drafts.append(draft)
        for call in (message.assistant_message.tool_calls or []) if message.assistant_message else []:
            if call.id is not None:
                asking[call.id] = draft
    return [Step(step_id=n, **draft) for n, draft in enumerate(drafts, start=1)]


def _origin(message: AgentChatMessage, **more: Any) -> dict[str, Any]:
    found = {
        "type": message.type,
        "span_id": message.span_id,
        "trace_id": getattr(message, "trace_id", None),
        "agent_name": message.agent_name,
        **more,
    }
    return {k: v for k, v in found.items() if v is not None}


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _draft(message: AgentChatMessage) -> dict[str, Any] | None:
    when = _timestamp(message.started_at)
    if message.agent_start is not None:
        text = message.agent_start.system_instructions
        if not text:
            return None  # the agent is described in agent.extra.agents
        return {"source": "system", "timestamp": when, "message": text, "extra": _origin(message)}
    if message.user_message is not None:
        entry = message.user_message
        refs = {"content_refs": entry.content_refs} if entry.content_refs else {}
        return {"source": "user", "timestamp": when, "message": entry.text or "", "extra": _origin(message, **refs)}
    if message.assistant_message is not None:
        return _model_call(message, message.assistant_message, when)
    if message.tool_call is not None:
        call = message.tool_call
        return {
            "source": "agent",
            "timestamp": when,
            "message": "",
            "llm_call_count": 0,
            "tool_calls": [_tool_call(call.tool_call_id or message.span_id, call.tool_name, call.tool_arguments)],
            "observation": Observation(results=[_result(call.tool_call_id or message.span_id, message)]),
            "extra": _origin(message, tool_call_id=call.tool_call_id, duration_ms=call.duration_ms),
        }
    recorded = message.entry.model_dump(exclude_none=True)
    text = recorded.get("compaction_summary") or ""
    return {
        "source": "system",
        "timestamp": when,
        "message": text,
        "extra": _origin(message, **{message.type: recorded}),
    }


def _model_call(message: AgentChatMessage, entry: AssistantMessage, when: str) -> dict[str, Any]:
    calls = [_tool_call(c.id, c.name, None) for c in entry.tool_calls or [] if c.id is not None]
    metrics = None
    if entry.input_tokens is not None or entry.output_tokens is not None or entry.reasoning_tokens is not None:
        metrics = Metrics(
            prompt_tokens=entry.input_tokens,
            completion_tokens=entry.output_tokens,
            extra={"reasoning_tokens": entry.reasoning_tokens} if entry.reasoning_tokens is not None else None,
        )
    refs = {"content_refs": entry.content_refs} if entry.content_refs else {}
    return {
        "source": "agent",
        "timestamp": when,
        "model_name": entry.model,
        "message": entry.text or "",
        "reasoning_content": entry.reasoning_content,
        "tool_calls": calls or None,
        "metrics": metrics,
        "llm_call_count": 1,
        "extra": _origin(message, duration_ms=entry.duration_ms, finish_reason=entry.finish_reason, **refs),
    }


def _answer(draft: dict[str, Any], message: AgentChatMessage) -> None:
    """Put a tool call's arguments and result into the step of the model call that asked."""
    call = message.tool_call
    assert call is not None
    assert call.tool_call_id is not None
    draft["tool_calls"] = [
        _tool_call(c.tool_call_id, call.tool_name or c.function_name, call.tool_arguments)
        if c.tool_call_id == call.tool_call_id
        else c
        for c in draft["tool_calls"]
    ]
    results = draft["observation"].results if draft.get("observation") else []
    draft["observation"] = Observation(results=[*results, _result(call.tool_call_id, message)])


def _tool_call(call_id: str, name: str | None, arguments: str | None) -> ToolCall:
    parsed: Any = None
    if arguments is not None:
        try:
            parsed = json.loads(arguments)
        except ValueError:
            parsed = None
    extra: dict[str, Any] | None = None
    if arguments is None:
        extra = {"arguments_recorded": False}
    elif not isinstance(parsed, dict):
        extra = {"arguments_text": arguments}  # recorded, but not a JSON object as ATIF wants
    return ToolCall(
        tool_call_id=call_id,
        function_name=name or "",
        arguments=parsed if isinstance(parsed, dict) else {},
        extra=extra,
    )


def _result(call_id: str, message: AgentChatMessage) -> ObservationResult:
    call = message.tool_call
    assert call is not None
    return ObservationResult(
        source_call_id=call_id,
        content=call.tool_result,
        extra=_origin(message, error=call.error, duration_ms=call.duration_ms, content_refs=call.content_refs or None),
    )
