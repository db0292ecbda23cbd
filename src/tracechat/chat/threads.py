"""Chat threads (seed 001's resource; seed 002's conversations are the same rows)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Literal

from tracechat.auth.keys import Principal
from tracechat.errors import InvalidInput, NotFound
from tracechat.model.chat import DEFAULT_TITLE, ChatItem, ChatList, ChatPublic, NewMessage
from tracechat.store.conversations import ChatRecords, ChatRow

BUILT_IN_AGENT = "trace-analyst"
_USERS = uuid.UUID("6f1d1e62-8d2b-4c43-9e57-0c1f5d7d3a10")  # namespace for user ids derived from keys


_CONVERSATIONS = uuid.UUID("0b7f35a4-5c1e-4d2b-a8f6-2f6d0a9c4e71")
_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def conversation_key(project: str, conversation_id: str) -> str:
    """The chat id behind a conversation id a client chose: the same name in two projects
    is two chats."""
    return str(uuid.uuid5(_CONVERSATIONS, f"{project}\x00{conversation_id}"))


def check_client_id(field: str, value: str) -> None:
    """A chat id a client chooses is shown back in URLs and lists: keep it plain."""
    if not _CLIENT_ID.fullmatch(value):
        raise InvalidInput(f"{field} must be 1-128 letters, digits or . _ : -")


def user_id(principal: Principal) -> str:
    """A stable UUID for the caller: one per API key, one for open mode."""
    return str(uuid.uuid5(_USERS, principal.key_id or "open-mode"))


class ChatThreads:
    def __init__(self, records: ChatRecords) -> None:
        self._records = records

    def create(self, project: str, principal: Principal, title: str | None) -> ChatPublic:
        return self._public(self.start(project, principal, title))

    def start(
        self,
        project: str,
        principal: Principal,
        title: str | None,
        agent_id: str = BUILT_IN_AGENT,
        conversation_id: str | None = None,
    ) -> ChatRow:
        """A new chat; its row, whose ``id`` (not the public one) keys its messages."""
        now = datetime.now(UTC)
        identifier = conversation_key(project, conversation_id) if conversation_id else str(uuid.uuid4())
        if conversation_id and self._records.taken(identifier):  # a deleted chat keeps its row
            raise NotFound(f"chat {conversation_id!r} was deleted; name a new chat with another id")
        owner = user_id(principal)
        row = ChatRow(identifier, project, owner, agent_id, title or DEFAULT_TITLE, [], now, now, 0, conversation_id)
        self._records.create(row)
        return row

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

    def find(self, project: str, chat_id: str) -> ChatRow | None:
        """The chat a client calls ``chat_id``: one it named so itself, else the one with that id."""
        return self._records.get(project, conversation_key(project, chat_id)) or self._records.get(project, chat_id)

    def get(self, project: str, chat_id: str) -> ChatPublic:
        return self._public(self._row(project, chat_id))

    def update(self, project: str, chat_id: str, title: str | None, messages: list[NewMessage] | None) -> ChatPublic:
        row = self._row(project, chat_id)
        self._records.update(row.id, title, messages, datetime.now(UTC))
        return self.get(project, chat_id)

    def delete(self, project: str, chat_id: str) -> None:
        self._records.soft_delete(self._row(project, chat_id).id, datetime.now(UTC))

    def _row(self, project: str, chat_id: str) -> ChatRow:
        row = self.find(project, chat_id)
        if row is None:
            raise NotFound(f"no chat {chat_id!r}")
        return row

    def _public(self, row: ChatRow) -> ChatPublic:
        messages, _ = self._records.messages(row.id)
        return ChatPublic(
            id=row.public_id,
            user_id=row.user_id,
            title=row.title,
            messages=messages,
            trace_ids=row.trace_ids,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _item(row: ChatRow) -> ChatItem:
    return ChatItem(
        id=row.public_id,
        user_id=row.user_id,
        title=row.title,
        message_count=row.message_count,
        trace_ids=row.trace_ids,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
