"""Trace reads for the API: one method per route, each a few steps over the store."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from tracechat import interrupts
from tracechat.errors import NotFound, TraceTooLarge
from tracechat.genai.messages import shared_history
from tracechat.genai.registry import normalize
from tracechat.genai.types import Feedback as SpanFeedback
from tracechat.genai.types import SpanFacts
from tracechat.ingest.codec import decode_log_payload, decode_resource, decode_span_payload, json_safe
from tracechat.model.names import model_family
from tracechat.model.span import Attributes, LogPayload
from tracechat.model.stored import StoredLog, StoredSpan
from tracechat.model.summaries import SpanList, SpanView, StoredFeedback, TraceFilter, TraceList, TraceSummary
from tracechat.model.times import time_of
from tracechat.model.trajectory import AgentChatTrajectory, Feedback
from tracechat.query.content import Content, ContentRefs
from tracechat.query.trajectory import build_trajectory
from tracechat.query.usage import by_agent
from tracechat.store.protocol import SpanStore

DEFAULT_MAX_SPANS = 20_000
USAGE_MAX_TRACES = 2_000
"""The most traces "tokens by agent" reads (each is read whole, as its trajectory is)."""
_PAGE = 500


class TraceQueries:
    def __init__(self, store: SpanStore, max_spans: int = DEFAULT_MAX_SPANS) -> None:
        self._store = store
        self._max_spans = max_spans

    def trajectory(self, project: str, trace_id: str, include_feedback: bool = False) -> AgentChatTrajectory:
        trajectory, facts, trace_logs = self._build(project, trace_id, ContentRefs(trace_id))
        if include_feedback:
            self._attach_feedback(project, trajectory, facts, trace_logs)
        return trajectory

    def content(self, project: str, ref: str) -> Content:
        """What ``ref`` (``{trace_id}.{span_id}.{digest}``) names, read from its span alone; the
        whole trace only if that span's own reading does not hold it."""
        missing = NotFound(f"no content {ref!r} in project {project!r}")
        trace_id, _, rest = ref.partition(".")
        span_id = rest.partition(".")[0]
        one = self._store.read_span(project, trace_id, span_id)
        if one is None or not one.spans:
            raise missing
        refs = ContentRefs(trace_id)
        facts, _ = trace_facts(one.spans, one.logs)
        build_trajectory(trace_id, facts, one.root_span_name, refs)
        if ref not in refs.found:
            try:
                self._build(project, trace_id, refs)
            except NotFound:
                raise missing from None
        found = refs.found.get(ref)
        if found is None:
            raise missing
        return found

    def spans(self, project: str, trace_id: str) -> SpanList:
        stored = self._store.read_trace(project, trace_id, self._max_spans)
        if stored is None or not stored.spans:
            raise NotFound(f"no trace {trace_id} in project {project!r}")
        facts, _ = trace_facts(stored.spans, stored.logs)
        views = [
            SpanView(
                span_id=f.span_id,
                parent_span_id=f.parent_span_id,
                name=f.name,
                kind=f.kind.value,
                start_ns=f.start_ns,
                end_ns=f.end_ns,
                status_code=f.status_code,
                status_message=f.status_message,
                attributes=json_safe(f.attributes),
                events=[
                    {"name": e.name, "time_ns": e.time_ns, "attributes": json_safe(e.attributes)} for e in f.events
                ],
                resource=json_safe(f.resource),
            )
            for f in facts
        ]
        return SpanList(trace_id=trace_id, spans=views)

    def list_traces(self, project: str, where: TraceFilter, limit: int, offset: int) -> TraceList:
        rows, total = self._store.list_traces(project, where, limit, offset)
        traces = [_summary(row) for row in rows]
        if where.text and traces:
            found = self._store.text_matches(project, where.text, [t.trace_id for t in traces])
            for summary in traces:
                summary.matches = found.get(summary.trace_id, [])
        return TraceList(traces=traces, total=total, limit=limit, offset=offset)

    def usage_by_agent(self, project: str, since_ns: int, max_traces: int = USAGE_MAX_TRACES) -> dict[str, Any]:
        """Tokens and cost by agent of the model calls that started since then (the window of
        the other usage statistics, ``store.analytics.TraceAnalytics.usage``), in the traces
        with activity since then, whenever they started (the newest ``max_traces``;
        ``complete`` says whether that was all of them), each call given to its agent by the
        trajectory's rule (``spantree.attribution``), which reads the whole trace. Traces too
        large to read (``TraceTooLarge``) are left out."""
        ids: list[str] = []
        total = 0
        while len(ids) < max_traces:
            rows, total = self._store.list_traces(project, TraceFilter(active_since_ns=since_ns), _PAGE, len(ids))
            ids.extend(row[0] for row in rows[: max_traces - len(ids)])
            if len(rows) < _PAGE:
                break
        return {"usage": by_agent(self._usage_facts(project, ids), since_ns), "complete": len(ids) >= total}

    def _usage_facts(self, project: str, trace_ids: list[str]) -> Iterator[list[SpanFacts]]:
        for trace_id in trace_ids:
            try:
                stored = self._store.read_trace(project, trace_id, self._max_spans)
            except TraceTooLarge:
                continue
            if stored is not None and stored.spans:
                yield trace_facts(stored.spans, stored.logs)[0]

    def add_feedback(self, project: str, trace_id: str, span_id: str | None, fields: dict[str, Any]) -> Feedback:
        if self._store.trace(project, trace_id) is None:
            raise NotFound(f"no trace {trace_id} in project {project!r}")
        stored = StoredFeedback(
            id=uuid.uuid4().hex,
            trace_id=trace_id,
            span_id=span_id,
            created_at=datetime.now(UTC),
            **fields,
        )
        self._store.add_feedback(project, stored)
        return _from_stored(stored)

    # -- steps -----------------------------------------------------------------------------

    def _build(
        self, project: str, trace_id: str, refs: ContentRefs
    ) -> tuple[AgentChatTrajectory, list[SpanFacts], list[LogPayload]]:
        stored = self._store.read_trace(project, trace_id, self._max_spans)
        if stored is None or not stored.spans:
            raise NotFound(f"no trace {trace_id} in project {project!r}")
        facts, trace_logs = trace_facts(stored.spans, stored.logs)
        trajectory = build_trajectory(trace_id, facts, stored.root_span_name, refs)
        return trajectory, facts, trace_logs

    def _attach_feedback(
        self, project: str, trajectory: AgentChatTrajectory, facts: list[SpanFacts], trace_logs: list[LogPayload]
    ) -> None:
        by_span: dict[str | None, list[Feedback]] = defaultdict(list)
        for stored in self._store.feedback(project, trajectory.trace_id):
            by_span[stored.span_id].append(_from_stored(stored))
        for span in facts:
            by_span[span.span_id].extend(_from_span(f, span.span_id) for f in span.feedback)
        for log in trace_logs:
            if (log.event_name or log.attributes.get("event.name")) == "gen_ai.evaluation.result":
                name = str(log.attributes.get("gen_ai.evaluation.name") or "evaluation")
                score = log.attributes.get("gen_ai.evaluation.score.value")
                score = float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None
                label = log.attributes.get("gen_ai.evaluation.score.label")
                by_span[None].append(Feedback(name=name, score=score, label=label, source="gen_ai.evaluation.result"))
        trace_level = by_span.pop(None, [])
        for message in trajectory.messages:
            if message.span_id in by_span:
                message.feedback = by_span.pop(message.span_id)
            else:
                message.feedback = []
        for leftover in by_span.values():  # feedback on spans that show no message
            trace_level.extend(leftover)
        trajectory.feedback = trace_level


