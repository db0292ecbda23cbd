"""Which agent each span of a request shows in the trajectory, decided at ingest by the
trajectory's own rule (``query.attribution.shown_agents``), so that the trace list, its
``?agent=`` filter, the session index and the assistant's agent counts (all read from the
stored ``agent_name`` column through the trace and session indexes) name the agents the
trajectory names, without a payload read per list request.

The stored ``agent_name`` column holds that decision (an agent span: the agent it starts;
a model call: the agent it belongs to; any other span: none). Trace reads never use the
column: they derive the span's own attributes again from its payload and read agents
through the rule itself, over the whole tree.

Cost: the rule reads ``SpanFacts``, and normalizing a model call (its message history) is
what reading a trace costs most. A model call's content only matters to the rule when no
agent or tool encloses the call and something may hand the conversation over (a transfer
or handoff span or tool, or a tool call named so in its output) or its kind rests on its
content; a trace's model calls are normalized only then, otherwise read from their
promoted columns (``genai.registry.promoted_facts``). Other spans are normalized.

Ingest sees one request at a time: the rule is applied to each trace's spans in that
request, and the indexes take the union over requests. A parent usually ends, and is sent,
after its children: under a root whose parent is missing, a call shows only an agent that
encloses it there (``shown_agents``). What the rule reads across requests can still be
missed: an agent adopted from a handoff recorded in another request (docs/trajectories.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

from tracechat.genai.kinds import MODEL_CALL_OPERATIONS
from tracechat.genai.messages import shared_history
from tracechat.genai.registry import normalize, promoted_facts
from tracechat.genai.types import Kind, SpanFacts
from tracechat.ingest.codec import decode_span_payload
from tracechat.query.attribution import TRANSFER, decided_by_enclosing, shown_agents
from tracechat.query.trajectory import fold_graph_nodes
from tracechat.query.tree import Node, span_tree

_TRACE, _SPAN_ID, _OPERATION, _AGENT, _RAW = 1, 2, 10, 11, 22
"""Positions in a span row (``model.records.SpanColumns`` order)."""
_LIGHT_OPERATIONS = frozenset((*MODEL_CALL_OPERATIONS, "execute_tool"))
_TRANSFER_BYTES, _HANDOFF_BYTES = b"transfer", b"handoff"
"""Bytes that any name ``query.attribution.TRANSFER`` matches, and every handoff record,
holds: a span without them hands nothing over."""


def shown_agents_of(rows: Sequence[tuple[Any, ...]]) -> list[str | None]:
    """For ``rows`` (span rows of one request), the agent each span shows in the trajectory
    of its trace's spans among them: the values of their ``agent_name`` column."""
    by_trace: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_trace[(row[0], row[_TRACE])].append(index)
    shown: dict[int, str | None] = {}
    for indexes in by_trace.values():
        agents = _shown([rows[i] for i in indexes])
        shown.update((i, agents.get(rows[i][_SPAN_ID])) for i in indexes)
    return [shown[i] for i in range(len(rows))]


def _shown(rows: list[tuple[Any, ...]]) -> dict[str, str]:
    light = {row[_SPAN_ID] for row in rows if _light(row)}
    if all(row[_AGENT] is None and row[_SPAN_ID] in light for row in rows):
        return {}  # model calls and tools that name no agent, and nothing that hands over
    with shared_history():
        with span_tree([_facts(row, content=row[_SPAN_ID] not in light) for row in rows]) as roots:
            fold_graph_nodes(roots)
            if not _content_matters(roots, light):
                return shown_agents(roots)
        with span_tree([_facts(row, content=True) for row in rows]) as roots:
            fold_graph_nodes(roots)
            return shown_agents(roots)


def _light(row: tuple[Any, ...]) -> bool:
    """A model call or a tool that hands nothing over is read from its promoted columns."""
    raw = row[_RAW]
    return row[_OPERATION] in _LIGHT_OPERATIONS and _TRANSFER_BYTES not in raw and _HANDOFF_BYTES not in raw


def _content_matters(roots: list[Node], light: set[str]) -> bool:
    """Whether a model call read without its content may show another agent with it: one
    that no agent or tool encloses, in a tree whose root arrived, and that is no model call
    by its columns alone (it recorded no usage) or may adopt an agent handed over to."""
    open_calls = [
        node
        for root in roots
        if root.facts.parent_span_id is None
        for node in (root, *root.descendants())
        if node.facts.span_id in light
        and node.facts.operation in MODEL_CALL_OPERATIONS
        and not decided_by_enclosing(node)
    ]
    if not open_calls:
        return False
    if any(node.facts.kind is not Kind.LLM for node in open_calls):
        return True
    nodes = (node for root in roots for node in (root, *root.descendants()))
    return any(node.facts.kind is Kind.HANDOFF or TRANSFER.match(node.facts.tool_name or "") for node in nodes)


class _Row(NamedTuple):
    """A span row's first fields (``model.records.SpanColumns`` order), by name."""

    project: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str | None
    operation: str | None
    agent_name: str | None
    request_model: str | None
    response_model: str | None
    provider: str | None
    tool_name: str | None
    conversation_id: str | None
    response_id: str | None
    input_tokens: int | None
    output_tokens: int | None


def _facts(row: tuple[Any, ...], *, content: bool) -> SpanFacts:
    span = _Row._make(row[: len(_Row._fields)])
    return normalize(span, decode_span_payload(row[_RAW]), [], {}) if content else promoted_facts(span)
