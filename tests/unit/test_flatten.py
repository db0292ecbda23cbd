"""Flattening spans into columns (ingest.flatten): the columns a failed span is stored with."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.traces import TraceBuilder
from tracechat.ingest.flatten import flatten_traces, span_fields
from tracechat.model.records import SPAN_FIELDS, SpanColumns, SpanFields


def _stored(trace: TraceBuilder) -> tuple[list[str | None], list[bytes]]:
    """The status messages and payloads the batch would store, in span order."""
    spans = flatten_traces(trace.trace_request(), lambda resource: "p").batch.spans
    return spans.status_message, spans.raw


def _statuses(trace: TraceBuilder) -> list[tuple[int, str | None]]:
    """The status codes and messages the batch would store, in span order."""
    spans = flatten_traces(trace.trace_request(), lambda resource: "p").batch.spans
    return list(zip(spans.status_code, spans.status_message, strict=True))


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
    handled = {"gen_ai.tool.call.result": "18C"}  # an exception it handled: it returned a result
    trace.span("fine", handled, start_ms=40, events=[("exception", {"exception.message": "caught and handled"})])
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


def test_a_span_that_recorded_an_exception_and_returned_nothing_is_stored_failed_whatever_its_status() -> None:
    """LangSmith's OTel export ends a failed run's span OK, then adds the ``exception``: stored
    failed (so the list's ``has_error`` and the error analytics count it, as the trajectory
    does), for the exception's reason; a span that returned something after recording an
    exception (one it handled, by any convention's record of a result) is stored as sent."""
    trace = TraceBuilder()
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}
    exception = [("exception", {"exception.type": "Error", "exception.message": "weather service down"})]
    trace.span("get_weather", tool, start_ms=0, events=exception)
    trace.spans[-1].status.code = 1  # OK, as exported
    trace.span("get_weather", tool, start_ms=10, events=exception)  # UNSET
    trace.span("get_weather", {**tool, "gen_ai.tool.call.result": "18C"}, start_ms=20, events=exception)
    trace.spans[-1].status.code = 1
    trace.span("chat", {"gen_ai.output.messages": _reply("It is 18C.")}, start_ms=30, events=exception)
    trace.span("run", {"output.value": "done"}, start_ms=40, events=exception)  # OpenInference's output
    trace.span("get_weather", tool, start_ms=50, events=[("exception", {"exception.stacktrace": "..."})])
    trace.span("get_weather", tool, start_ms=60, events=[("retry", {"exception.message": "not an exception"})])
    assert _statuses(trace) == [
        (2, "weather service down"),
        (2, "weather service down"),
        (1, None),
        (0, None),
        (0, None),
        (0, None),  # an exception that says nothing of why: no reason to call it failed
        (0, None),
    ]


def _reply(text: str) -> str:
    return json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": text}]}])


def test_a_span_read_back_has_the_status_it_was_stored_with() -> None:
    """A trace read derives a span's columns from its payload (``span_fields``), by the same
    rule as ingest: the span view and trajectory say what the list and analytics say."""
    trace = TraceBuilder()
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}
    trace.span("get_weather", tool, events=[("exception", {"exception.message": "weather service down"})])
    trace.spans[-1].status.code = 1
    _, [raw] = _stored(trace)
    assert span_fields(Span.FromString(raw))[6:8] == (2, "weather service down")
    assert _statuses(trace) == [(2, "weather service down")]


def test_span_fields_name_their_columns_in_the_stored_order() -> None:
    """The fields a span is normalized with at ingest (flatten, the agents index) are named in
    ``SpanColumns`` order: a promoted column moved in one and not the other would read one
    field as another."""
    assert SpanFields._fields == tuple(f.name for f in dataclasses.fields(SpanColumns))[SPAN_FIELDS]
    assert len(SpanFields._fields) == len(span_fields(Span(span_id=b"\x01" * 8, trace_id=b"\x02" * 16)))
