"""Trajectories as data: one trace's or session's trajectory in ATIF or OpenAI chat form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from tracechat.api.deps import PrincipalDep, ServiceDep
from tracechat.api.sessions import SESSION_ID_MAX
from tracechat.api.strict import StrictRoute
from tracechat.api.traces import TRACE_ID, _project
from tracechat.query.formats.convert import Exported, Format, dump, session_as, trace_as

router = APIRouter(tags=["trajectories"], route_class=StrictRoute)

FormatParam = Annotated[
    Format,
    Query(description="atif: the Agent Trajectory Interchange Format (Harbor, v1.8); openai: chat messages and tools."),
]


@router.get(
    "/agents/traces/{trace_id}/trajectory",
    response_model=Exported,
    summary="A trace's trajectory as ATIF or OpenAI chat messages",
)
def trace_trajectory(
    trace_id: Annotated[str, Path(pattern=TRACE_ID)],
    principal: PrincipalDep,
    service: ServiceDep,
    format: FormatParam,
    project_id: str | None = None,
) -> Response:
    project = _project(principal, project_id)
    trajectory = service.traces.trajectory(project, trace_id.lower())
    return Response(dump(trace_as(trajectory, format, project)), media_type="application/json")


@router.get(
    "/agents/sessions/{session_id}/trajectory",
    response_model=Exported,
    summary="A session's trajectory (all its traces) as ATIF or OpenAI chat messages",
)
def session_trajectory(
    session_id: Annotated[str, Path(min_length=1, max_length=SESSION_ID_MAX)],
    principal: PrincipalDep,
    service: ServiceDep,
    format: FormatParam,
    project_id: str | None = None,
) -> Response:
    project = _project(principal, project_id)
    session = service.sessions.session_trajectory(project, session_id)
    return Response(dump(session_as(session, format, project)), media_type="application/json")
