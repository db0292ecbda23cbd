"""Agent trace routes: trajectories, the trace list, feedback and referenced content."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator, model_validator

from tracechat.api.deps import Offset, PrincipalDep, ServiceDep
from tracechat.api.security import content_headers
from tracechat.api.strict import StrictRoute
from tracechat.auth.keys import ANALYST_SUFFIX, Principal
from tracechat.model.names import model_family
from tracechat.model.projects import DEFAULT_PROJECT, readable_project
from tracechat.model.summaries import DEFAULT_WINDOW, SpanList, TraceFilter, TraceList
from tracechat.model.times import ns_of
from tracechat.model.trajectory import AgentChatTrajectory, Feedback

router = APIRouter(prefix="/agents/traces", tags=["traces"], route_class=StrictRoute)

TRACE_ID = r"^[0-9a-fA-F]{32}$"
PROJECT_ID_MAX = 128 + len(ANALYST_SUFFIX)  # a project's name, or its analyst project's
SPAN_ID = r"^[0-9a-fA-F]{16}$"


class TrajectoryRequest(BaseModel):
    """Request to get the structured chat / trajectory view for a trace."""

    project_id: str = Field(min_length=1, max_length=PROJECT_ID_MAX)
    trace_id: str = Field(pattern=TRACE_ID, description="32 hexadecimal digits.")
    include_feedback: bool = False

    @field_validator("trace_id")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class FeedbackRequest(BaseModel):
    """Feedback on a whole trace (no ``span_id``) or on one of its spans."""

    project_id: str = Field(min_length=1, max_length=PROJECT_ID_MAX)
    trace_id: str = Field(pattern=TRACE_ID)
    span_id: str | None = Field(default=None, pattern=SPAN_ID)
    name: str = Field(min_length=1, max_length=200, description="What is judged, e.g. 'helpfulness'.")
    score: float | None = None
    label: str | None = Field(default=None, max_length=200)
    value: Any = None
    comment: str | None = Field(default=None, max_length=10_000)
    author: str | None = Field(default=None, max_length=200)

    @field_validator("trace_id", "span_id")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value

    @model_validator(mode="after")
    def _something_said(self) -> FeedbackRequest:
        if self.score is None and self.label is None and self.value is None and self.comment is None:
            raise ValueError("give at least one of score, label, value or comment")
        return self


def _project(principal: Principal, project_id: str | None) -> str:
    project = readable_project(project_id or principal.project or DEFAULT_PROJECT)
    principal.check_access(project)
    return project


@router.post("/chat", response_model=AgentChatTrajectory, summary="Genai Traces Chat")
def trajectory(request: TrajectoryRequest, principal: PrincipalDep, service: ServiceDep) -> Response:
    """Structured chat view: a linear sequence of messages representing the agent trajectory
    for a single trace."""
    project = _project(principal, request.project_id)
    result = service.traces.trajectory(project, request.trace_id, request.include_feedback)
    # Already a validated model: serialize once instead of letting FastAPI validate a copy.
    return Response(result.model_dump_json(), media_type="application/json")


@router.get("", response_model=TraceList, summary="List traces, newest first")
def list_traces(
    principal: PrincipalDep,
    service: ServiceDep,
    project_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
    since: Annotated[datetime | None, Query(description="Default: 7 days before now (the default window).")] = None,
    until: datetime | None = None,
    agent_name: str | None = None,
    model: str | None = None,
    has_error: bool | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Text to find: every word in one message, tool argument or tool result of the trace "
            '(or a "quoted phrase"), or in its root span name; or a trace id, agent or model. '
            "Each trace found says which spans matched (matches).",
        ),
    ] = None,
) -> TraceList:
    project = _project(principal, project_id)
    since = since or datetime.now(UTC) - DEFAULT_WINDOW
    where = TraceFilter(
        since_ns=ns_of(since),
        until_ns=ns_of(until),
        agent_name=agent_name,
        model=model_family(model) if model else None,
        has_error=has_error,
        text=q or None,
    )
    return service.traces.list_traces(project, where, limit, offset).model_copy(update={"since": since})


@router.get("/{trace_id}/spans", response_model=SpanList, summary="A trace's spans, raw, with their timing")
def spans(
    trace_id: Annotated[str, Path(pattern=TRACE_ID)],
    principal: PrincipalDep,
    service: ServiceDep,
    project_id: str | None = None,
) -> Response:
    found = service.traces.spans(_project(principal, project_id), trace_id.lower())
    # As the trajectory: serialized here, in the read's thread, as FastAPI would (Pydantic's
    # JSON of the model), instead of a second thread hop to validate the model it already is.
    return Response(found.model_dump_json(by_alias=True), media_type="application/json")


@router.post("/feedback", response_model=Feedback, status_code=201, summary="Attach feedback to a trace or span")
def add_feedback(request: FeedbackRequest, principal: PrincipalDep, service: ServiceDep) -> Feedback:
    project = _project(principal, request.project_id)
    fields = request.model_dump(include={"name", "score", "label", "value", "comment", "author"})
    return service.traces.add_feedback(project, request.trace_id, request.span_id, fields)


@router.get(
    "/content/{ref}",
    response_class=Response,
    summary="Content referenced by a trajectory (images, files, large text)",
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def content(ref: str, principal: PrincipalDep, service: ServiceDep, project_id: str | None = None) -> Response:
    project = _project(principal, project_id)
    found = service.traces.content(project, ref)
    headers = {"Cache-Control": "private, max-age=3600", **content_headers(found.media_type, ref)}
    return Response(found.data, media_type=found.media_type, headers=headers)
