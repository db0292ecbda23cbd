"""``POST /api/v1/chat`` (seed 000) and ``GET /api/v1/models``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from tracechat.api.chats import ProjectParam, chat_project
from tracechat.api.deps import PrincipalDep, ServiceDep
from tracechat.api.streams import relay
from tracechat.api.strict import StrictRoute
from tracechat.chat import ui_stream
from tracechat.chat.assistant import TurnFinished, TurnRequest
from tracechat.chat.models import Usage
from tracechat.model.chat import NewMessage

router = APIRouter(prefix="/api/v1", tags=["chat"], route_class=StrictRoute)


class ChatRequest(BaseModel):
    messages: list[NewMessage] = Field(min_length=1, description="New messages for the chat (minimum 1).")
    chat_id: str | None = Field(default=None, description="An existing chat to continue.")
    model: str | None = Field(default=None, description="Default: tracechat-analyst (see GET /api/v1/models).")
    system_prompt: str | None = Field(default=None, max_length=100_000)


class UsageOut(BaseModel):
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    cost: float
    model: str
    api_calls_count: int


class ChatResponse(BaseModel):
    chat_id: str
    response: str
    usage: UsageOut
    trace_id: str = Field(description="This turn's own trace: read it with POST /agents/traces/chat.")
    trace_project: str = Field(description="The project that trace is in: the chat's project + ':analyst'.")


class ModelInfo(BaseModel):
    id: str
    provider: str
    description: str


class ModelList(BaseModel):
    models: list[ModelInfo]


@router.post(
    "/chat",
    response_model=ChatResponse,
    summary="Ask the trace analyst; ?stream=true answers with the AI SDK UI message stream (SSE)",
    responses={200: {"content": {"text/event-stream": {}}}},
)
def chat(
    body: ChatRequest,
    principal: PrincipalDep,
    service: ServiceDep,
    stream: Annotated[bool, Query(description="Server-Sent Events")] = False,
    project_id: ProjectParam = None,
) -> Any:
    project = chat_project(principal, project_id)
    service.chat_limit.check(principal)
    request = TurnRequest(body.messages, body.chat_id, body.model, body.system_prompt)
    model, chat_id = service.assistant.prepare(project, principal, request)
    events = service.assistant.turn(project, model, chat_id, request)
    if stream:
        body_stream = relay(ui_stream.encode(ui_stream.chunks(events)))
        return StreamingResponse(body_stream, media_type=ui_stream.MEDIA_TYPE, headers=ui_stream.HEADERS)
    finished = next(e for e in events if isinstance(e, TurnFinished))
    return ChatResponse(
        chat_id=finished.chat_id,
        response=finished.response,
        usage=_usage(finished.usage),
        trace_id=finished.trace_id,
        trace_project=finished.trace_project,
    )


@router.get("/models", response_model=ModelList, summary="Models the assistant can use")
def models(principal: PrincipalDep, service: ServiceDep) -> ModelList:
    return ModelList(
        models=[
            ModelInfo(id=m.name, provider=m.provider, description=(type(m).__doc__ or "").strip().split("\n")[0])
            for m in service.assistant.models
        ]
    )


def _usage(usage: Usage) -> UsageOut:
    return UsageOut(**asdict(usage))
