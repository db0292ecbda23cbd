"""Round trip: the OpenAI export of a sample trace, sent back as a Chat Completions request
to the scripted model server the samples were captured with (scripts/capture/fake_openai.py,
a subprocess on a loopback port), is the conversation the model saw — the model input the
trace recorded for its last model call — and the server, which answers from the request
alone, answers it as it answered then."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.samples import ALL_TIME, SAMPLES, load_recent_samples
from tests.servers import InProcessServer, settings_for_test
from tracechat.genai.types import Message
from tracechat.ingest.loader import decode_request, find_request_files
from tracechat.query.service import trace_facts

FAKE_MODEL = Path(__file__).resolve().parents[2] / "scripts" / "capture" / "fake_openai.py"

NOT_ROUND_TRIPPED = {
    "smolagents": "sends tool results back as user messages ('Observation: …'), not as tool messages",
    "openlit-smolagents": "smolagents again (under OpenLIT): tool results go back as user messages, and the "
    "system message is smolagents' prompt template around the agent's instructions",
    "strands-agents-parallel": "its last model call's recorded input holds one of the two parallel tool results",
    "llamaindex-react-agent": "records its tool calls and results with no ids, which OpenAI chat messages need",
    "reasoning-openinference": "records the reasoning of the earlier answer as an assistant message of its own",
    "beeai-agent": "its model is sent the question inside BeeAI's template ('Your task: …'); the trajectory shows "
    "the question the agent was asked",
    "langgraph-js": "its recorded input has no tool_call_id on the tool message; the trajectory takes it from "
    "LangChain's serialized messages",
    "agent-framework-responses-stream": "the Responses API keeps the conversation on the server: a later call "
    "sends only the new items",
    "mastra-agent": "Mastra's exporter records no model input (its chat spans carry only their output): there is "
    "no recorded input to compare the export with",
    "openinference-google-adk": "OpenInference's ADK instrumentation writes both model calls onto one span: the "
    "first call, which asked for the tool, has no entry of its own, so the export lacks the turn the recorded input holds",
    "llamaindex-otel-function-agent": "llama-index-observability-otel records no reply of a streamed model "
    "call (its span ends before the stream is read): the answer's text is unknown, nothing to compare the reply with",
    "langtrace-openai-tool-loop": "Langtrace records each assistant message that called tools as a list of empty "
    "call stubs (no role, no ids, no arguments): the recorded input lacks the calls the export holds",
    "voltagent-agent": "VoltAgent records one model span over the AI SDK's whole tool loop, with the messages "
    "the loop started with: the last request the model saw (with the tool result) is recorded nowhere",
}
"""Cases whose recorded input is not the chat-completions conversation, and why."""

Key = tuple[str, str | None, tuple[str, ...], str | None]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    server = InProcessServer(settings_for_test(tmp_path_factory.mktemp("roundtrip") / "data"))
    try:
        load_recent_samples(server.service.receiver)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def fake_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("fake") / "requests.jsonl"
    proc = subprocess.Popen(
        [sys.executable, str(FAKE_MODEL), "--port", "0", "--log", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("PORT "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}", log
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def _case_traces() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for case in sorted(p for p in SAMPLES.iterdir() if (p / "requests").is_dir()):
        for file in find_request_files([case / "requests"]):
            request = decode_request(file)
            for rs in getattr(request, "resource_spans", []):
                for ss in rs.scope_spans:
                    found.setdefault(case.name, set()).update(s.trace_id.hex() for s in ss.spans)
    return found


def _ours(message: dict[str, Any]) -> Key:
    calls = tuple(c["id"] for c in message.get("tool_calls") or [])
    return (message["role"], message.get("content"), calls, message.get("tool_call_id"))


def _recorded(message: Message) -> Key:
    results = message.of_kind("tool_result")
    if results:
        return ("tool", results[0].text, (), results[0].id)
    return (message.role, message.text(), tuple(p.id or "" for p in message.of_kind("tool_call")), None)


def recorded_input(server: InProcessServer, trace_id: str, span_id: str) -> list[Key]:
    """The model input the trace recorded for the model call of ``span_id``, as tracechat's
    normalizer reads it (the instructions first when recorded beside the messages)."""
    stored = server.service.store.read_trace("default", trace_id)
    assert stored is not None
    facts, _ = trace_facts(stored.spans, stored.logs)
    call = next(f for f in facts if f.span_id == span_id)
    keys = [_recorded(m) for m in call.input_messages or []]
    if call.system_instructions and (not keys or keys[0] != ("system", call.system_instructions, (), None)):
        keys.insert(0, ("system", call.system_instructions, (), None))
    return keys


def round_trip(fake: tuple[str, Path], document: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """Send the conversation up to the last model call's answer; the reply and the request
    the model server received."""
    messages = document["messages"]
    last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
    body: dict[str, Any] = {"model": answer["model"] or "gpt-4o-mini", "messages": messages[:last]}
    if "tools" in document:
        body["tools"] = document["tools"]
    reply = httpx.post(f"{fake[0]}/v1/chat/completions", json=body, timeout=30)
    assert reply.status_code == 200, reply.text
    received = json.loads(fake[1].read_text().splitlines()[-1])
    assert received["body"]["messages"] == messages[:last]
    message: dict[str, Any] = reply.json()["choices"][0]["message"]
    return message


def _answers(trajectory: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in trajectory["messages"] if m["type"] == "assistant_message"]


def _same_answer(reply: dict[str, Any], answer: dict[str, Any]) -> None:
    assert reply.get("content") == answer["text"]
    assert [c["function"]["name"] for c in reply.get("tool_calls") or []] == [
        c["name"] for c in answer["tool_calls"] or []
    ]


def test_each_sample_traces_conversation_round_trips(loaded: InProcessServer, fake_model: tuple[str, Path]) -> None:
    sessions = {
        s["session_id"]
        for s in httpx.get(f"{loaded.api}/agents/sessions", params={"since": ALL_TIME}).json()["sessions"]
    }
    listed = httpx.get(f"{loaded.api}/agents/traces", params={"limit": 500, "since": ALL_TIME}).json()["traces"]
    in_session = {t["trace_id"] for t in listed if t.get("conversation_id") in sessions}
    checked, differ = 0, []
    for case, trace_ids in _case_traces().items():
        if case in NOT_ROUND_TRIPPED:
            continue
        for trace_id in sorted(trace_ids - in_session):
            trajectory = httpx.post(
                f"{loaded.api}/agents/traces/chat", json={"project_id": "default", "trace_id": trace_id}
            ).json()
            if sum(m["type"] == "agent_start" for m in trajectory["messages"]) != 1 or not _answers(trajectory):
                continue  # one model's conversation: with two agents, each saw only its own
            document = httpx.get(
                f"{loaded.api}/agents/traces/{trace_id}/trajectory", params={"format": "openai"}
            ).json()
            last = _answers(trajectory)[-1]
            reply = round_trip(fake_model, document, last["assistant_message"])
            messages = document["messages"]
            sent = messages[: max(i for i, m in enumerate(messages) if m["role"] == "assistant")]
            if [_ours(m) for m in sent] != recorded_input(loaded, trace_id, last["span_id"]):
                differ.append(case)
                continue
            _same_answer(reply, last["assistant_message"])
            checked += 1
    assert not differ, f"the export is not what these cases' models saw: {differ}"
    assert checked >= 10


def test_a_sessions_conversation_round_trips(loaded: InProcessServer, fake_model: tuple[str, Path]) -> None:
    """A later turn's model saw the earlier turns too: the session's export holds them."""
    not_round_tripped = {t for case, traces in _case_traces().items() if case in NOT_ROUND_TRIPPED for t in traces}
    listing = httpx.get(f"{loaded.api}/agents/sessions", params={"since": ALL_TIME}).json()["sessions"]
    checked, differ = 0, []
    for session in listing:
        body = {"project_id": "default", "session_id": session["session_id"]}
        trajectory = httpx.post(f"{loaded.api}/agents/sessions/chat", json=body).json()
        if {m["trace_id"] for m in trajectory["messages"]} <= not_round_tripped:
            continue
        if len({m["agent_name"] for m in trajectory["messages"] if m["type"] == "agent_start"}) != 1:
            continue
        path = f"{loaded.api}/agents/sessions/{session['session_id']}/trajectory"
        document = httpx.get(path, params={"format": "openai"}).json()
        last = _answers(trajectory)[-1]
        reply = round_trip(fake_model, document, last["assistant_message"])
        messages = document["messages"]
        sent = messages[: max(i for i, m in enumerate(messages) if m["role"] == "assistant")]
        if [_ours(m) for m in sent] != recorded_input(loaded, last["trace_id"], last["span_id"]):
            differ.append(session["session_id"])
            continue
        _same_answer(reply, last["assistant_message"])
        checked += 1
    assert not differ, f"the export is not what these sessions' models saw: {differ}"
    assert checked >= 2
