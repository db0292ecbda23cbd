"""The assistant traces its own turns with the OpenTelemetry SDK under the GenAI semantic
conventions, and the spans enter the store through the same receiver as any client's:
encoded as an OTLP request and handed to ``Receiver.export_as``. So a turn reads back with
``POST /agents/traces/chat`` like any agent's.

Spans are parented explicitly (no "current span"): a streaming turn resumes on whichever
thread serves the next chunk.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from tracechat.auth.keys import Principal, analyst_project
from tracechat.errors import TracechatError
from tracechat.ingest.otlp import Encoding, Signal
from tracechat.ingest.receiver import Receiver

SERVICE_NAME = "tracechat-assistant"
MAX_PROVIDERS = 256


class ReceiverExporter(SpanExporter):
    """An OTLP exporter whose wire is a function call into our own receiver, as a key of
    the project the spans belong to."""

    def __init__(self, receiver: Receiver, project: str) -> None:
        self._receiver = receiver
        self._as = Principal(key_id=None, project=project, admin=False)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        body = encode_spans(spans).SerializeToString()
        try:
            self._receiver.export_as(self._as, Signal.TRACES, body, Encoding.PROTOBUF, "self")
        except TracechatError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


class SelfTracer:
    """Tracers per project, exporting into the project's analyst project (``analyst_project``).

    At most ``max_projects`` providers are kept (the most recently used; each holds ~3 KB):
    one dropped is not shut down, since its exporter is a plain call that needs no flushing,
    so a turn still holding its tracer finishes tracing as usual."""

    def __init__(self, receiver: Receiver, max_projects: int = MAX_PROVIDERS) -> None:
        self._receiver = receiver
        self._max = max_projects
        self._providers: OrderedDict[str, TracerProvider] = OrderedDict()
        self._lock = threading.Lock()
        self._base: Resource | None = None

    @property
    def provider_count(self) -> int:
        return len(self._providers)

    def tracer(self, project: str) -> trace.Tracer:
        with self._lock:
            provider = self._providers.get(project)
            if provider is None:
                traced_in = analyst_project(project)
                if self._base is None:  # detected once: detection scans installed packages
                    self._base = Resource.create({"service.name": SERVICE_NAME})
                resource = self._base.merge(Resource({"tracechat.project": traced_in}))
                provider = TracerProvider(resource=resource)
                provider.add_span_processor(SimpleSpanProcessor(ReceiverExporter(self._receiver, traced_in)))
                self._providers[project] = provider
                while len(self._providers) > self._max:
                    self._providers.popitem(last=False)
            else:
                self._providers.move_to_end(project)
        return provider.get_tracer("tracechat.chat")

    def shutdown(self) -> None:
        with self._lock:
            for provider in self._providers.values():
                provider.shutdown()
            self._providers.clear()


def child(tracer: trace.Tracer, parent: Span, name: str, kind: SpanKind = SpanKind.INTERNAL) -> Span:
    return tracer.start_span(name, context=trace.set_span_in_context(parent), kind=kind)


def trace_id_of(span: Span) -> str:
    return format(span.get_span_context().trace_id, "032x")


def fail(span: Span, error: BaseException) -> None:
    span.set_status(Status(StatusCode.ERROR, str(error)))
    span.record_exception(error)


def otel_messages(messages: list[dict[str, Any]]) -> str:
    """OpenAI-shaped messages as ``gen_ai.input.messages`` / ``output.messages`` JSON (parts)."""
    converted = []
    for message in messages:
        parts: list[dict[str, Any]] = []
        if message.get("role") == "tool":
            parts.append(
                {"type": "tool_call_response", "id": message.get("tool_call_id"), "response": message.get("content")}
            )
        elif message.get("content"):
            parts.append({"type": "text", "content": message["content"]})
        for call in message.get("tool_calls") or ():
            parts.append(
                {
                    "type": "tool_call",
                    "id": call["id"],
                    "name": call["function"]["name"],
                    "arguments": call["function"]["arguments"],
                }
            )
        converted.append({"role": message.get("role"), "parts": parts})
    return json.dumps(converted, ensure_ascii=False)
