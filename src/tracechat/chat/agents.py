"""Agents the assistant can act as (seed 002): the built-in ``trace-analyst`` and agents
created through the API with their own instructions, model and tools, stored per project."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tracechat.auth.keys import Principal
from tracechat.chat import tools
from tracechat.chat.assistant import SYSTEM_PROMPT, Assistant, TurnRequest
from tracechat.chat.models import ChatModel
from tracechat.chat.threads import BUILT_IN_AGENT, ChatThreads, check_client_id, conversation_key
from tracechat.errors import InvalidInput, NotFound
from tracechat.model.chat import AgentHistory, AgentMessage, AgentPublic, HistoryMeta, NewMessage
from tracechat.store.conversations import AgentRecords, AgentRow, ChatRecords

_TITLE_CHARS = 60


def _built_in() -> AgentPublic:
    return AgentPublic(
        id=BUILT_IN_AGENT,
        name="Trace analyst",
        system_prompt=SYSTEM_PROMPT,
        model=None,
        allowed_tools=None,
        built_in=True,
        created_at=None,
    )


def _public(row: AgentRow) -> AgentPublic:
    return AgentPublic(
        id=row.id,
        name=row.name,
        system_prompt=row.system_prompt,
        model=row.model,
        allowed_tools=row.allowed_tools,
        built_in=False,
        created_at=row.created_at,
    )


class Agents:
    def __init__(self, agents: AgentRecords, records: ChatRecords, threads: ChatThreads, assistant: Assistant) -> None:
        self._agents = agents
        self._records = records
        self._threads = threads
        self._assistant = assistant

    def create(
        self, project: str, name: str, system_prompt: str | None, model: str | None, allowed_tools: list[str] | None
    ) -> AgentPublic:
        if model is not None:
            self._assistant.model(model)  # 400 naming the available models
        unknown = sorted(set(allowed_tools or ()) - set(tools.TOOLS))
        if unknown:
            raise InvalidInput(f"unknown tools {unknown}; tools: {', '.join(tools.TOOLS)}")
        row = AgentRow(
            f"agent_{uuid.uuid4().hex[:16]}", project, name, system_prompt, model, allowed_tools, datetime.now(UTC)
        )
        self._agents.create(row)
        return _public(row)

    def all(self, project: str) -> list[AgentPublic]:
        return [_built_in(), *(_public(row) for row in self._agents.all(project))]

    def get(self, project: str, agent_id: str) -> AgentPublic:
        if agent_id == BUILT_IN_AGENT:
            return _built_in()
        row = self._agents.get(project, agent_id)
        if row is None:
            raise NotFound(f"no agent {agent_id!r}")
        return _public(row)

    def history(
        self,
        project: str,
        agent_id: str,
        conversation_id: str | None,
        limit: int,
        before: int | None,
        after: int | None,
    ) -> AgentHistory:
        self.get(project, agent_id)
        key = self._chat_of(project, conversation_id) if conversation_id else None
        rows, total = self._records.agent_messages(project, agent_id, key, limit, before, after)
        messages = [AgentMessage(**m.model_dump(), conversation_id=c) for c, m in rows]
        return AgentHistory(messages=messages, meta=HistoryMeta(total=total, has_more=total > len(messages)))

    def clear(self, project: str, agent_id: str, conversation_id: str | None) -> int:
        self.get(project, agent_id)
        key = self._chat_of(project, conversation_id) if conversation_id else None
        return self._records.clear_agent(project, agent_id, key)

    def prepare(
        self,
        project: str,
        principal: Principal,
        agent_id: str,
        message: str,
        conversation_id: str | None,
        context: Any,
        system_prompt: str | None,
    ) -> tuple[ChatModel, str, str, TurnRequest]:
        """The model, the chat id, the conversation id the client sees, and the turn."""
        agent = self.get(project, agent_id)
        if not message.strip():
            raise InvalidInput("message must not be empty")
        request = TurnRequest(
            messages=[NewMessage(role="user", content=message)],
            model=agent.model,
            system_prompt=system_prompt or agent.system_prompt,
            context=context,
            allowed_tools=agent.allowed_tools,
        )
        model = self._assistant.model(agent.model)
        chat_id = self._conversation(project, principal, agent_id, conversation_id, message)
        return model, chat_id, conversation_id or chat_id, request

    def _chat_of(self, project: str, conversation_id: str) -> str:
        """The chat behind a conversation id: one the client named, or one we generated."""
        found = self._threads.find(project, conversation_id)
        return found.id if found else conversation_key(project, conversation_id)

    def _conversation(
        self, project: str, principal: Principal, agent_id: str, conversation_id: str | None, message: str
    ) -> str:
        if conversation_id is None:
            return self._threads.start(project, principal, message[:_TITLE_CHARS], agent_id).id
        check_client_id("conversation_id", conversation_id)
        existing = self._threads.find(project, conversation_id)
        if existing is None:
            return self._threads.start(project, principal, message[:_TITLE_CHARS], agent_id, conversation_id).id
        if existing.agent_id != agent_id:
            raise NotFound(f"conversation {conversation_id!r} belongs to another agent")
        return existing.id
