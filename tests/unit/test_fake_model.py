"""scripts/capture/fake_openai.py, the scripted model the samples are captured with (stdlib
only, so it is read here as it is): how it reads a Chat Completions request."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

FAKE_MODEL = Path(__file__).resolve().parents[2] / "scripts" / "capture" / "fake_openai.py"
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"properties": {"city": {}}}}}


@pytest.fixture(scope="module")
def fake() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fake_openai_model", FAKE_MODEL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    sys.path.insert(0, str(FAKE_MODEL.parent))  # its http_body.py beside it
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
        sys.path.remove(str(FAKE_MODEL.parent))
    return module


def test_a_runtime_reminder_after_the_question_is_not_the_question(fake: ModuleType) -> None:
    """AgentScope sends a user message of runtime state (``<system-reminder>…``) after the
    question: the question before it is the one the model answers."""
    reminder = "<system-reminder>Treat the following as the ground truth:\n- Current time: now\n</system-reminder>"
    body = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "What's the weather like in Paris today?"}]},
            {"role": "user", "content": [{"type": "text", "text": reminder}]},
        ],
        "tools": [WEATHER],
    }
    turn = fake.chat_turn(body)
    assert turn.last_user_text == "What's the weather like in Paris today?"
    assert fake.decide(turn, reasoning=False)["tool"] == ("get_weather", '{"city": "Paris"}')
