"""Chat threads (seed 001's resource; seed 002's conversations are the same rows)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from tracechat.auth.keys import Principal
from tracechat.errors import NotFound
from tracechat.model.chat import DEFAULT_TITLE, ChatItem, ChatList, ChatPublic, NewMessage
from tracechat.store.conversations import ChatRecords, ChatRow

BUILT_IN_AGENT = "trace-analyst"
_USERS = uuid.UUID("6f1d1e62-8d2b-4c43-9e57-0c1f5d7d3a10")  # namespace for user ids derived from keys


_CONVERSATIONS = uuid.UUID("0b7f35a4-5c1e-4d2b-a8f6-2f6d0a9c4e71")


def conversation_key(project: str, conversation_id: str) -> str:
    """The chat id behind a conversation id a client chose: the same name in two projects
    is two chats."""
    return str(uuid.uuid5(_CONVERSATIONS, f"{project}\x00{conversation_id}"))


def user_id(principal: Principal) -> str:
    """A stable UUID for the caller: one per API key, one for open mode."""
    return str(uuid.uuid5(_USERS, principal.key_id or "open-mode"))


class ChatThreads:
    def __init__(self, records: ChatRecords) -> None:
        self._records = records

    def create(
        self,
        project: str,
        principal: Principal,
        title: str | None,
        agent_id: str = BUILT_IN_AGENT,
        conversation_id: str | None = None,
    ) -> ChatPublic:
        now = datetime.now(UTC)
        identifier = conversation_key(project, conversation_id) if conversation_id else str(uuid.uuid4())
        row = ChatRow(identifier, project, user_id(principal), agent_id, title or DEFAULT_TITLE, [], now, now, 0)
        self._records.create(row, external_id=conversation_id)
        return self._public(row)

    def page(
        self,
        project: str,
        limit: int,
        offset: int,
        order_by: Literal["updated_at", "created_at"],
        order: Literal["desc", "asc"],
    ) -> ChatList:
        rows, total = self._records.page(project, limit, offset, order_by, order)
        return ChatList(chats=[_item(row) for row in rows], total=total, limit=limit, offset=offset)

    def get(self, project: str, chat_id: str) -> ChatPublic:
        return self._public(self._row(project, chat_id))

    def update(self, project: str, chat_id: str, title: str | None, messages: list[NewMessage] | None) -> ChatPublic:
        self._row(project, chat_id)
        self._records.update(chat_id, title, messages, datetime.now(UTC))
        return self.get(project, chat_id)

    def delete(self, project: str, chat_id: str) -> None:
        self._row(project, chat_id)
        self._records.soft_delete(chat_id, datetime.now(UTC))

    def _row(self, project: str, chat_id: str) -> ChatRow:
        row = self._records.get(project, chat_id)
        if row is None:
            raise NotFound(f"no chat {chat_id!r}")
        return row

    def _public(self, row: ChatRow) -> ChatPublic:
        messages, _ = self._records.messages(row.id)
        return ChatPublic(
            id=row.id,
            user_id=row.user_id,
            title=row.title,
            messages=messages,
            trace_ids=row.trace_ids,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _item(row: ChatRow) -> ChatItem:
    return ChatItem(
        id=row.id,
        user_id=row.user_id,
        title=row.title,
        message_count=row.message_count,
        trace_ids=row.trace_ids,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
