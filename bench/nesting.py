"""What the API's nesting check (api/strict.py) costs per request body: the extra parse and
walk it does before the route parses the body itself.

    .venv/bin/python bench/nesting.py
"""

from __future__ import annotations

import timeit

import orjson

from tracechat.api.strict import _check_nesting


def _chat_body(messages: int) -> bytes:
    turns = [
        {"id": str(i), "role": "user" if i % 2 else "assistant", "parts": [{"type": "text", "text": "word " * 200}]}
        for i in range(messages)
    ]
    return orjson.dumps({"messages": turns, "trigger": "submit-message"})


BODIES = {
    "trajectory request": orjson.dumps({"project_id": "default", "trace_id": "0" * 32, "include_feedback": True}),
    "feedback": orjson.dumps({"project_id": "default", "trace_id": "0" * 32, "name": "ok", "value": {"a": [1, 2]}}),
    "chat turn, 4 messages": _chat_body(4),
    "chat turn, 40 messages": _chat_body(40),
}


def main() -> None:
    print("| body | bytes | check per request |")
    print("| --- | --- | --- |")
    for name, body in BODIES.items():
        rounds = 2000
        seconds = min(timeit.repeat(lambda body=body: _check_nesting(body), number=rounds, repeat=5)) / rounds
        print(f"| {name} | {len(body):,} | {seconds * 1e6:.1f} µs |")


if __name__ == "__main__":
    main()
