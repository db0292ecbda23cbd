"""The OpenAI-compatible and Anthropic providers, configured by environment, driving the
same tools against a scripted local server that speaks their wire formats (streamed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.samples import load_recent_samples
from tests.scripted_models import ANSWER, REASONING, ScriptedModels
from tests.servers import InProcessServer, settings_for_test
from tracechat.chat.assistant import MAX_STEPS


@pytest.fixture
def scripted() -> Iterator[ScriptedModels]:
    server = ScriptedModels()
    yield server
    server.close()


@pytest.fixture
def provided(tmp_path: Path, scripted: ScriptedModels, monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessServer]:
    """A server whose providers are configured by environment to call the scripted models."""
    monkeypatch.setenv("TRACECHAT_OPENAI_BASE_URL", scripted.url + "/v1")
    monkeypatch.setenv("TRACECHAT_OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("TRACECHAT_OPENAI_MODELS", "local-llama")
    monkeypatch.setenv("TRACECHAT_ANTHROPIC_API_KEY", "ant-test")
    monkeypatch.setenv("TRACECHAT_ANTHROPIC_BASE_URL", scripted.url)
    monkeypatch.setenv("TRACECHAT_ANTHROPIC_MODELS", "claude-sonnet-4-5")
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    yield server
    server.stop()


@pytest.fixture
def api(provided: InProcessServer, clock: datetime) -> Iterator[httpx.Client]:
    load_recent_samples(provided.service.receiver)
    with httpx.Client(base_url=provided.api, timeout=60) as client:
        yield client


@pytest.mark.parametrize("model", ["local-llama", "claude-sonnet-4-5"])
def test_provider_calls_the_tools_and_answers(api: httpx.Client, scripted: ScriptedModels, model: str) -> None:
    response = api.post(
        "/api/v1/chat",
        json={
            "model": model,
            "system_prompt": "Be terse.",
            "messages": [{"role": "user", "content": "Which model costs most?"}],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["response"].strip() == ANSWER
    usage = body["usage"]
    assert (usage["model"], usage["api_calls_count"], usage["input_tokens"], usage["output_tokens"]) == (
        model,
        2,
        240,
        60,
    )
    if model.startswith("claude"):
        assert (usage["cache_creation_input_tokens"], usage["cache_read_input_tokens"]) == (14, 6)
        assert usage["cost"] > 0  # priced from genai-prices
        first = scripted.requests[0]
        assert first["headers"]["x-api-key"] == "ant-test"
        assert first["body"]["system"].startswith("Be terse.")
        assert first["body"]["tools"][0]["input_schema"]["type"] == "object"
        tool_turn = scripted.requests[1]["body"]["messages"]
        assert tool_turn[-2]["content"][0]["type"] == "tool_use"
        assert tool_turn[-1]["content"][0]["type"] == "tool_result"
    else:
        assert usage["cache_read_input_tokens"] == 200
        first = scripted.requests[0]
        assert first["headers"]["Authorization"] == "Bearer sk-test"
        assert first["body"]["stream"] is True
        assert first["body"]["tools"][0]["type"] == "function"
        assert scripted.requests[1]["body"]["messages"][-1]["role"] == "tool"
    chat = api.get(f"/api/v1/chats/{body['chat_id']}").json()
    call = chat["messages"][1]["tool_calls"][0]
    assert (call["function"]["name"], json.loads(call["function"]["arguments"])) == (
        "token_usage",
        {"group_by": "model"},
    )
    assert "gpt-4o-mini" in chat["messages"][2]["content"]  # the tool ran against the store


def test_provider_stream_carries_reasoning_and_text(api: httpx.Client) -> None:
    response = api.post(
        "/api/v1/chat",
        params={"stream": "true"},
        json={"model": "local-llama", "messages": [{"role": "user", "content": "Which model?"}]},
    )
    chunks = [json.loads(b[6:]) for b in response.text.split("\n\n") if b.strip() and b != "data: [DONE]"]
    reasoning = "".join(c["delta"] for c in chunks if c["type"] == "reasoning-delta")
    text = "".join(c["delta"] for c in chunks if c["type"] == "text-delta")
    assert (reasoning, text.strip()) == (REASONING, ANSWER)
    assert [c["toolName"] for c in chunks if c["type"] == "tool-input-available"] == ["token_usage"]


def test_models_are_listed(api: httpx.Client) -> None:
    ids = [m["id"] for m in api.get("/api/v1/models").json()["models"]]
    assert ids == ["tracechat-analyst", "local-llama", "claude-sonnet-4-5"]


def test_provider_failure_is_502_with_its_message(api: httpx.Client, scripted: ScriptedModels) -> None:
    scripted.fail_with = 529
    response = api.post(
        "/api/v1/chat", json={"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "x"}]}
    )
    assert response.status_code == 502
    assert "anthropic answered 529: model overloaded" in response.json()["error"]["message"]
    streamed = api.post(
        "/api/v1/chat",
        params={"stream": "true"},
        json={"model": "local-llama", "messages": [{"role": "user", "content": "x"}]},
    )
    chunks = [json.loads(b[6:]) for b in streamed.text.split("\n\n") if b.strip() and b != "data: [DONE]"]
    assert chunks[-1] == {"type": "error", "errorText": "openai-compatible answered 529: model overloaded"}


def test_a_model_that_never_stops_calling_tools_finishes_for_tool_calls(
    api: httpx.Client, scripted: ScriptedModels
) -> None:
    scripted.never_answer = True
    streamed = api.post(
        "/api/v1/chat",
        params={"stream": "true"},
        json={"model": "local-llama", "messages": [{"role": "user", "content": "x"}]},
    )
    chunks = [json.loads(b[6:]) for b in streamed.text.split("\n\n") if b.strip() and b != "data: [DONE]"]
    assert [c["type"] for c in chunks].count("tool-input-available") == MAX_STEPS
    assert (chunks[-1]["type"], chunks[-1]["finishReason"]) == ("finish", "tool-calls")


@pytest.mark.parametrize("model", ["local-llama", "claude-sonnet-4-5"])
def test_an_answer_cut_off_at_the_token_limit_finishes_for_length(
    api: httpx.Client, scripted: ScriptedModels, model: str
) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "x"}]}
    scripted.cut_short = True
    cut = api.post("/api/v1/chat", params={"stream": "true"}, json=body)
    chunks = [json.loads(b[6:]) for b in cut.text.split("\n\n") if b.strip() and b != "data: [DONE]"]
    assert (chunks[-1]["type"], chunks[-1]["finishReason"]) == ("finish", "length")
    scripted.cut_short = False
    answered = api.post("/api/v1/chat", params={"stream": "true"}, json=body)
    assert json.loads(answered.text.split("\n\n")[-3][6:])["finishReason"] == "stop"


def test_agent_context_and_system_prompt_reach_the_model(api: httpx.Client, scripted: ScriptedModels) -> None:
    agent = api.post(
        "/api/agents", json={"name": "Llama", "model": "local-llama", "system_prompt": "You watch costs."}
    ).json()
    sent = api.post(
        f"/api/agents/{agent['id']}/chat", json={"message": "Which model?", "context": {"team": "payments"}}
    )
    assert sent.status_code == 200
    assert sent.json()["content"].strip() == ANSWER
    system = scripted.requests[0]["body"]["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("You watch costs.")
    assert '"team": "payments"' in system["content"]
    override = api.post(f"/api/agents/{agent['id']}/chat", json={"message": "x", "system_prompt": "Override."})
    assert override.status_code == 200
    assert scripted.requests[-1]["body"]["messages"][0]["content"] == "Override."


def test_a_client_that_leaves_stops_the_model_call(api: httpx.Client, scripted: ScriptedModels) -> None:
    scripted.slow_seconds = 0.02
    body = {"model": "local-llama", "messages": [{"role": "user", "content": "Which model?"}]}
    with api.stream("POST", "/api/v1/chat", params={"stream": "true"}, json=body) as response:
        for line in response.iter_lines():
            if "start-step" in line:
                break  # leave while the model is still streaming
    assert scripted.aborted.wait(10), "the provider kept streaming to nobody"
