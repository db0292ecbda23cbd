"""Chats, messages and agents behave the same in the DuckDB file and in PostgreSQL (the
Iceberg store's home for them): ``store.conversations`` run against both."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.postgres import PostgresServer
from tracechat.model.chat import ChatToolCall, NewMessage, ToolCallFunction
from tracechat.store.conversations import AgentRecords, AgentRow, ChatRecords, ChatRow
from tracechat.store.cursors import CursorSource
from tracechat.store.duck import DuckDBStore
from tracechat.store.iceberg.records import PostgresRecords, postgres_statement

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(params=["duckdb", "postgresql"])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CursorSource]:
    if request.param == "duckdb":
        store = DuckDBStore(tmp_path / "t.duckdb")
        yield store
        store.close()
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        records = PostgresRecords(server.create_database())
        yield records
        records.close()


def _chat(chat_id: str, *, project: str = "p", agent: str = "a", minutes: int = 0) -> ChatRow:
    moment = NOW + timedelta(minutes=minutes)
    return ChatRow(chat_id, project, "u", agent, f"title {chat_id}", ["t1"], moment, moment, 0, None)


def _say(*texts: str) -> list[NewMessage]:
    return [NewMessage(role="user", content=text) for text in texts]


def test_chats_are_created_paged_renamed_and_soft_deleted(source: CursorSource) -> None:
    chats = ChatRecords(source)
    for number in range(3):
        chats.create(_chat(f"c{number}", minutes=number))
    chats.create(_chat("other", project="q"))
    page, total = chats.page("p", limit=2, offset=0, order_by="created_at", order="desc")
    assert ([c.id for c in page], total) == (["c2", "c1"], 3)
    chats.update("c0", "renamed", None, NOW + timedelta(hours=1))
    found = chats.get("p", "c0")
    assert found is not None
    assert (found.title, found.updated_at, found.trace_ids) == ("renamed", NOW + timedelta(hours=1), ["t1"])
    chats.add_trace("c0", "t2")
    assert chats.get("p", "c0").trace_ids == ["t1", "t2"]  # type: ignore[union-attr]
    assert chats.get("q", "c0") is None
    chats.soft_delete("c1", NOW)
    assert chats.get("p", "c1") is None
    assert chats.taken("c1")
    assert not chats.taken("nope")
    assert chats.page("p", 10, 0, "updated_at", "asc")[1] == 2


def test_messages_keep_their_order_ids_tool_calls_and_counts(source: CursorSource) -> None:
    chats = ChatRecords(source)
    chats.create(_chat("c"))
    call = ChatToolCall(id="call-1", function=ToolCallFunction(name="lookup", arguments='{"q": 1}'))
    first = chats.add_messages("c", [NewMessage(role="assistant", tool_calls=[call], metadata={"k": 1})], NOW)
    later = chats.add_messages("c", _say("two", "three", "four"), NOW)
    assert first[0] < later[0] < later[1] < later[2]
    messages, total = chats.messages("c")
    assert total == 4
    assert messages[0].tool_calls == [call]
    assert messages[0].metadata == {"k": 1}
    assert messages[0].created_at == NOW
    newest, in_range = chats.messages("c", limit=2, after=first[0])
    assert ([m.content for m in newest], in_range) == (["three", "four"], 3)
    assert [m.content for m in chats.messages("c", before=later[1])[0]] == [None, "two"]
    chats.add_messages("c", _say("regenerated"), NOW, drop_after=later[0])  # drops three and four
    assert [m.content for m in chats.messages("c")[0]] == [None, "two", "regenerated"]
    assert chats.get("p", "c").message_count == 3  # type: ignore[union-attr]
    chats.update("c", None, _say("only"), NOW)
    assert [m.content for m in chats.messages("c")[0]] == ["only"]
    assert chats.delete_messages("c") == 1
    assert chats.messages("c") == ([], 0)


def test_agents_and_their_conversations(source: CursorSource) -> None:
    agents, chats = AgentRecords(source), ChatRecords(source)
    agents.create(AgentRow("ag", "p", "helper", "be brief", "gpt-4o", ["search"], NOW))
    assert agents.get("p", "ag") == AgentRow("ag", "p", "helper", "be brief", "gpt-4o", ["search"], NOW)
    assert agents.get("q", "ag") is None
    assert [a.id for a in agents.all("p")] == ["ag"]
    for conversation in ("x", "y"):
        chats.create(_chat(conversation, agent="ag"))
        chats.add_messages(conversation, _say(f"{conversation}1", f"{conversation}2"), NOW)
    pairs, total = chats.agent_messages("p", "ag", None, limit=3, before=None, after=None)
    assert total == 4
    assert [(conversation, m.content) for conversation, m in pairs] == [("x", "x2"), ("y", "y1"), ("y", "y2")]
    assert chats.agent_messages("p", "ag", "x", 10, None, None)[1] == 2
    assert chats.clear_agent("p", "ag", "x") == 2
    assert chats.clear_agent("p", "ag", None) == 2


def test_statements_are_mapped_to_psycopg_parameters() -> None:
    assert postgres_statement("SELECT * FROM t WHERE a = $a AND b LIKE '50%'", False) == (
        "SELECT * FROM t WHERE a = %(a)s AND b LIKE '50%%'"
    )
    assert postgres_statement("SELECT ? , list_append(x, ?)", True) == "SELECT %s , array_append(x, %s)"
