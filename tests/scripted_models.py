"""A scripted model server on 127.0.0.1 speaking OpenAI Chat Completions and Anthropic
Messages streams: asked a question, it calls ``token_usage``; given the result, it answers
with reasoning first. It records what it was sent."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER = "The model that spends the most is gpt-4o-mini."
REASONING = "The tool result lists usage by model."


class ScriptedModels:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_with: int | None = None
        self.slow_seconds = 0.0  # > 0: stream chunk by chunk, this long apart
        self.never_answer = False  # call token_usage again and again
        self.cut_short = False  # the answer stops at its token limit
        self.aborted = threading.Event()  # set when a slow stream's reader went away
        handler = self._handler()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        models = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                models.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if models.fail_with:
                    self._send(models.fail_with, b'{"error": {"message": "model overloaded"}}', "application/json")
                    return
                answering = _answering(body) and not models.never_answer
                speak = _openai if self.path.endswith("/chat/completions") else _anthropic
                chunks = speak(body, answering, models.cut_short)
                if models.slow_seconds:
                    self._trickle(chunks)
                else:
                    self._send(200, b"".join(chunks), "text/event-stream")

            def _trickle(self, chunks: Iterator[bytes]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for chunk in [*chunks] * 50:  # long enough to be cut off
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        time.sleep(models.slow_seconds)
                except (BrokenPipeError, ConnectionResetError):
                    models.aborted.set()

            def _send(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def _answering(body: dict[str, Any]) -> bool:
    last = body["messages"][-1]
    if last["role"] == "tool":
        return True
    content = last.get("content")
    return isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)


def _data(payload: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n".encode()


def _openai(body: dict[str, Any], answering: bool, cut_short: bool) -> Iterator[bytes]:
    model = body["model"]
    if not answering:
        call = {
            "index": 0,
            "id": "call_scripted",
            "type": "function",
            "function": {"name": "token_usage", "arguments": ""},
        }
        yield _data({"model": model, "choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
        for piece in ('{"group_', 'by": "model"}'):
            yield _data(
                {
                    "model": model,
                    "choices": [
                        {"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}}
                    ],
                }
            )
    else:
        yield _data({"model": model, "choices": [{"index": 0, "delta": {"reasoning_content": REASONING}}]})
        for word in ANSWER.split(" "):
            yield _data({"model": model, "choices": [{"index": 0, "delta": {"content": word + " "}}]})
    stop = "tool_calls" if not answering else "length" if cut_short else "stop"
    yield _data({"model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": stop}]})
    yield _data(
        {
            "model": model,
            "choices": [],
            "usage": {"prompt_tokens": 120, "completion_tokens": 30, "prompt_tokens_details": {"cached_tokens": 100}},
        }
    )
    yield b"data: [DONE]\n\n"


def _anthropic(body: dict[str, Any], answering: bool, cut_short: bool) -> Iterator[bytes]:
    usage = {"input_tokens": 120, "cache_creation_input_tokens": 7, "cache_read_input_tokens": 3}
    yield _data({"type": "message_start", "message": {"model": body["model"], "usage": usage}}, "message_start")
    if not answering:
        block = {"type": "tool_use", "id": "toolu_scripted", "name": "token_usage", "input": {}}
        yield _data({"type": "content_block_start", "index": 0, "content_block": block}, "content_block_start")
        for piece in ('{"group_', 'by": "model"}'):
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield _data({"type": "content_block_delta", "index": 0, "delta": delta}, "content_block_delta")
    else:
        yield _data(
            {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking"}}, "content_block_start"
        )
        yield _data(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": REASONING}},
            "content_block_delta",
        )
        yield _data(
            {"type": "content_block_start", "index": 1, "content_block": {"type": "text"}}, "content_block_start"
        )
        yield _data(
            {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": ANSWER}},
            "content_block_delta",
        )
    stop = "tool_use" if not answering else "max_tokens" if cut_short else "end_turn"
    yield _data(
        {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": 30}}, "message_delta"
    )
    yield _data({"type": "message_stop"}, "message_stop")
