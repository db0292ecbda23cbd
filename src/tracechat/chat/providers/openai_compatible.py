"""Any OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, Ollama, llama.cpp server),
streamed: text, ``reasoning_content`` (as DeepSeek, vLLM and llama.cpp send it), tool calls
assembled from their deltas, and usage from the final chunk (``stream_options.include_usage``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class _Call:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class OpenAICompatible:
    def __init__(
        self, name: str, base_url: str, api_key: str | None, provider: str = "openai", timeout: float = 120.0
    ) -> None:
        self.name = name
        self.provider = provider
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        body: dict[str, Any] = {
            "model": self.name,
            "messages": request.messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.tools:
            body["tools"] = request.tools
        calls: dict[int, _Call] = {}
        usage = Usage(model=self.name, api_calls_count=1)
        for _, chunk in post_events(self._url, body, self._headers, self._timeout, self.provider):
            yield from self._chunk(chunk, calls, usage)
        for index in sorted(calls):
            call = calls[index]
            yield ToolCallRequest(call.id or f"call_{index}", call.name, "".join(call.arguments) or "{}")
        usage.cost = pricing.cost(self.provider, usage.model, usage.input_tokens, usage.output_tokens) or 0.0
        yield usage

    def _chunk(self, chunk: dict[str, Any], calls: dict[int, _Call], usage: Usage) -> Iterator[ModelEvent]:
        if chunk.get("error"):
            raise ProviderError(f"{self.provider}: {chunk['error']}")
        if chunk.get("model"):
            usage.model = chunk["model"]
        if isinstance(chunk.get("usage"), dict):
            _usage(chunk["usage"], usage)
        for choice in chunk.get("choices") or ():
            if choice.get("finish_reason"):
                yield Stopped(_REASONS.get(choice["finish_reason"], "other"))
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning:
                yield ReasoningDelta(reasoning)
            if delta.get("content"):
                yield TextDelta(delta["content"])
            for part in delta.get("tool_calls") or ():
                call = calls.setdefault(int(part.get("index", 0)), _Call())
                call.id = part.get("id") or call.id
                function = part.get("function") or {}
                call.name = function.get("name") or call.name
                if function.get("arguments"):
                    call.arguments.append(function["arguments"])


_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool-calls",
    "function_call": "tool-calls",
    "content_filter": "content-filter",
}


def _usage(reported: dict[str, Any], usage: Usage) -> None:
    usage.input_tokens = int(reported.get("prompt_tokens") or 0)
    usage.output_tokens = int(reported.get("completion_tokens") or 0)
    details = reported.get("prompt_tokens_details") or {}
    usage.cache_read_input_tokens = int(details.get("cached_tokens") or 0)
