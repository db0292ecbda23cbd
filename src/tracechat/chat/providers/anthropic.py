"""Anthropic's Messages API, streamed (API version 2023-06-01): text, thinking and tool_use
blocks (input assembled from ``input_json_delta``), usage including cache tokens. The loop's
OpenAI-shaped conversation is translated here: system apart, tool calls as ``tool_use``
blocks, tool results as ``tool_result`` blocks in a user turn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tracechat import pricing
from tracechat.chat.models import (
    FinishReason,
    ModelEvent,
    ModelRequest,
    ReasoningDelta,
    Stopped,
    TextDelta,
    ToolCallRequest,
    Usage,
)
from tracechat.chat.providers.sse import ProviderError, post_events

API_VERSION = "2023-06-01"
MAX_TOKENS = 4096


class Anthropic:
    provider = "anthropic"

    def __init__(
        self, name: str, api_key: str, base_url: str = "https://api.anthropic.com", timeout: float = 120.0
    ) -> None:
        self.name = name
        self._url = base_url.rstrip("/") + "/v1/messages"
        self._headers = {"x-api-key": api_key, "anthropic-version": API_VERSION}
        self._timeout = timeout

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        system, messages = to_anthropic(request.messages)
        body: dict[str, Any] = {"model": self.name, "max_tokens": MAX_TOKENS, "messages": messages, "stream": True}
        if system:
            body["system"] = system
        if request.tools:
            body["tools"] = [
                {
                    "name": t["function"]["name"],
                    "description": t["function"].get("description", ""),
                    "input_schema": t["function"].get("parameters", {"type": "object"}),
                }
                for t in request.tools
            ]
        blocks: dict[int, dict[str, Any]] = {}
        usage = Usage(model=self.name, api_calls_count=1)
        for name, data in post_events(self._url, body, self._headers, self._timeout, self.provider):
            yield from _event(name or data.get("type"), data, blocks, usage)
        for index in sorted(blocks):
            block = blocks[index]
            if block["type"] == "tool_use":
                yield ToolCallRequest(block["id"], block["name"], "".join(block["input"]) or "{}")
        usage.cost = pricing.cost(self.provider, usage.model, usage.input_tokens, usage.output_tokens) or 0.0
        yield usage


def _event(
    kind: str | None, data: dict[str, Any], blocks: dict[int, dict[str, Any]], usage: Usage
) -> Iterator[ModelEvent]:
    if kind == "error":
        raise ProviderError(f"anthropic: {data.get('error', {}).get('message', data)}")
    if kind == "message_start":
        message = data.get("message", {})
        usage.model = message.get("model") or usage.model
        reported = message.get("usage", {})
        usage.input_tokens = int(reported.get("input_tokens") or 0)
        usage.cache_creation_input_tokens = int(reported.get("cache_creation_input_tokens") or 0)
        usage.cache_read_input_tokens = int(reported.get("cache_read_input_tokens") or 0)
    elif kind == "content_block_start":
        block = data.get("content_block", {})
        blocks[int(data.get("index", 0))] = {
            "type": block.get("type"),
            "id": block.get("id", ""),
            "name": block.get("name", ""),
            "input": [],
        }
    elif kind == "content_block_delta":
        delta = data.get("delta", {})
        if delta.get("type") == "text_delta":
            yield TextDelta(delta.get("text", ""))
        elif delta.get("type") == "thinking_delta":
            yield ReasoningDelta(delta.get("thinking", ""))
        elif delta.get("type") == "input_json_delta":
            blocks.setdefault(int(data.get("index", 0)), {"type": "tool_use", "id": "", "name": "", "input": []})
            blocks[int(data.get("index", 0))]["input"].append(delta.get("partial_json", ""))
    elif kind == "message_delta":
        usage.output_tokens = int(data.get("usage", {}).get("output_tokens") or usage.output_tokens)
        stop = data.get("delta", {}).get("stop_reason")
        if stop:
            yield Stopped(_REASONS.get(stop, "other"))


_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool-calls",
    "refusal": "content-filter",
}


def to_anthropic(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    system = "\n\n".join(str(m["content"]) for m in messages if m["role"] == "system" and m.get("content"))
    converted: list[dict[str, Any]] = []
    for message in messages:
        role = message["role"]
        if role == "system":
            continue
        if role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id"),
                "content": message.get("content") or "",
            }
            if converted and converted[-1]["role"] == "user" and isinstance(converted[-1]["content"], list):
                converted[-1]["content"].append(block)
            else:
                converted.append({"role": "user", "content": [block]})
        elif role == "assistant":
            content: list[dict[str, Any]] = []
            if message.get("content"):
                content.append({"type": "text", "text": message["content"]})
            for call in message.get("tool_calls") or ():
                try:
                    arguments = json.loads(call["function"]["arguments"] or "{}")
                except ValueError:
                    arguments = {}
                content.append(
                    {"type": "tool_use", "id": call["id"], "name": call["function"]["name"], "input": arguments}
                )
            converted.append({"role": "assistant", "content": content or ""})
        else:
            converted.append({"role": "user", "content": message.get("content") or ""})
    return system, converted
