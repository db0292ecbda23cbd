"""Flattening spans into columns (ingest.flatten): the columns a failed span is stored with."""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.traces import TraceBuilder
from tracechat.ingest.flatten import flatten_traces


def _stored(trace: TraceBuilder) -> tuple[list[str | None], list[bytes]]:
    """The status messages and payloads the batch would store, in span order."""
    spans = flatten_traces(trace.trace_request(), lambda resource: "p").batch.spans
    return spans.status_message, spans.raw


def _failed_tool(trace: TraceBuilder, exception: dict[str, Any], *, start_ms: int) -> str:
    attributes = {"gen_ai.operation.name": "execute_tool"}
    return trace.span("execute_tool t", attributes, start_ms=start_ms, error=True, events=[("exception", exception)])


def test_a_failed_span_whose_status_says_nothing_is_stored_with_the_exception_it_recorded() -> None:
    """pydantic-ai v6: status ERROR with no description, the reason in the ``exception`` event."""
    trace = TraceBuilder()
    _failed_tool(trace, {"exception.type": "ModelRetry", "exception.message": " no answer for Paris "}, start_ms=0)
    _failed_tool(trace, {"exception.type": "TimeoutError", "exception.message": "  "}, start_ms=10)
    trace.span("execute_tool bare", {"gen_ai.operation.name": "execute_tool"}, start_ms=20, error=True)
    _failed_tool(trace, {"exception.message": "not this"}, start_ms=30)
    trace.spans[-1].status.message = "upstream timed out"
    trace.span("fine", start_ms=40, events=[("exception", {"exception.message": "caught and handled"})])
    messages, raws = _stored(trace)
    assert messages == ["no answer for Paris", "TimeoutError", None, "upstream timed out", None]
    # the payload keeps the status as the span sent it
    assert [Span.FromString(raw).status.message for raw in raws] == ["", "", "", "upstream timed out", ""]


def test_only_an_exception_event_gives_the_reason() -> None:
    trace = TraceBuilder()
    trace.span("t", start_ms=0, error=True, events=[("log", {"exception.message": "not an exception event"})])
    trace.span("u", start_ms=10, error=True, events=[("log", {}), ("exception", {"exception.type": "KeyError"})])
    messages, _ = _stored(trace)
    assert messages == [None, "KeyError"]
