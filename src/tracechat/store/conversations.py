"""Chat threads and messages in the DuckDB file.

Small transactions on the calling thread's cursor: chat traffic is a handful of rows per
turn and must not wait behind span group commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from tracechat.genai.values import bounded_json
from tracechat.model.chat import ChatMessage, ChatToolCall, NewMessage
from tracechat.store.cursors import CursorSource


@dataclass(frozen=True, slots=True)
class ChatRow:
    id: str
    project: str
    user_id: str
    agent_id: str
    title: str
    trace_ids: list[str]
    created_at: datetime
    updated_at: datetime
    message_count: int
    external_id: str | None = None
    """The id the client chose for the chat (seed 002's ``conversation_id``, the AI SDK's chat
    ``id``); ``id`` is then derived from it and the project."""

    @property
    def public_id(self) -> str:
        """The id the API shows: the client's own when it chose one."""
        return self.external_id or self.id


_CHAT_COLUMNS = """
    c.id, c.project, c.user_id, c.agent_id, c.title, c.trace_ids, c.created_at, c.updated_at, c.message_count,
    c.external_id
"""

_OF_CHAT = "WITH m AS MATERIALIZED (SELECT * FROM chat_messages WHERE chat_id = $id)"
"""One chat's messages, found through the ``chat_id`` index: DuckDB uses an index only for a
statement whose sole predicate is on its column, so range conditions go outside."""


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _row(values: tuple[Any, ...]) -> ChatRow:
    identifier, project, user_id, agent_id, title, traces, created, updated, count, external = values
    return ChatRow(
        identifier,
        project,
        user_id,
        agent_id,
        title,
        list(traces),
        created.replace(tzinfo=UTC),
        updated.replace(tzinfo=UTC),
        int(count),
        external,
    )


