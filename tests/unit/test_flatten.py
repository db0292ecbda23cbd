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


def test_a_tool_whose_recorded_result_says_it_failed_is_stored_failed_for_the_results_text() -> None:
    """AgentScope catches a tool's exception, ends its span OK and records the exception's
    text as a ``ToolResponse`` of ``state: error``: stored failed, for that text (so the
    list's ``has_error`` and the error groups count it, as the trajectory shows it). MCP's
    ``isError``, LangChain's ``ToolMessage`` ``status``, a structured (OTLP map) result and a
    JSON-encoded one say so too; a success, a flag that is false, a plain text that mentions
    an error, a failed result without a text of its own (stored failed, no reason) and a
    model call whose history holds the failed result are read as they are."""
    trace = TraceBuilder()
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}
    block = {"type": "text", "text": "weather service down", "id": "b1", "created_at": "2026-12-03T14:22:50"}

    def ran(result: Any, *, status: int = 1) -> None:
        trace.span("execute_tool get_weather", {**tool, "gen_ai.tool.call.result": result}, start_ms=len(trace.spans))
        trace.spans[-1].status.code = status

    failed = {"content": [block], "state": "error", "metadata": {}, "id": "c1"}
    ran(json.dumps(failed))
    ran(json.dumps(failed), status=0)  # UNSET
    ran(json.dumps({**failed, "state": "success"}))
    ran(json.dumps({"content": [{"type": "text", "text": "no such city"}], "isError": True}))
    ran(json.dumps({"content": [{"type": "text", "text": "18C"}], "isError": False}))
    ran(json.dumps({"type": "tool", "data": {"content": "timed out", "status": "error", "tool_call_id": "c1"}}))
    ran(failed)  # structured: an OTLP map, no JSON text in the span
    ran(json.dumps(json.dumps(failed)))  # a JSON-encoded string of the JSON text
    ran("error: weather service down")  # not JSON: the tool's own text, whatever it says
    ran(json.dumps({"state": "error", "content": []}))  # failed, with no text to say why
    history = [{"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": failed}]}]
    trace.span("chat gpt-4o", {"gen_ai.operation.name": "chat", "gen_ai.input.messages": json.dumps(history)})
    trace.spans[-1].status.code = 1
    assert _statuses(trace) == [
        (2, "weather service down"),
        (2, "weather service down"),
        (1, None),
        (2, "no such city"),
        (1, None),
        (2, "timed out"),
        (2, "weather service down"),
        (2, "weather service down"),
        (1, None),
        (2, None),
        (1, None),
    ]
    # a trace read derives the same status again from the payload
    _, raws = _stored(trace)
    assert span_fields(Span.FromString(raws[0]))[6:8] == (2, "weather service down")


def test_a_failed_result_after_a_handled_exception_is_stored_failed_for_the_result() -> None:
    """A span that recorded an exception and returned a result that says the tool failed:
    the result is why (the exception was caught and turned into it)."""
    trace = TraceBuilder()
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}
    result = json.dumps({"content": [{"type": "text", "text": "unavailable for Paris"}], "state": "error"})
    exception = [("exception", {"exception.type": "RuntimeError", "exception.message": "unavailable"})]
    trace.span("execute_tool get_weather", {**tool, "gen_ai.tool.call.result": result}, events=exception)
    trace.spans[-1].status.code = 1
    assert _statuses(trace) == [(2, "unavailable for Paris")]


def test_a_tool_that_returned_its_failure_as_its_answer_is_stored_failed_for_that_text() -> None:
    """A result object with an ``error`` text (or an ``error`` object's ``message``) is the
    tool saying it failed (Langtrace's hand-written loop returns ``{"city", "error"}``);
    an empty or null ``error`` says nothing failed."""
    trace = TraceBuilder()
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"}
    for result in (
        {"city": "Paris", "error": "weather service unavailable"},
        {"error": {"message": "no such city", "code": 404}},
        {"city": "Paris", "error": ""},
        {"city": "Paris", "error": None, "temperature": 18},
    ):
        trace.span("execute_tool get_weather", {**tool, "gen_ai.tool.call.result": json.dumps(result)})
        trace.spans[-1].status.code = 1
    assert _statuses(trace) == [(2, "weather service unavailable"), (2, "no such city"), (1, None), (1, None)]
