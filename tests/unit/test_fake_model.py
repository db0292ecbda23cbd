"""scripts/capture/fake_openai.py, the scripted model the samples are captured with (stdlib
only, so it is read here as it is): how it reads a Chat Completions request."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.scripts import load_script

FAKE_MODEL = Path(__file__).resolve().parents[2] / "scripts" / "capture" / "fake_openai.py"
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"properties": {"city": {}}}}}


@pytest.fixture(scope="module")
def fake() -> ModuleType:
    return load_script(FAKE_MODEL, "fake_openai_model")


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
