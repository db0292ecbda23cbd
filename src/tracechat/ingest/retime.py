"""Move recorded OTLP requests in time, keeping their ids and relative timing.

``serve --demo`` and the tests replay traces captured on one day; a time-windowed view
("the last 7 days") would hide them on any later day. Shifting every timestamp of a group of
requests by one offset makes the group end at a chosen moment, and leaves everything else
(ids, durations, the gaps between traces of one session) as it was captured.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest as PB2LogsRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest as PB2TraceRequest,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord as PB2LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PB2Span

Request = PB2TraceRequest | PB2LogsRequest


def latest_ns(requests: Iterable[Request]) -> int | None:
    """The latest moment any span ends or any log record happens in these requests."""
    moments = [moment for request in requests for moment in _moments(request) if moment]
    return max(moments) if moments else None


def shift(request: Request, offset_ns: int) -> None:
    """Move every timestamp of ``request`` by ``offset_ns`` (in place); unset (zero) stay unset."""
    if isinstance(request, PB2TraceRequest):
        for span in _spans(request):
            span.start_time_unix_nano = _moved(span.start_time_unix_nano, offset_ns)
            span.end_time_unix_nano = _moved(span.end_time_unix_nano, offset_ns)
            for event in span.events:
                event.time_unix_nano = _moved(event.time_unix_nano, offset_ns)
        return
    for record in _records(request):
        record.time_unix_nano = _moved(record.time_unix_nano, offset_ns)
        record.observed_time_unix_nano = _moved(record.observed_time_unix_nano, offset_ns)


def _moved(moment: int, offset_ns: int) -> int:
    return max(1, moment + offset_ns) if moment else 0


def _moments(request: Request) -> Iterator[int]:
    if isinstance(request, PB2TraceRequest):
        for span in _spans(request):
            yield max(span.start_time_unix_nano, span.end_time_unix_nano)
    else:
        for record in _records(request):
            yield record.time_unix_nano or record.observed_time_unix_nano


def _spans(request: PB2TraceRequest) -> Iterator[PB2Span]:
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            yield from scope_spans.spans


def _records(request: PB2LogsRequest) -> Iterator[PB2LogRecord]:
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            yield from scope_logs.log_records
