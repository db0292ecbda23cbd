"""Session routes: the session list and one session's trajectory over all its traces."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tracechat.api.deps import Offset, PrincipalDep, ServiceDep
from tracechat.api.strict import StrictRoute
from tracechat.api.traces import PROJECT_ID_MAX, _project
from tracechat.model.sessions import SessionFilter, SessionList, SessionTrajectory
from tracechat.model.summaries import DEFAULT_WINDOW
from tracechat.model.times import ns_of

router = APIRouter(prefix="/agents/sessions", tags=["sessions"], route_class=StrictRoute)

SESSION_ID_MAX = 512


class SessionRequest(BaseModel):
    """Request for the trajectory of a session: all its traces read as one conversation."""

    project_id: str = Field(min_length=1, max_length=PROJECT_ID_MAX)
    session_id: str = Field(
        min_length=1,
        max_length=SESSION_ID_MAX,
        description="The conversation id the traces carry (gen_ai.conversation.id, session.id, langfuse.session.id…).",
    )
    include_feedback: bool = False


@router.get("", response_model=SessionList, summary="List sessions, the most recently active first")
def list_sessions(
    principal: PrincipalDep,
    service: ServiceDep,
    project_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
    since: Annotated[
        datetime | None,
        Query(description="Sessions active since (last trace ended at or after). Default: 7 days before now."),
    ] = None,
    until: Annotated[datetime | None, Query(description="Sessions that started before.")] = None,
    agent_name: str | None = None,
) -> SessionList:
    project = _project(principal, project_id)
    since = since or datetime.now(UTC) - DEFAULT_WINDOW
    where = SessionFilter(since_ns=ns_of(since), until_ns=ns_of(until), agent_name=agent_name or None)
    return service.sessions.list_sessions(project, where, limit, offset).model_copy(update={"since": since})


@router.post("/chat", response_model=SessionTrajectory, summary="A session's trajectory over all its traces")
def session_trajectory(request: SessionRequest, principal: PrincipalDep, service: ServiceDep) -> Response:
    """The conversation of every trace of the session, in the order they ran: each user
    turn, answer and tool call once, although every later trace repeats the history in its
    model input; each message names its trace and span."""
    project = _project(principal, request.project_id)
    result = service.sessions.session_trajectory(project, request.session_id, request.include_feedback)
    return Response(result.model_dump_json(), media_type="application/json")
