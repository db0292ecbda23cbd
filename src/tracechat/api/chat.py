"""``POST /api/v1/chat`` (seed 000, and the body the AI SDK's ``useChat`` sends) and
``GET /api/v1/models``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Discriminator, Field, Tag

from tracechat.api.chats import ProjectParam, chat_project
from tracechat.api.deps import PrincipalDep, ServiceDep
from tracechat.api.streams import TurnStream
from tracechat.api.strict import StrictRoute
from tracechat.chat import ui_messages, ui_stream
from tracechat.chat.assistant import TurnRequest
from tracechat.chat.assistant import finished as finished_turn
from tracechat.chat.models import Usage
from tracechat.errors import InvalidInput
from tracechat.model.chat import NewMessage
from tracechat.model.ui_message import Trigger, UIMessage

router = APIRouter(prefix="/api/v1", tags=["chat"], route_class=StrictRoute)


def _shape(message: Any) -> str:
    if isinstance(message, dict):
        return "ui" if "parts" in message else "seed"
    return "ui" if isinstance(message, UIMessage) else "seed"


RequestMessage = Annotated[Annotated[NewMessage, Tag("seed")] | Annotated[UIMessage, Tag("ui")], Discriminator(_shape)]
"""``{role, content}`` (seed 000) or an AI SDK UI message (``{id, role, parts}``)."""


class ChatRequest(BaseModel):
    messages: list[RequestMessage] = Field(
        min_length=1,
        description="Seed 000: the new messages. useChat: the whole history, resent each turn; only the "
        "messages the chat does not hold yet are stored (known by their id).",
    )
    chat_id: str | None = Field(default=None, description="An existing chat to continue.")
    id: str | None = Field(
        default=None,
        description="useChat's chat id, chosen by the client: the first request with it creates the chat, "
        "later ones continue it. Per project. Use it or chat_id.",
    )
    trigger: Trigger = Field(
        default="submit-message",
        description="useChat's: regenerate-message answers the last user message again, replacing the "
        "answer the chat held for it.",
    )
    messageId: str | None = Field(
        default=None, description="Sent by useChat on regenerate and edit; not needed, the messages say it."
    )
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
    request = _turn_request(body)
    model, chat_id = service.assistant.prepare(project, principal, request)
    events = service.assistant.turn(project, model, chat_id, request)
    if stream:
        body_stream = ui_stream.encode(ui_stream.chunks(events))
        return TurnStream(body_stream, media_type=ui_stream.MEDIA_TYPE, headers=ui_stream.HEADERS)
    finished = finished_turn(events)
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


def _turn_request(body: ChatRequest) -> TurnRequest:
    if body.chat_id is not None and body.id is not None and body.chat_id != body.id:
        raise InvalidInput("chat_id and id name different chats; send one of them")
    return TurnRequest(
        ui_messages.to_new_messages(body.messages),
        chat_id=body.chat_id or body.id,
        model=body.model,
        system_prompt=body.system_prompt,
        trigger=body.trigger,
        create_chat=body.chat_id is None and body.id is not None,
    )


def _usage(usage: Usage) -> UsageOut:
    return UsageOut(**asdict(usage))
