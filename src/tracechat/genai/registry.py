"""Stored spans → ``SpanFacts``: the promoted columns first (they already encode each
field's precedence across conventions), then every convention in order, first value wins."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tracechat.genai.conventions import (
    anthropic_sdk,
    genkit,
    google_adk,
    haystack,
    langfuse,
    langsmith,
    mlflow,
    openai_agents,
    openinference,
    openllmetry,
    otel_events,
    otel_genai,
    pydantic_ai,
    recorded_io,
    request_events,
    vercel,
    voltagent,
    weave,
)
from tracechat.genai.kinds import classify
from tracechat.genai.types import SpanFacts
from tracechat.model.span import Attributes, LogPayload, SpanEvent, SpanPayload


@dataclass(frozen=True, slots=True)
class Convention:
    """One convention's reader and what it reads: it runs on a span that carries an attribute
    key starting with one of ``prefixes`` (None: on every span), or that has span events
    (``events``) or log records (``logs``). A span that carries none of its keys is not
    its to read, and running it anyway cost a sixth of a trajectory read."""

    extract: Callable[[SpanFacts], None]
    prefixes: tuple[str, ...] | None = None
    events: bool = False
    logs: bool = False


CONVENTIONS: tuple[Convention, ...] = (
    Convention(weave.extract, weave.PREFIXES),  # explicit overrides written by Weave's own plugins
    Convention(otel_genai.extract, ("gen_ai.",), events=True),
    Convention(otel_events.extract, (), events=True, logs=True),
    Convention(openinference.extract, openinference.PREFIXES),
    Convention(openllmetry.extract, openllmetry.PREFIXES),
    Convention(vercel.extract, vercel.PREFIXES),
    # before pydantic_ai: a response span's recorded response says which of Logfire's
    # ``events`` is the reply; reads spans by their names too
    Convention(openai_agents.extract),
    Convention(
        pydantic_ai.extract,
        ("gen_ai.usage.details.reasoning_tokens", "tool_arguments", "tool_response", "final_result", "events"),
    ),
    Convention(google_adk.extract, ("gcp.vertex.agent.", "gen_ai.compaction.event_count")),
    Convention(anthropic_sdk.extract, ("anthropic.",)),
    Convention(mlflow.extract, ("mlflow.spanType",)),
    Convention(genkit.extract, ("genkit:type",)),
    Convention(langfuse.extract, ("langfuse.observation.type",)),
    Convention(voltagent.extract, ("entity.type",)),
    Convention(langsmith.extract, ("langsmith.span.kind",)),
    Convention(haystack.extract, haystack.PREFIXES),
    Convention(request_events.extract, (), events=True),  # a framework's own event of a model request
    Convention(recorded_io.extract),  # last: a span's input and output under any prefix
)
"""In precedence order. Each reads only its own keys, so the order matters only where two
conventions describe the same field on one span (e.g. OpenLLMetry's migrated packages).
A convention that gives up on a span without some key says so in its ``prefixes``; a
reading added outside them is never run (``tests/unit/test_convention_gates.py`` runs every
sample both ways)."""

_GATES = "conventions"


def _gated(keys: tuple[str, ...]) -> tuple[tuple[Callable[[SpanFacts], None], bool, bool, bool], ...]:
    """For spans with these attribute keys, each convention that may read them: its reader,
    whether the keys alone let it run, and whether events or logs would."""
    found = []
    for convention in CONVENTIONS:
        by_keys = convention.prefixes is None or any(key.startswith(convention.prefixes) for key in keys)
        if by_keys or convention.events or convention.logs:
            found.append((convention.extract, by_keys, convention.events, convention.logs))
    return tuple(found)


def _read_conventions(facts: SpanFacts) -> None:
    for extract, by_keys, events, with_logs in facts.about_keys(_GATES, _gated):
        if by_keys or (events and facts.events) or (with_logs and facts.logs):
            extract(facts)


def normalize(span: SpanColumns, payload: SpanPayload, logs: list[LogPayload], resource: Attributes) -> SpanFacts:
    facts = _promoted(span, payload.attributes, payload.events, logs, resource)
    _read_conventions(facts)
    return _classified(facts)


class SpanColumns(Protocol):
    """What ``normalize`` reads of a stored span besides its payload: its own fields and
    promoted columns (a ``StoredSpan``, or the row ingest is about to store). Its status is
    the one ingest stores (``ingest.flatten.span_status``): ``status_message`` is why a failed
    span failed, its exception's message where its status has none, and a span that recorded
    an exception and returned nothing, or a tool's span whose result says the tool failed,
    is failed whatever status it was sent with; normalizing keeps it."""

    @property
    def span_id(self) -> str: ...
    @property
    def parent_span_id(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def start_ns(self) -> int: ...
    @property
    def end_ns(self) -> int: ...
    @property
    def status_code(self) -> int: ...
    @property
    def status_message(self) -> str | None: ...
    @property
    def operation(self) -> str | None: ...
    @property
    def agent_name(self) -> str | None: ...
    @property
    def request_model(self) -> str | None: ...
    @property
    def response_model(self) -> str | None: ...
    @property
    def response_id(self) -> str | None: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def tool_name(self) -> str | None: ...
    @property
    def input_tokens(self) -> int | None: ...
    @property
    def output_tokens(self) -> int | None: ...


def promoted_facts(span: SpanColumns) -> SpanFacts:
    """What the span's own fields and promoted columns say, classified, without reading its
    payload (no convention runs): what ingest reads of a model call whose content cannot
    change which agent it shows (``ingest.agents``)."""
    return _classified(_promoted(span, {}, (), [], {}))


def _classified(facts: SpanFacts) -> SpanFacts:
    facts.kind = classify(facts)
    if facts.tool_name is None and facts.kind.value == "tool":
        facts.tool_name = _tool_name_from_span_name(facts.name)
    return facts


def _promoted(
    span: SpanColumns,
    attributes: Attributes,
    events: tuple[SpanEvent, ...],
    logs: list[LogPayload],
    resource: Attributes,
) -> SpanFacts:
    return SpanFacts(
        span_id=span.span_id,
        parent_span_id=span.parent_span_id,
        name=span.name,
        start_ns=span.start_ns,
        end_ns=span.end_ns,
        status_code=span.status_code,
        status_message=span.status_message,
        attributes=attributes,
        events=events,
        logs=logs,
        resource=resource,
        operation=span.operation,
        agent_name=span.agent_name,
        request_model=span.request_model,
        response_model=span.response_model,
        response_id=span.response_id,
        provider=span.provider,
        tool_name=span.tool_name,
        input_tokens=span.input_tokens,
        output_tokens=span.output_tokens,
    )


_METHOD_OF = re.compile(
    r"^(?P<tool>[A-Za-z_][\w-]*)\.(?:__call__|__acall__|run|arun|invoke|ainvoke|call|acall|forward)$"
)
"""``get_weather.__call__``: a tool span named after the method its tool object ran (DSPy)."""


def _tool_name_from_span_name(name: str) -> str:
    for prefix in ("execute_tool ", "running tool ", "Function: "):
        if name.startswith(prefix):
            return name[len(prefix) :].strip() or name
    method_of = _METHOD_OF.match(name)
    return method_of["tool"] if method_of else name


def normalize_logs(span_id: str | None, logs: list[LogPayload]) -> SpanFacts:
    """What log records linked to one span say by themselves, without the span (the search
    indexer reads them as they are committed, often in another commit than their span)."""
    facts = SpanFacts(
        span_id=span_id or "",
        parent_span_id=None,
        name="",
        start_ns=0,
        end_ns=0,
        status_code=0,
        status_message=None,
        attributes={},
        events=(),
        logs=logs,
        resource={},
    )
    _read_conventions(facts)
    return facts
