"""One trace's or one session's trajectory in an interchange format (``atif`` or ``openai``)."""

from __future__ import annotations

import enum
from typing import Any

from atif import Trajectory

from tracechat.model.sessions import SessionTrajectory
from tracechat.model.trajectory import AgentChatMessage, AgentChatTrajectory
from tracechat.query.formats.atif import to_atif
from tracechat.query.formats.openai import OpenAIChat, to_openai


class Format(enum.StrEnum):
    ATIF = "atif"
    OPENAI = "openai"


Exported = Trajectory | OpenAIChat


def trace_as(trajectory: AgentChatTrajectory, format: Format, project: str) -> Exported:
    if format is Format.OPENAI:
        return to_openai(trajectory.messages, {"project": project, "trace_id": trajectory.trace_id})
    extra: dict[str, Any] = {
        "project": project,
        "trace_id": trajectory.trace_id,
        "root_span_name": trajectory.root_span_name,
        "provider": trajectory.provider,
        "total_duration_ms": trajectory.total_duration_ms,
    }
    return to_atif(trajectory.messages, trajectory_id=trajectory.trace_id, session_id=None, extra=extra)


def session_as(session: SessionTrajectory, format: Format, project: str) -> Exported:
    messages: list[AgentChatMessage] = list(session.messages)
    if format is Format.OPENAI:
        return to_openai(messages, {"project": project, "session_id": session.session_id})
    extra: dict[str, Any] = {
        "project": project,
        "trace_ids": [t.trace_id for t in session.traces],
        "root_span_name": session.traces[0].root_span_name if session.traces else None,
    }
    return to_atif(messages, trajectory_id=session.session_id, session_id=session.session_id, extra=extra)


def dump(exported: Exported) -> str:
    """JSON text without the absent values (ATIF and OpenAI both leave them out)."""
    return exported.model_dump_json(exclude_none=True)
