"""``genai.registry`` runs a convention only on spans that carry one of its keys (or events
or logs, where it reads them): on every span of every sample, that reads exactly what
running every convention on every span reads. A reading added to a convention outside the
keys its gate names fails here as soon as a sample carries that key."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.samples import SAMPLES
from tracechat.genai import registry, types
from tracechat.genai.conventions import otel_events
from tracechat.genai.registry import Convention
from tracechat.genai.types import SpanFacts
from tracechat.ingest.codec import attributes, decode_log_payload, decode_span_payload
from tracechat.ingest.flatten import span_fields
from tracechat.ingest.loader import decode_request, find_request_files
from tracechat.model.records import SpanFields
from tracechat.model.span import LogPayload
from tracechat.model.stored import StoredSpan

_Span = tuple[StoredSpan, list[LogPayload], dict[str, object]]


def _sample_spans() -> Iterator[_Span]:
    files = [decode_request(file) for file in find_request_files([SAMPLES])]
    logs: dict[bytes, list[LogPayload]] = defaultdict(list)
    for request in files:
        if isinstance(request, ExportLogsServiceRequest):
            for resource_logs in request.resource_logs:
                for scope_logs in resource_logs.scope_logs:
                    for record in scope_logs.log_records:
                        logs[record.span_id].append(decode_log_payload(record.SerializeToString()))
    for request in files:
        if not isinstance(request, ExportTraceServiceRequest):
            continue
        for resource_spans in request.resource_spans:
            resource = attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    raw = span.SerializeToString()
                    fields = SpanFields._make(span_fields(span))
                    stored = StoredSpan("default", span.trace_id.hex(), fields, raw, b"", b"")
                    yield stored, logs.get(span.span_id, []), resource


def _read(stored: StoredSpan, logs: list[LogPayload], resource: dict[str, object]) -> SpanFacts:
    return registry.normalize(stored.fields, decode_span_payload(stored.raw), logs, resource)


def _every_convention_on_every_span(monkeypatch: pytest.MonkeyPatch) -> None:
    ungated = tuple(Convention(convention.extract) for convention in registry.CONVENTIONS)
    monkeypatch.setattr(registry, "CONVENTIONS", ungated)
    monkeypatch.setattr(types, "_KEY_ANSWERS", {})  # the gates are answered once per key list


def _gated_and_ungated(monkeypatch: pytest.MonkeyPatch, spans: list[_Span]) -> tuple[list[SpanFacts], list[SpanFacts]]:
    """``spans`` read with the conventions as they stand (their gates answered afresh), then
    with every convention run on every span."""
    monkeypatch.setattr(types, "_KEY_ANSWERS", {})
    gated = [_read(*span) for span in spans]
    with monkeypatch.context() as patch:
        _every_convention_on_every_span(patch)
        ungated = [_read(*span) for span in spans]
    return gated, ungated


def test_gated_conventions_read_every_sample_span_as_ungated_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    spans = list(_sample_spans())
    assert len(spans) > 700  # every sample, not a few
    gated, ungated = _gated_and_ungated(monkeypatch, spans)
    differ = [g.span_id for g, u in zip(gated, ungated, strict=True) if g != u]
    assert not differ, f"{len(differ)} spans read differently when every convention runs: {differ[:5]}"


def test_a_gate_that_leaves_out_what_a_convention_reads_changes_what_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above can fail: a gate that forgets the OTel event convention reads
    span events (``gen_ai.content.prompt`` and the like) reads sample spans differently."""
    spans = list(_sample_spans())
    forgetful = tuple(replace(c, events=False) if c.extract is otel_events.extract else c for c in registry.CONVENTIONS)
    monkeypatch.setattr(registry, "CONVENTIONS", forgetful)
    gated, ungated = _gated_and_ungated(monkeypatch, spans)
    assert any(g != u for g, u in zip(gated, ungated, strict=True))


def test_a_convention_runs_only_on_spans_with_its_keys_events_or_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    only = Convention(lambda facts: ran.append(facts.span_id), ("my.",), events=True)
    monkeypatch.setattr(registry, "CONVENTIONS", (only,))
    monkeypatch.setattr(types, "_KEY_ANSWERS", {})
    spans = list(_sample_spans())
    for stored, logs, resource in spans:
        _read(stored, logs, resource)
    with_events = {s.fields.span_id for s, _, _ in spans if decode_span_payload(s.raw).events}
    assert set(ran) == with_events  # no sample key starts with "my."


def test_log_records_read_alone_read_as_with_every_convention(monkeypatch: pytest.MonkeyPatch) -> None:
    """``normalize_logs`` (the search indexer's reading of log records without their span)
    goes through the same gates."""
    with_logs = [(stored.fields.span_id, logs) for stored, logs, _ in _sample_spans() if logs]
    assert with_logs
    monkeypatch.setattr(types, "_KEY_ANSWERS", {})
    gated = [registry.normalize_logs(span_id, logs) for span_id, logs in with_logs]
    with monkeypatch.context() as patch:
        _every_convention_on_every_span(patch)
        ungated = [registry.normalize_logs(span_id, logs) for span_id, logs in with_logs]
    assert gated == ungated
    assert any(facts.input_messages or facts.output_messages for facts in gated)