class ChatRecords:
    def __init__(self, store: CursorSource) -> None:
        self._store = store

    def create(self, row: ChatRow) -> None:
        self._store.cursor().execute(
            "INSERT INTO chats VALUES"
            " ($id, $project, $user_id, $agent_id, $title, $trace_ids, $created, $updated, NULL, $external, 0)",
            {
                "id": row.id,
                "project": row.project,
                "user_id": row.user_id,
                "agent_id": row.agent_id,
                "title": row.title,
                "trace_ids": row.trace_ids,
                "created": _utc(row.created_at),
                "updated": _utc(row.updated_at),
                "external": row.external_id,
            },
        )

    def get(self, project: str, chat_id: str) -> ChatRow | None:
        # by id alone (its primary key index), then the project and deletion
        found = (
            self._store.cursor()
            .execute(f"SELECT {_CHAT_COLUMNS}, c.deleted_at IS NULL FROM chats c WHERE c.id = $id", {"id": chat_id})
            .fetchone()
        )
        if found is None or found[1] != project or not found[-1]:
            return None
        return _row(found[:-1])

    def taken(self, chat_id: str) -> bool:
        """Whether a chat, deleted or not, has this id."""
        found = self._store.cursor().execute("SELECT count(*) FROM chats WHERE id = $id", {"id": chat_id}).fetchone()
        return bool(found and found[0])

    def page(
        self,
        project: str,
        limit: int,
        offset: int,
        order_by: Literal["updated_at", "created_at"],
        order: Literal["desc", "asc"],
        agent_id: str | None = None,
    ) -> tuple[list[ChatRow], int]:
        where = "c.project = $project AND c.deleted_at IS NULL" + (" AND c.agent_id = $agent" if agent_id else "")
        params: dict[str, Any] = {"project": project, **({"agent": agent_id} if agent_id else {})}
        cursor = self._store.cursor()
        total = cursor.execute(f"SELECT count(*) FROM chats c WHERE {where}", params).fetchone()
        direction = "DESC" if order == "desc" else "ASC"  # both from a closed set: safe to format
        rows = cursor.execute(
            f"SELECT {_CHAT_COLUMNS} FROM chats c WHERE {where} ORDER BY c.{order_by} {direction}, c.id "
            "LIMIT $limit OFFSET $offset",
            {**params, "limit": limit, "offset": offset},
        ).fetchall()
        return [_row(r) for r in rows], int(total[0]) if total else 0

    def update(self, chat_id: str, title: str | None, messages: list[NewMessage] | None, now: datetime) -> None:
        cursor = self._store.cursor()
        cursor.execute("BEGIN TRANSACTION")
        try:
            if title is not None:
                cursor.execute("UPDATE chats SET title = $title WHERE id = $id", {"title": title, "id": chat_id})
            if messages is not None:
                cursor.execute("DELETE FROM chat_messages WHERE chat_id = $id", {"id": chat_id})
                cursor.execute("UPDATE chats SET message_count = 0 WHERE id = $id", {"id": chat_id})
                self._insert(cursor, chat_id, messages, now)
            cursor.execute("UPDATE chats SET updated_at = $now WHERE id = $id", {"now": _utc(now), "id": chat_id})
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise

    def soft_delete(self, chat_id: str, now: datetime) -> None:
        self._store.cursor().execute(
            "UPDATE chats SET deleted_at = $now WHERE id = $id", {"now": _utc(now), "id": chat_id}
        )

    def add_messages(
        self, chat_id: str, messages: list[NewMessage], now: datetime, drop_after: int | None = None
    ) -> list[int]:
        """Store messages; with ``drop_after``, first delete the chat's messages with a greater id
        (a regenerated answer, an edited message), in the same transaction."""
        cursor = self._store.cursor()
        cursor.execute("BEGIN TRANSACTION")
        try:
            if drop_after is not None:
                self._drop_after(cursor, chat_id, drop_after)
            ids = self._insert(cursor, chat_id, messages, now)
            cursor.execute("UPDATE chats SET updated_at = $now WHERE id = $id", {"now": _utc(now), "id": chat_id})
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        return ids

    def add_trace(self, chat_id: str, trace_id: str) -> None:
        self._store.cursor().execute(
            "UPDATE chats SET trace_ids = list_append(trace_ids, $trace) WHERE id = $id",
            {"trace": trace_id, "id": chat_id},
        )

    def messages(
        self, chat_id: str, limit: int | None = None, before: int | None = None, after: int | None = None
    ) -> tuple[list[ChatMessage], int]:
        """Messages oldest first; with ``limit``, the newest ``limit`` of those in range. Also
        the number in range."""
        where = "true" + (" AND id < $before" if before is not None else "")
        where += " AND id > $after" if after is not None else ""
        params: dict[str, Any] = {"id": chat_id}
        params.update({k: v for k, v in (("before", before), ("after", after)) if v is not None})
        cursor = self._store.cursor()
        total = cursor.execute(f"{_OF_CHAT} SELECT count(*) FROM m WHERE {where}", params).fetchone()
        query = (
            f"{_OF_CHAT} SELECT id, role, content, tool_calls, tool_call_id, metadata, created_at FROM m "
            f"WHERE {where} ORDER BY id DESC" + (" LIMIT $limit" if limit is not None else "")
        )
        rows = cursor.execute(query, {**params, **({"limit": limit} if limit is not None else {})}).fetchall()
        return [_message(r) for r in reversed(rows)], int(total[0]) if total else 0

    def agent_messages(
        self,
        project: str,
        agent_id: str,
        conversation_id: str | None,
        limit: int,
        before: int | None,
        after: int | None,
    ) -> tuple[list[tuple[str, ChatMessage]], int]:
        """(conversation id, message) of an agent's conversations, oldest first: the newest
        ``limit`` in the range, and how many the range holds."""
        where = "c.project = $project AND c.agent_id = $agent AND c.deleted_at IS NULL"
        params: dict[str, Any] = {"project": project, "agent": agent_id}
        for name, value, condition in (
            ("conversation", conversation_id, "c.id = $conversation"),
            ("before", before, "m.id < $before"),
            ("after", after, "m.id > $after"),
        ):
            if value is not None:
                where += f" AND {condition}"
                params[name] = value
        source = f"FROM chat_messages m JOIN chats c ON c.id = m.chat_id WHERE {where}"
        cursor = self._store.cursor()
        total = cursor.execute(f"SELECT count(*) {source}", params).fetchone()
        rows = cursor.execute(
            "SELECT coalesce(c.external_id, c.id), m.id, m.role, m.content, m.tool_calls, m.tool_call_id,"
            " m.metadata, m.created_at "
            f"{source} ORDER BY m.id DESC LIMIT $limit",
            {**params, "limit": limit},
        ).fetchall()
        return [(row[0], _message(row[1:])) for row in reversed(rows)], int(total[0]) if total else 0

    def clear_agent(self, project: str, agent_id: str, conversation_id: str | None) -> int:
        """Delete the messages of one conversation, or of all the agent's; how many went."""
        where = "project = $project AND agent_id = $agent"
        params: dict[str, Any] = {"project": project, "agent": agent_id}
        if conversation_id is not None:
            where += " AND id = $conversation"
            params["conversation"] = conversation_id
        chats = self._store.cursor().execute(f"SELECT id FROM chats WHERE {where}", params).fetchall()
        return sum(self.delete_messages(chat_id) for (chat_id,) in chats)

    def delete_messages(self, chat_id: str) -> int:
        cursor = self._store.cursor()
        count = cursor.execute("SELECT count(*) FROM chat_messages WHERE chat_id = $id", {"id": chat_id}).fetchone()
        cursor.execute("DELETE FROM chat_messages WHERE chat_id = $id", {"id": chat_id})
        cursor.execute("UPDATE chats SET message_count = 0 WHERE id = $id", {"id": chat_id})
        return int(count[0]) if count else 0

    @staticmethod
    def _drop_after(cursor: Any, chat_id: str, message_id: int) -> None:
        dropped = cursor.execute(
            f"{_OF_CHAT} SELECT count(*) FROM m WHERE id > $after", {"id": chat_id, "after": message_id}
        ).fetchone()
        cursor.execute(
            "DELETE FROM chat_messages WHERE chat_id = $id AND id > $after", {"id": chat_id, "after": message_id}
        )
        cursor.execute(
            "UPDATE chats SET message_count = message_count - $n WHERE id = $id", {"n": int(dropped[0]), "id": chat_id}
        )

    @staticmethod
    def _insert(cursor: Any, chat_id: str, messages: list[NewMessage], now: datetime) -> list[int]:
        ids = []
        for message in messages:
            calls = json.dumps([c.model_dump() for c in message.tool_calls]) if message.tool_calls else None
            row = cursor.execute(
                "INSERT INTO chat_messages (chat_id, role, content, tool_calls, tool_call_id, metadata, created_at) "
                "VALUES ($chat, $role, $content, $calls, $call_id, $metadata, $now) RETURNING id",
                {
                    "chat": chat_id,
                    "role": message.role,
                    "content": message.content,
                    "calls": calls,
                    "call_id": message.tool_call_id,
                    "metadata": json.dumps(message.metadata) if message.metadata is not None else None,
                    "now": _utc(now),
                },
            ).fetchone()
            ids.append(int(row[0]))
        cursor.execute(
            "UPDATE chats SET message_count = message_count + $n WHERE id = $id", {"n": len(ids), "id": chat_id}
        )
        return ids


