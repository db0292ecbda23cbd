"""The real Vercel AI SDK chat client (npm ``ai`` 5 and 6: ``AbstractChat`` with
``DefaultChatTransport``, what ``useChat`` runs) under node, against a real server: what the
client holds after each turn, and what the chat stored. The node side is
tests/node/use_chat.mjs; ``make test`` installs its packages (``npm ci``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from itertools import groupby
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import InProcessServer

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
SDKS = ["ai5", "ai6"]
Q1, Q2 = "Which models are there?", "And which errors happened?"

_NODE = shutil.which("node")
if _NODE is None or not all((NODE_DIR / "node_modules" / sdk / "package.json").exists() for sdk in SDKS):
    if os.environ.get("CI"):
        raise RuntimeError("the useChat tests need node and `npm ci --prefix tests/node`; `make test` runs it")
    pytest.skip("node or tests/node/node_modules missing (npm ci --prefix tests/node)", allow_module_level=True)


def use_chat(server: InProcessServer, sdk: str, chat_id: str, *steps: str) -> list[dict[str, Any]]:
    """Run the client through ``steps``; each turn's status, error, finishReason and messages."""
    command = [str(_NODE), str(NODE_DIR / "use_chat.mjs"), sdk, f"{server.api}/api/v1/chat?stream=true", chat_id]
    done = subprocess.run([*command, *steps], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    turns: list[dict[str, Any]] = json.loads(done.stdout)["turns"]
    for turn in turns:
        assert (turn["status"], turn["error"], turn["finishReason"]) == ("ready", None, "stop"), turn
    return turns


def held(messages: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(id, role, text) of each UI message the client holds."""
    texts = ("\n\n".join(p["text"] for p in m["parts"] if p["type"] == "text") for m in messages)
    return [(m["id"], m["role"], text) for m, text in zip(messages, texts, strict=True)]


def stored(server: InProcessServer, chat_id: str) -> list[tuple[str, str, str]]:
    """The stored chat read back as UI messages: its rows grouped by the UI message they belong to."""
    chat = httpx.get(f"{server.api}/api/v1/chats/{chat_id}", timeout=30).json()
    rows = groupby(chat["messages"], key=lambda m: m["metadata"]["ui_message_id"])
    return [_as_ui(ui_id, list(group)) for ui_id, group in rows]


def _as_ui(ui_id: str, rows: list[dict[str, Any]]) -> tuple[str, str, str]:
    said = "\n\n".join(r["content"] for r in rows if r["role"] != "tool" and r["content"])
    return ui_id, rows[0]["role"], said


def tools_used(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["type"], p["state"]) for p in message["parts"] if p["type"].startswith("tool-")]


@pytest.mark.parametrize("sdk", SDKS)
def test_two_turns_hold_the_real_answers_and_are_stored_once(server: InProcessServer, sdk: str) -> None:
    first, second = (turn["messages"] for turn in use_chat(server, sdk, "ui-chat", Q1, Q2))
    assert [role for _, role, _ in held(first)] == ["user", "assistant"]
    assert held(first)[0][2] == Q1
    assert [role for _, role, _ in held(second)] == ["user", "assistant", "user", "assistant"]
    assert second[:2] == first  # the first exchange is left as it was
    assert held(second)[2][1:] == ("user", Q2)
    assert tools_used(second[1]) == [("tool-list_agents_and_models", "output-available")]
    assert tools_used(second[3]) == [("tool-find_errors", "output-available")]
    assert all(text for _, _, text in held(second))
    assert stored(server, "ui-chat") == held(second)  # each message once, in order, the answers as streamed
    assert httpx.get(f"{server.api}/api/v1/chats", timeout=30).json()["total"] == 1


@pytest.mark.parametrize("sdk", SDKS)
def test_regenerate_replaces_the_stored_answer(server: InProcessServer, sdk: str) -> None:
    _, before, after = (turn["messages"] for turn in use_chat(server, sdk, "ui-regen", Q1, Q2, "!regenerate"))
    assert after[:3] == before[:3]
    assert after[3]["id"] != before[3]["id"]
    assert stored(server, "ui-regen") == held(after)
