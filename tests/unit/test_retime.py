"""Moving captured requests in time: the latest moment lands where asked, and nothing but the
clock readings changes (ids, durations, the gaps between spans and between requests)."""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.samples import SAMPLES
from tracechat.ingest import retime
from tracechat.ingest.loader import decode_request, find_request_files

CASE = SAMPLES / "otel-openai-v2-events"  # spans and log records, in four requests
END = 2_000_000_000_000_000_000


def _clock_readings(requests: list[retime.Request]) -> list[tuple[bytes, int, int]]:
    """(id, start, end) of every span and (b"", time, observed time) of every log record."""
    readings = []
    for request in requests:
        if isinstance(request, ExportTraceServiceRequest):
            for rs in request.resource_spans:
                for ss in rs.scope_spans:
                    readings += [(s.span_id, s.start_time_unix_nano, s.end_time_unix_nano) for s in ss.spans]
        else:
            for rl in request.resource_logs:
                for sl in rl.scope_logs:
                    readings += [(b"", r.time_unix_nano, r.observed_time_unix_nano) for r in sl.log_records]
    return readings


def test_a_group_of_requests_moves_together_to_end_at_the_moment_asked() -> None:
    files = list(find_request_files([CASE / "requests"]))
    before = [decode_request(f) for f in files]
    after = [decode_request(f) for f in files]
    assert any(isinstance(r, ExportLogsServiceRequest) for r in before)
    latest = retime.latest_ns(before)
    assert latest is not None
    offset = END - latest
    for request in after:
        retime.shift(request, offset)
    assert retime.latest_ns(after) == END
    old, new = _clock_readings(before), _clock_readings(after)
    assert len(old) == len(new) > 4
    for (old_id, old_start, old_end), (new_id, new_start, new_end) in zip(old, new, strict=True):
        assert new_id == old_id
        assert new_start == (old_start + offset if old_start else 0)
        assert new_end == (old_end + offset if old_end else 0)


def test_unset_times_stay_unset() -> None:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add(start_time_unix_nano=5, end_time_unix_nano=0)
    span.events.add(name="e", time_unix_nano=0)
    retime.shift(request, 100)
    assert (span.start_time_unix_nano, span.end_time_unix_nano, span.events[0].time_unix_nano) == (105, 0, 0)
    assert retime.latest_ns([ExportTraceServiceRequest()]) is None