def _message(row: tuple[Any, ...]) -> ChatMessage:
    identifier, role, content, calls, call_id, metadata, created = row
    return ChatMessage(
        id=identifier,
        role=role,
        content=content,
        tool_calls=[ChatToolCall.model_validate(c) for c in json.loads(calls)] if calls else None,
        tool_call_id=call_id,
        metadata=_metadata(metadata) if metadata else None,
        created_at=created.replace(tzinfo=UTC),
    )


def _metadata(text: str) -> dict[str, Any]:
    """Stored metadata; a value from before the nesting bound (or not an object) as text."""
    value = bounded_json(text)
    return value if isinstance(value, dict) else {"unreadable": text}


@dataclass(frozen=True, slots=True)
class AgentRow:
    id: str
    project: str
    name: str
    system_prompt: str | None
    model: str | None
    allowed_tools: list[str] | None
    created_at: datetime


class AgentRecords:
    def __init__(self, store: CursorSource) -> None:
        self._store = store

    def create(self, row: AgentRow) -> None:
        self._store.cursor().execute(
            "INSERT INTO agents VALUES ($id, $project, $name, $prompt, $model, $tools, $created)",
            {
                "id": row.id,
                "project": row.project,
                "name": row.name,
                "prompt": row.system_prompt,
                "model": row.model,
                "tools": row.allowed_tools,
                "created": _utc(row.created_at),
            },
        )

    def get(self, project: str, agent_id: str) -> AgentRow | None:
        found = (
            self._store.cursor()
            .execute(
                "SELECT id, project, name, system_prompt, model, allowed_tools, created_at FROM agents"
                " WHERE id = $id AND project = $project",
                {"id": agent_id, "project": project},
            )
            .fetchone()
        )
        return _agent(found) if found else None

    def all(self, project: str) -> list[AgentRow]:
        rows = (
            self._store.cursor()
            .execute(
                "SELECT id, project, name, system_prompt, model, allowed_tools, created_at FROM agents"
                " WHERE project = $project ORDER BY created_at, id",
                {"project": project},
            )
            .fetchall()
        )
        return [_agent(r) for r in rows]


def _agent(row: tuple[Any, ...]) -> AgentRow:
    identifier, project, name, prompt, model, tools, created = row
    return AgentRow(
        identifier,
        project,
        name,
        prompt,
        model,
        list(tools) if tools is not None else None,
        created.replace(tzinfo=UTC),
    )
