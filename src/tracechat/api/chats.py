"""``/api/v1/chats``: chat threads (seed 001)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from tracechat.api.deps import Offset, PrincipalDep, ServiceDep
from tracechat.api.strict import StrictRoute
from tracechat.auth.keys import Principal
from tracechat.ingest.projects import DEFAULT_PROJECT, valid_project
from tracechat.model.chat import ChatList, ChatPublic, NewMessage

router = APIRouter(prefix="/api/v1/chats", tags=["chats"], route_class=StrictRoute)


class CreateChat(BaseModel):
    title: str | None = Field(default=None, max_length=255, description='Defaults to "New Conversation".')


class UpdateChat(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=255)
    messages: list[NewMessage] | None = Field(default=None, description="Replaces the whole message history.")


def chat_project(principal: Principal, project_id: str | None) -> str:
    """A key's chats live in its project; admin keys and open mode may name one."""
    project = valid_project(project_id or principal.project or DEFAULT_PROJECT)  # not an analyst project
    principal.check_access(project)
    return project


ProjectParam = Annotated[str | None, Query(description="Admin keys and open mode: the project (default 'default').")]


@router.post("", response_model=ChatPublic, status_code=201, summary="Create a chat")
def create_chat(
    principal: PrincipalDep, service: ServiceDep, body: CreateChat | None = None, project_id: ProjectParam = None
) -> ChatPublic:
    title = body.title if body else None
    return service.chats.create(chat_project(principal, project_id), principal, title)


@router.get("", response_model=ChatList, summary="List chats (deleted ones excluded)")
def list_chats(
    principal: PrincipalDep,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Offset = 0,
    order_by: Literal["updated_at", "created_at"] = "updated_at",
    order: Literal["desc", "asc"] = "desc",
    project_id: ProjectParam = None,
) -> ChatList:
    return service.chats.page(chat_project(principal, project_id), limit, offset, order_by, order)


@router.get("/{chat_id}", response_model=ChatPublic, summary="Get a chat with its messages")
def get_chat(chat_id: str, principal: PrincipalDep, service: ServiceDep, project_id: ProjectParam = None) -> ChatPublic:
    return service.chats.get(chat_project(principal, project_id), chat_id)


@router.put("/{chat_id}", response_model=ChatPublic, summary="Rename a chat or replace its messages")
def update_chat(
    chat_id: str, body: UpdateChat, principal: PrincipalDep, service: ServiceDep, project_id: ProjectParam = None
) -> ChatPublic:
    return service.chats.update(chat_project(principal, project_id), chat_id, body.title, body.messages)


@router.delete("/{chat_id}", status_code=204, response_class=Response, summary="Soft-delete a chat")
def delete_chat(
    chat_id: str, principal: PrincipalDep, service: ServiceDep, project_id: ProjectParam = None
) -> Response:
    service.chats.delete(chat_project(principal, project_id), chat_id)
    return Response(status_code=204)
