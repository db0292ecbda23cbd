"""Spans and log records made by the real OpenTelemetry SDK, sent by its real OTLP exporters."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode


def make_agent_spans(turns: int = 2, resource: dict[str, str] | None = None) -> list[ReadableSpan]:
    """One agent trace made with a real TracerProvider: invoke_agent → chat / execute_tool."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "test-agent", **(resource or {})}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.otel", "1.0")
    with tracer.start_as_current_span("invoke_agent weather") as agent:
        agent.set_attribute("gen_ai.operation.name", "invoke_agent")
        agent.set_attribute("gen_ai.agent.name", "weather")
        agent.set_attribute("gen_ai.conversation.id", "conv-1")
        for turn in range(turns):
            with tracer.start_as_current_span("chat gpt-4o") as chat:
                chat.set_attribute("gen_ai.operation.name", "chat")
                chat.set_attribute("gen_ai.request.model", "gpt-4o")
                chat.set_attribute("gen_ai.response.model", "gpt-4o-2024-08-06")
                chat.set_attribute("gen_ai.provider.name", "openai")
                chat.set_attribute("gen_ai.usage.input_tokens", 100 + turn)
                chat.set_attribute("gen_ai.usage.output_tokens", 10)
                chat.set_attribute(
                    "gen_ai.input.messages", '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]'
                )
                chat.set_attribute("tags", ["a", "b"])
                chat.add_event("gen_ai.choice", {"index": 0})
            with tracer.start_as_current_span("execute_tool get_weather") as tool:
                tool.set_attribute("gen_ai.operation.name", "execute_tool")
                tool.set_attribute("gen_ai.tool.name", "get_weather")
                if turn == turns - 1:
                    tool.set_status(Status(StatusCode.ERROR, "tool failed"))
    provider.shutdown()
    return list(memory.get_finished_spans())


def grpc_exporter(endpoint: str, headers: dict[str, str] | None = None) -> GrpcSpanExporter:
    return GrpcSpanExporter(endpoint=endpoint, insecure=True, headers=headers, timeout=30)


def http_exporter(base_url: str, headers: dict[str, str] | None = None, gzip: bool = False) -> HttpSpanExporter:
    from opentelemetry.exporter.otlp.proto.http import Compression

    return HttpSpanExporter(
        endpoint=f"{base_url}/v1/traces",
        headers=headers,
        timeout=30,
        compression=Compression.Gzip if gzip else Compression.NoCompression,
    )


def span_ids(spans: Sequence[ReadableSpan]) -> set[tuple[str, str]]:
    return {(format(s.context.trace_id, "032x"), format(s.context.span_id, "016x")) for s in spans}