def _from_stored(stored: StoredFeedback) -> Feedback:
    return Feedback(
        id=stored.id,
        name=stored.name,
        score=stored.score,
        label=stored.label,
        value=stored.value,
        comment=stored.comment,
        author=stored.author,
        span_id=stored.span_id,
        created_at=stored.created_at,
        source="api",
    )


def _from_span(feedback: SpanFeedback, span_id: str) -> Feedback:
    return Feedback(
        name=feedback.name,
        score=feedback.score,
        label=feedback.label,
        value=feedback.value,
        comment=feedback.comment,
        author=feedback.author,
        span_id=span_id,
        source=feedback.source,
    )


def _summary(row: tuple[Any, ...]) -> TraceSummary:
    trace_id, root, start_ns, duration_ns, agents, models, spans, tokens_in, tokens_out, cost, error, conv = row
    return TraceSummary(
        trace_id=trace_id,
        root_span_name=root,
        started_at=time_of(start_ns) if start_ns is not None else None,
        duration_ms=max(0, duration_ns // 1_000_000) if duration_ns is not None else None,
        agents=list(agents),
        models=list(dict.fromkeys(model_family(m) for m in models)),  # stored before names were one
        span_count=spans,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost=round(cost, 8) if cost is not None else None,
        has_error=error,
        conversation_id=conv,
    )


def trace_facts(spans: list[StoredSpan], logs: list[StoredLog]) -> tuple[list[SpanFacts], list[LogPayload]]:
    """Step 1 of the trajectory: stored spans and their logs → ``SpanFacts``, plus the logs
    that belong to no span."""
    logs_by_span: dict[str | None, list[LogPayload]] = defaultdict(list)
    for log in logs:
        logs_by_span[log.span_id].append(decode_log_payload(log.raw))
    resources: dict[bytes, Attributes] = {}
    with shared_history():
        facts = [_facts(span, resources, logs_by_span) for span in spans]
    return facts, logs_by_span.get(None, [])


def _facts(span: StoredSpan, resources: dict[bytes, Attributes], logs: dict[str | None, list[LogPayload]]) -> SpanFacts:
    interrupts.check()  # a read stopped (client gone, time up) stops here, not after the last span
    resource = resources.get(span.resource)
    if resource is None:
        resource = resources[span.resource] = decode_resource(span.resource)
    payload = span.payload or decode_span_payload(span.raw)
    return normalize(span.fields, payload, logs.get(span.fields.span_id, []), resource)
