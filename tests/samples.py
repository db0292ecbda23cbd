"""The captured sample traces, and a clock that tests of time-windowed views run under twice:
today, and thirty days from now (as if the suite ran a month after the samples were taken)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tracechat.ingest.loader import LoadSummary, decode_request, find_request_files, load_paths_in_process
from tracechat.ingest.receiver import Receiver

SAMPLES = Path(__file__).resolve().parents[1] / "sample_traces"
ALL_TIME = "1970-01-01T00:00:00Z"
"""A ``since`` that lists everything: the list's default window is the last 7 days."""


def load_recent_samples(receiver: Receiver) -> LoadSummary:
    """Every sample, moved in time to end now (as ``serve --demo`` loads them)."""
    return load_paths_in_process(receiver, [SAMPLES], end_at_ns=time.time_ns())


@pytest.fixture(params=[0, 30], ids=["today", "in-30-days"])
def clock(request: pytest.FixtureRequest) -> Iterator[datetime]:
    """The wall clock of this process (server threads included), moved ahead by the
    parameter's days and ticking from there. Yields the moment it starts at.

    Ask for it after the servers have started: gRPC's server start waits on a deadline taken
    from the wall clock by a C core that keeps the real one."""
    start = datetime.now(UTC) + timedelta(days=request.param)
    if not request.param:
        yield start
        return
    with time_machine.travel(start, tick=True):
        yield start


def sample_trace_count() -> int:
    """How many traces the samples hold (some cases hold several)."""
    ids: set[bytes] = set()
    for file in find_request_files([SAMPLES]):
        request = decode_request(file)
        if isinstance(request, ExportTraceServiceRequest):
            ids.update(s.trace_id for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans)
    return len(ids)
