"""The analyst's tracer providers, one per project, are bounded: a server that has answered
for many projects keeps only the most recent ones, and a tracer whose provider was dropped
still traces its turn into the store."""

from __future__ import annotations

from opentelemetry.trace import Tracer

from tests.servers import InProcessServer
from tracechat.auth.keys import analyst_project
from tracechat.chat.selftrace import MAX_PROVIDERS


def test_providers_are_bounded_and_a_dropped_ones_tracer_still_traces(server: InProcessServer) -> None:
    selftrace = server.service.selftrace
    first = selftrace.tracer("project-0")
    for number in range(1, MAX_PROVIDERS + 50):
        selftrace.tracer(f"project-{number}")
    assert selftrace.provider_count == MAX_PROVIDERS
    span = first.start_span("turn after its provider was dropped")
    trace_id = format(span.get_span_context().trace_id, "032x")
    span.end()
    entry = server.service.store.trace(analyst_project("project-0"), trace_id)
    assert entry is not None
    assert entry.span_count == 1


def _resource(tracer: Tracer) -> object:
    resource: object = getattr(tracer, "resource")  # noqa: B009 - the SDK tracer's, one per provider
    return resource


def test_the_most_recently_used_providers_stay(server: InProcessServer) -> None:
    selftrace = server.service.selftrace
    busy = _resource(selftrace.tracer("busy"))
    once = _resource(selftrace.tracer("once-0"))
    for number in range(1, MAX_PROVIDERS * 2):
        selftrace.tracer(f"once-{number}")
        if number % 100 == 0:
            assert _resource(selftrace.tracer("busy")) is busy  # kept: used again and again
    assert selftrace.provider_count == MAX_PROVIDERS
    assert _resource(selftrace.tracer("once-0")) is not once  # dropped long ago, made anew
