"""Realistic GenAI agent traces as OTLP requests, for the benchmarks.

Each trace is one agent run: ``invoke_agent`` → turns of ``chat`` (whose
``gen_ai.input.messages`` repeats the whole history so far, as every instrumentation
does) and ``execute_tool``. Message text is varied so compression is not flattered.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

_VOCABULARY = """agent tool weather forecast city temperature search result document query answer model token
context plan step retry error latency user assistant summary report value table row column
invoice order customer refund policy shipping address payment status pending approved"""
WORDS = tuple(_VOCABULARY.split())


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _kv(key: str, value: str | int) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def agent_trace(rng: random.Random, turns: int, message_words: int, start_ns: int) -> list[Span]:
    """One trace: 1 agent span + ``turns`` × (chat + tool) + a final chat."""
    trace_id = rng.randbytes(16)
    root_id = rng.randbytes(8)
    history: list[dict[str, object]] = [
        {"role": "user", "parts": [{"type": "text", "content": _text(rng, message_words)}]}
    ]
    spans: list[Span] = []
    clock = start_ns
    for turn in range(turns + 1):
        final = turn == turns
        reply_text = _text(rng, message_words)
        call_id = f"call_{rng.getrandbits(48):x}"
        output: dict[str, object] = {"role": "assistant", "finish_reason": "stop" if final else "tool_call"}
        output["parts"] = (
            [{"type": "text", "content": reply_text}]
            if final
            else [{"type": "tool_call", "id": call_id, "name": "search", "arguments": {"q": _text(rng, 6)}}]
        )
        chat = Span(
            trace_id=trace_id,
            span_id=rng.randbytes(8),
            parent_span_id=root_id,
            name="chat gpt-4o",
            kind=Span.SPAN_KIND_CLIENT,
            start_time_unix_nano=clock,
            end_time_unix_nano=clock + 800_000_000,
        )
        chat.attributes.extend(
            [
                _kv("gen_ai.operation.name", "chat"),
                _kv("gen_ai.provider.name", "openai"),
                _kv("gen_ai.request.model", "gpt-4o"),
                _kv("gen_ai.response.model", "gpt-4o-2024-08-06"),
                _kv("gen_ai.usage.input_tokens", 200 * (turn + 1)),
                _kv("gen_ai.usage.output_tokens", 40),
                _kv("gen_ai.response.id", "chatcmpl-" + rng.randbytes(12).hex()),  # as OpenAI's, one per call
                _kv("gen_ai.input.messages", json.dumps(history)),
                _kv("gen_ai.output.messages", json.dumps([output])),
                _kv("server.address", "api.openai.com"),
            ]
        )
        spans.append(chat)
        clock += 800_000_000
        history.append(output)
        if final:
            break
        result = _text(rng, message_words)
        tool = Span(
            trace_id=trace_id,
            span_id=rng.randbytes(8),
            parent_span_id=root_id,
            name="execute_tool search",
            kind=Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=clock,
            end_time_unix_nano=clock + 50_000_000,
        )
        tool.attributes.extend(
            [
                _kv("gen_ai.operation.name", "execute_tool"),
                _kv("gen_ai.tool.name", "search"),
                _kv("gen_ai.tool.call.id", call_id),
                _kv("gen_ai.tool.call.result", result),
            ]
        )
        spans.append(tool)
        clock += 50_000_000
        history.append({"role": "tool", "parts": [{"type": "tool_call_response", "id": call_id, "response": result}]})
    root = Span(
        trace_id=trace_id,
        span_id=root_id,
        name="invoke_agent researcher",
        start_time_unix_nano=start_ns,
        end_time_unix_nano=clock,
    )
    root.attributes.extend([_kv("gen_ai.operation.name", "invoke_agent"), _kv("gen_ai.agent.name", "researcher")])
    spans.append(root)
    return spans


def requests(
    total_spans: int, spans_per_request: int, turns: int, message_words: int, seed: int = 7
) -> Iterator[ExportTraceServiceRequest]:
    rng = random.Random(seed)
    request = _new_request()
    pending = 0
    produced = 0
    start = 1_760_000_000_000_000_000
    while produced < total_spans:
        for span in agent_trace(rng, turns, message_words, start):
            request.resource_spans[0].scope_spans[0].spans.append(span)
            pending += 1
            produced += 1
        start += 60_000_000_000
        if pending >= spans_per_request:
            yield request
            request, pending = _new_request(), 0
    if pending:
        yield request


def _new_request() -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend([_kv("service.name", "bench-agent"), _kv("service.instance.id", "i-1")])
    resource_spans.scope_spans.add().scope.name = "bench.workload"
    return request
