"""Trajectories as data over real HTTP: every sample trace (and every sample session) read
back as ATIF — validated by the ``atif`` package's Pydantic models — and as OpenAI chat
messages, each checked against the trajectory the same server answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import atif
import httpx
import pytest

from tests.samples import ALL_TIME, SAMPLES, load_recent_samples
from tests.servers import InProcessServer, settings_for_test


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    server = InProcessServer(settings_for_test(tmp_path_factory.mktemp("formats") / "data"))
    try:
        load_recent_samples(server.service.receiver)
        yield server
    finally:
        server.stop()


def _trace_ids(server: InProcessServer) -> list[str]:
    listing = httpx.get(f"{server.api}/agents/traces", params={"limit": 500, "since": ALL_TIME}).json()
    return sorted(t["trace_id"] for t in listing["traces"])


def _chat(server: InProcessServer, trace_id: str) -> dict[str, Any]:
    body = {"project_id": "default", "trace_id": trace_id}
    answer: dict[str, Any] = httpx.post(f"{server.api}/agents/traces/chat", json=body).json()
    return answer


def _export(server: InProcessServer, path: str, fmt: str) -> Any:
    response = httpx.get(f"{server.api}{path}/trajectory", params={"format": fmt, "project_id": "default"})
    assert response.status_code == 200, response.text
    return response.json()


def _entries(trajectory: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [m[kind] for m in trajectory["messages"] if m["type"] == kind]


def check_atif(document: Any, trajectory: dict[str, Any]) -> None:
    """Valid ATIF that holds every model call, tool call and user turn of ``trajectory``."""
    parsed = atif.Trajectory.model_validate(document)
    assert parsed.schema_version == "ATIF-v1.8"
    calls = [s for s in parsed.steps if s.source == "agent" and s.llm_call_count == 1]
    answers = _entries(trajectory, "assistant_message")
    assert len(calls) == len(answers)
    assert [s.message or None for s in calls] == [a["text"] or None for a in answers]
    assert [s.model_name for s in calls] == [a["model"] for a in answers]
    assert sum(s.metrics.prompt_tokens or 0 for s in calls if s.metrics) == sum(a["input_tokens"] or 0 for a in answers)
    users = [s.message for s in parsed.steps if s.source == "user"]
    assert users == [u["text"] or "" for u in _entries(trajectory, "user_message")]
    tools = _entries(trajectory, "tool_call")
    exported = [(c, s) for s in parsed.steps for c in s.tool_calls or []]
    requested = [c["id"] for a in answers for c in a["tool_calls"] or [] if c["id"] is not None]
    unrequested = [t for t in tools if t["tool_call_id"] not in requested]
    assert len(exported) == len(requested) + len(unrequested), "every tool call once"
    results = {r.source_call_id: r.content for s in parsed.steps if s.observation for r in s.observation.results}
    for tool in tools:
        assert tool["tool_call_id"] is None or results[tool["tool_call_id"]] == tool["tool_result"]
        recorded = tool["tool_arguments"]
        match = [c for c, _ in exported if c.tool_call_id == tool["tool_call_id"]]
        if recorded is not None and tool["tool_call_id"] is not None and isinstance(json.loads(recorded), dict):
            assert match[0].arguments == json.loads(recorded)
    assert parsed.final_metrics is not None
    assert parsed.final_metrics.total_steps == len(parsed.steps)


def check_openai(document: Any, trajectory: dict[str, Any]) -> None:
    """Chat messages in the order of ``trajectory``, each tool result after the assistant
    message that asked for it, tool definitions in the function shape."""
    asked: set[str] = set()
    for message in document["messages"]:
        assert message["role"] in ("system", "user", "assistant", "tool")
        for call in message.get("tool_calls", []):
            assert call["type"] == "function"
            asked.add(call["id"])
        if message["role"] == "tool":
            assert message["tool_call_id"] in asked
    answers = _entries(trajectory, "assistant_message")
    assistants = [m for m in document["messages"] if m["role"] == "assistant"]
    assert [m.get("content") for m in assistants] == [a["text"] for a in answers]
    assert [m["content"] for m in document["messages"] if m["role"] == "user"] == [
        u["text"] for u in _entries(trajectory, "user_message") if u["text"] is not None
    ]
    for tool in document.get("tools", []):
        assert tool["type"] == "function"
        assert isinstance(tool["function"]["name"], str)
    omitted = {o["span_id"] for o in document.get("omitted", [])}
    assert all(m["span_id"] in omitted for m in trajectory["messages"] if m["type"] == "agent_handoff")


def test_every_sample_trace_exports_as_atif(loaded: InProcessServer) -> None:
    ids = _trace_ids(loaded)
    assert len(ids) > 20
    for trace_id in ids:
        check_atif(_export(loaded, f"/agents/traces/{trace_id}", "atif"), _chat(loaded, trace_id))


def test_every_sample_trace_exports_as_openai_messages(loaded: InProcessServer) -> None:
    with_tools = 0
    for trace_id in _trace_ids(loaded):
        document = _export(loaded, f"/agents/traces/{trace_id}", "openai")
        check_openai(document, _chat(loaded, trace_id))
        assert document["metadata"] == {"project": "default", "trace_id": trace_id}
        with_tools += bool(document.get("tools"))
    assert with_tools > 10


def test_a_tool_call_carries_its_arguments_and_result(loaded: InProcessServer) -> None:
    """pydantic-ai's weather case: one call of get_weather, its result, the answer."""
    trace_id = json.loads((SAMPLES / "pydantic-ai" / "expected" / "trajectory.json").read_text())["trace_id"]
    document = _export(loaded, f"/agents/traces/{trace_id}", "openai")
    roles = [m["role"] for m in document["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    call = document["messages"][2]["tool_calls"][0]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'}
    assert document["messages"][3]["tool_call_id"] == call["id"]
    assert "temperature_c" in document["messages"][3]["content"]
    assert document["tools"][0]["function"]["name"] == "get_weather"
    assert document["tools"][0]["function"]["parameters"]["required"] == ["city"]
    steps = atif.Trajectory.model_validate(_export(loaded, f"/agents/traces/{trace_id}", "atif")).steps
    assert [s.source for s in steps] == ["system", "user", "agent", "agent"]
    assert steps[2].tool_calls is not None
    assert steps[2].tool_calls[0].arguments == {"city": "Paris"}
    assert steps[2].observation is not None
    assert steps[2].observation.results[0].source_call_id == call["id"]


def test_every_sample_session_exports(loaded: InProcessServer) -> None:
    listing = httpx.get(f"{loaded.api}/agents/sessions", params={"since": ALL_TIME}).json()
    assert len(listing["sessions"]) >= 3
    for session in listing["sessions"]:
        sid = session["session_id"]
        body = {"project_id": "default", "session_id": sid}
        trajectory = httpx.post(f"{loaded.api}/agents/sessions/chat", json=body).json()
        document = _export(loaded, f"/agents/sessions/{sid}", "atif")
        check_atif(document, trajectory)
        assert document["session_id"] == sid
        assert document["extra"]["trace_ids"] == [t["trace_id"] for t in trajectory["traces"]]
        traced = {s["extra"]["trace_id"] for s in document["steps"]}
        assert traced <= set(document["extra"]["trace_ids"])
        check_openai(_export(loaded, f"/agents/sessions/{sid}", "openai"), trajectory)


def test_errors(loaded: InProcessServer, tmp_path: Path) -> None:
    trace_id = _trace_ids(loaded)[0]
    base = f"{loaded.api}/agents/traces"
    assert httpx.get(f"{base}/{trace_id}/trajectory", params={"format": "xml"}).status_code == 422
    assert httpx.get(f"{base}/{trace_id}/trajectory").status_code == 422  # format is required
    assert httpx.get(f"{base}/{'0' * 32}/trajectory", params={"format": "atif"}).status_code == 404
    assert httpx.get(f"{base}/{trace_id}/trajectory", params={"format": "atif", "fmt": "x"}).status_code == 422
    missing = httpx.get(f"{loaded.api}/agents/sessions/nope/trajectory", params={"format": "openai"})
    assert missing.status_code == 404
    assert missing.json()["error"]["message"]
