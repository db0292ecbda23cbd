"""``/api/agents`` and ``/api/agents/{id}/chat`` (seed 002)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tracechat.api.chats import ProjectParam, chat_project
from tracechat.api.deps import Cursor, PrincipalDep, ServiceDep
from tracechat.api.streams import TurnStream
from tracechat.api.strict import StrictRoute
from tracechat.chat import agent_stream
from tracechat.chat.assistant import finished as finished_turn
from tracechat.errors import StorageUnavailable
from tracechat.model.chat import AgentHistory, AgentList, AgentMessage, AgentPublic

router = APIRouter(prefix="/api/agents", tags=["agents"], route_class=StrictRoute)


class CreateAgent(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    system_prompt: str | None = Field(default=None, max_length=100_000)
    model: str | None = None
    allowed_tools: list[str] | None = None


class SendMessage(BaseModel):
    message: str = Field(min_length=1, max_length=100_000)
    conversation_id: str | None = Field(default=None, description="Continue (or start) this conversation.")
    context: Any = Field(default=None, description="Passed to the model with the instructions.")
    system_prompt: str | None = Field(default=None, max_length=100_000, description="Overrides the agent's.")
    stream: bool = False


class Cleared(BaseModel):
    success: bool
    deleted: int


@router.post("", response_model=AgentPublic, status_code=201, summary="Create an agent")
def create_agent(
    body: CreateAgent, principal: PrincipalDep, service: ServiceDep, project_id: ProjectParam = None
) -> AgentPublic:
    project = chat_project(principal, project_id)
    return service.agents.create(project, body.name, body.system_prompt, body.model, body.allowed_tools)


@router.get("", response_model=AgentList, summary="List agents (the built-in trace-analyst first)")
def list_agents(principal: PrincipalDep, service: ServiceDep, project_id: ProjectParam = None) -> AgentList:
    return AgentList(agents=service.agents.all(chat_project(principal, project_id)))


@router.get("/{agent_id}/chat", response_model=AgentHistory, summary="Get message history")
def history(
    agent_id: str,
    principal: PrincipalDep,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    conversation_id: str | None = None,
    before: Cursor = None,
    after: Cursor = None,
    project_id: ProjectParam = None,
) -> AgentHistory:
    project = chat_project(principal, project_id)
    return service.agents.history(project, agent_id, conversation_id, limit, before, after)


@router.post(
    "/{agent_id}/chat",
    response_model=AgentMessage,
    summary="Send a message; the assistant's reply (stream: start, delta, done events)",
    responses={200: {"content": {"text/event-stream": {}}}},
)
def send(
    agent_id: str, body: SendMessage, principal: PrincipalDep, service: ServiceDep, project_id: ProjectParam = None
) -> Any:
    project = chat_project(principal, project_id)
    service.chat_limit.check(principal)
    model, chat_id, conversation_id, request = service.agents.prepare(
        project, principal, agent_id, body.message, body.conversation_id, body.context, body.system_prompt
    )
    events = service.assistant.turn(project, model, chat_id, request)
    if body.stream:
        stream = agent_stream.encode(agent_stream.chunks(events, conversation_id))
        return TurnStream(stream, media_type=agent_stream.MEDIA_TYPE, headers=agent_stream.HEADERS)
    finished = finished_turn(events)
    if finished.message is None:
        raise StorageUnavailable("the reply was not stored")
    return AgentMessage(**finished.message.model_dump(), conversation_id=conversation_id)


@router.delete("/{agent_id}/chat", response_model=Cleared, summary="Clear history (one conversation or all)")
def clear(
    agent_id: str,
    principal: PrincipalDep,
    service: ServiceDep,
    conversation_id: str | None = None,
    project_id: ProjectParam = None,
) -> Cleared:
    deleted = service.agents.clear(chat_project(principal, project_id), agent_id, conversation_id)
    return Cleared(success=True, deleted=deleted)
