"""What the trajectory unit tests build their model calls from: GenAI semantic-convention
messages and the attributes of one ``chat`` span recording them."""

from __future__ import annotations

from tests.traces import as_json

U1 = {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
A1 = {"role": "assistant", "parts": [{"type": "text", "content": "18C in Paris."}]}


def chat(inputs: list[object], outputs: list[object], **extra: object) -> dict[str, object]:
    """A ``chat gpt-4o`` model call's attributes: its input and output messages, and ``extra``."""
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.input.messages": as_json(inputs),
        "gen_ai.output.messages": as_json(outputs),
        **extra,
    }
