"""Which agent each span of a request shows in the trajectory, decided at ingest by the
trajectory's own rule (``spantree.attribution.shown_agents``), so that the trace list, its
``?agent=`` filter, the session index and the assistant's agent counts (all read from the
stored ``agent_name`` column through the trace and session indexes) name the agents the
trajectory names, without a payload read per list request.

The stored ``agent_name`` column holds that decision (an agent span: the agent it starts;
a model call: the agent it belongs to; any other span: none). Trace reads never use the
column: they derive the span's own attributes again from its payload and read agents
through the rule itself, over the whole tree.

Cost: where rule 1 alone decides every model call (each enclosed by a named agent or a tool,
or under a root whose parent is missing) the agents follow from parent links
(``_enclosed``), without the tree; only spans that are no model call or tool by their
columns are normalized then, and a model call that shows an agent, or a model call or tool
that encloses other spans, is searched for a handoff's target (its content would make it a
handoff, ``_may_be_handoff``: the tree reads it then). Otherwise the rule reads
``SpanFacts``, and normalizing a model call (its message history) is what reading a trace
costs most. A model call's content only matters to the rule when some call no agent or tool
encloses (in a tree whose root arrived) may take an agent by rule 3: something may hand the
conversation over (a transfer or handoff span or tool, or a tool call named so in its
output), or a call has an agent by rules 1 and 2 whose instructions a later call may send (a
call's instructions are its own or those of the calls nested in it), or the kind of an
unenclosed call rests on its content; a trace's model calls are normalized only then,
otherwise read from their promoted columns (``genai.registry.promoted_facts``, whose agent
name is read as the conventions read it). Other spans are normalized, and so is a model call
that recorded no usage (whether it is one rests on its content).

Ingest sees one request at a time: the rule is applied to each trace's spans in that
request, and the indexes take the union over requests. A parent usually ends, and is sent,
after its children: under a root whose parent is missing, a call shows only an agent that
encloses it there (``shown_agents``). What the rule reads across requests can still be
missed: an agent adopted from a handoff recorded in another request (docs/trajectories.md).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tracechat.genai.handoffs import HANDOFF_TARGET_KEYS, fewest_needles
from tracechat.genai.kinds import MODEL_CALL_OPERATIONS
from tracechat.genai.messages import shared_history
from tracechat.genai.registry import normalize, promoted_facts
from tracechat.genai.types import Kind, SpanFacts
from tracechat.ingest.codec import decode_span_payload
from tracechat.model.records import SPAN_FIELDS, SpanFields
from tracechat.model.span import STATUS_ERROR
from tracechat.spantree.attribution import TRANSFER, decided_by_enclosing, enclosing_agent, shown_agents
from tracechat.spantree.graph import fold_graph_nodes
from tracechat.spantree.tree import MAX_DEPTH, Node, span_tree

_TRACE, _SPAN_ID, _PARENT, _NAME, _START, _END, _STATUS, _OPERATION, _AGENT = 1, 2, 3, 4, 6, 7, 8, 10, 11
_RESPONSE_ID, _INPUT_TOKENS, _OUTPUT_TOKENS, _RAW = 17, 18, 19, 22
"""Positions in a span row (``model.records.SpanColumns`` order)."""
log = logging.getLogger(__name__)

_LIGHT_OPERATIONS = frozenset((*MODEL_CALL_OPERATIONS, "execute_tool"))
_TARGET_BYTES = fewest_needles(tuple(key.encode() for key in HANDOFF_TARGET_KEYS))
"""Bytes that every attribute recording a handoff's target holds (its key: the keys the
conventions read, ``genai.handoffs.HANDOFF_TARGET_KEYS``), as few as find them all: a
payload without them records no target."""
_HAND_OVER_BYTES = fewest_needles((b"transfer", b"handoff", *_TARGET_BYTES))
"""Bytes that any name ``spantree.attribution.TRANSFER`` matches, and every handoff record,
holds: a span without them hands nothing over."""
_HANDOFF_TOOL_PREFIX = "handoff to "
"""The name of an OpenInference handoff tool, whose target the name records."""


def shown_agents_of(rows: Sequence[tuple[Any, ...]]) -> list[str | None]:
    """For ``rows`` (span rows of one request), the agent each span shows in the trajectory
    of its trace's spans among them: the values of their ``agent_name`` column."""
    by_trace: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_trace[(row[0], row[_TRACE])].append(row)
    shown = {trace: _shown_or_named(trace_rows) for trace, trace_rows in by_trace.items()}
    return [shown[(row[0], row[_TRACE])].get(row[_SPAN_ID]) for row in rows]


def _shown_or_named(rows: list[tuple[Any, ...]]) -> dict[str, str]:
    """``_shown``; should reading a trace's spans fail (a reader bug meeting input no test
    had), the agents the spans name themselves: the spans are stored and acknowledged all
    the same, and the list names an agent less where the trajectory would name it."""
    try:
        return _shown(rows)
    except Exception:
        log.exception("the agents of trace %s could not be read; its spans' own agent names are kept", rows[0][_TRACE])
        return {row[_SPAN_ID]: row[_AGENT] for row in rows if row[_AGENT] is not None}


def _shown(rows: list[tuple[Any, ...]], *, shortcut: bool = True) -> dict[str, str]:
    light = [_light(row) for row in rows]
    quiet = all(row[_AGENT] is None and is_light for row, is_light in zip(rows, light, strict=True))
    if quiet and not any(_may_hand_over(row) for row in rows):
        return {}  # model calls and tools that name no agent, and nothing that hands over
    with shared_history():
        read = [None if is_light else _facts(row, content=True) for row, is_light in zip(rows, light, strict=True)]
        enclosed = _enclosed(rows, read) if shortcut else None
        if enclosed is not None:
            return enclosed
        # Rule 1 does not decide every call: a light span that may hand over is read whole.
        light = [is_light and not _may_hand_over(row) for row, is_light in zip(rows, light, strict=True)]
        facts = [f or _facts(row, content=not is_light) for row, f, is_light in zip(rows, read, light, strict=True)]
        lights = {row[_SPAN_ID] for row, is_light in zip(rows, light, strict=True) if is_light}
        with span_tree(facts) as roots:
            fold_graph_nodes(roots)
            if not _content_matters(roots, lights):
                return shown_agents(roots)
        return by_tree([_facts(row, content=True) for row in rows])


def by_tree(facts: list[SpanFacts]) -> dict[str, str]:
    """``shown_agents`` over the spans' tree, as a trace read builds it (unlinked after)."""
    with span_tree(facts) as roots:
        fold_graph_nodes(roots)
        return shown_agents(roots)


def _light(row: tuple[Any, ...]) -> bool:
    """A model call that recorded usage or failed (by its columns alone a model call, as by
    its content), or a tool, is read from its promoted columns where rule 1 decides (and, if
    it hands nothing over, ``_may_hand_over``, where it does not)."""
    operation = row[_OPERATION]
    if operation not in _LIGHT_OPERATIONS:
        return False
    unproven = row[_INPUT_TOKENS] is None and row[_OUTPUT_TOKENS] is None and row[_STATUS] != STATUS_ERROR
    return operation == "execute_tool" or not unproven  # else its content decides (genai.kinds.classify)


def _may_hand_over(row: tuple[Any, ...]) -> bool:
    """Whether a span may hand the conversation over (a transfer tool, a transfer requested in
    a model call's output, a light span recording a handoff's target, which makes it a
    handoff): searched only once rule 1 leaves a call undecided, since a chat span carries
    the whole history (about half of what the rule cost per span)."""
    raw = row[_RAW]
    return any(needle in raw for needle in _HAND_OVER_BYTES)


def _may_be_handoff(row: tuple[Any, ...]) -> bool:
    """Whether a light span's content may make it a handoff, not the model call or tool its
    columns say: a recorded handoff target decides the kind before the operation does
    (``genai.kinds.classify``). Searched only for a light span whose kind may change what
    ``_enclosed`` shows: one that shows an agent or encloses other spans."""
    raw = row[_RAW]
    return any(needle in raw for needle in _TARGET_BYTES) or row[_NAME].startswith(_HANDOFF_TOOL_PREFIX)


def _enclosed(rows: list[tuple[Any, ...]], read: list[SpanFacts | None]) -> dict[str, str] | None:
    """``shown_agents`` without the tree, where rule 1 alone decides every model call: each is
    enclosed by a named agent (its agent) or a tool (no agent) before the root, or sits
    under a root whose parent is missing (no agent, unless one encloses it there). Then
    neither reading order, instructions nor handovers matter, and the agents follow from
    parent links. None where the tree could read otherwise than its parent links: a parent
    cycle or a chain as deep as ``MAX_DEPTH``, sibling calls that may record one call
    (``spantree.tree`` nests them), an agent span with no children (it may adopt siblings, or
    record a handoff), a graph node run (``fold_graph_nodes``; a step of an agent's own run,
    an agent span inside the same agent's, shows no agent of its own), a call that rule 1 does
    not decide, or a light span that may be a handoff by its content (``_may_be_handoff``)
    where that kind would change what it or the spans under it show.

    ``read``: each row's facts read with its content, None for a light one (``_light``): a
    model call or a tool by its promoted columns (``genai.registry.promoted_facts``)."""
    kinds: dict[str, Kind] = {}
    names: dict[str, str | None] = {}
    parents: dict[str, str | None] = {}
    calls: dict[tuple[str, object], list[str | None]] = {}
    for row, facts in zip(rows, read, strict=True):
        span_id = row[_SPAN_ID]
        parents[span_id] = row[_PARENT]
        if facts is None:
            kinds[span_id] = Kind.TOOL if row[_OPERATION] == "execute_tool" else Kind.LLM
            response_id, input_tokens = row[_RESPONSE_ID], row[_INPUT_TOKENS]
        else:
            if facts.kind is Kind.AGENT and facts.graph_node is not None and facts.graph_node == facts.name:
                return None
            kinds[span_id], names[span_id] = facts.kind, facts.agent_name
            response_id, input_tokens = facts.response_id, facts.input_tokens
        if kinds[span_id] is Kind.LLM:
            if response_id:
                calls.setdefault(("response", response_id), []).append(row[_PARENT])
            if input_tokens is not None:
                calls.setdefault(("tokens", input_tokens), []).append(row[_PARENT])
    if not _shallow(parents):
        return None
    for siblings in calls.values():
        if len(siblings) > 1 and len({p if p in parents else None for p in siblings}) < len(siblings):
            return None  # two sibling calls name one response or send as many tokens
    parented = {parents[span_id] for span_id in parents}
    light = {row[_SPAN_ID]: row for row, facts in zip(rows, read, strict=True) if facts is None}
    if any(_may_be_handoff(light[span_id]) for span_id in parented.intersection(light)):
        return None  # a light span that encloses others may be a handoff, enclosing nothing
    shown: dict[str, str] = {}
    for span_id, kind in kinds.items():
        if kind is Kind.AGENT:
            if span_id not in parented:
                return None
            if _inside_a_call(span_id, parents, kinds):
                return None  # rule 1 reads no agent for it there; the tree may still nest it in one
            name = names[span_id]
            if name and _decided(span_id, parents, kinds, names) != name:  # (a step of its own run: none)
                shown[span_id] = name
        elif kind is Kind.LLM:
            owner = _decided(span_id, parents, kinds, names)
            if owner is _UNDECIDED:
                return None
            if isinstance(owner, str):
                if span_id in light and _may_be_handoff(light[span_id]):
                    return None  # it may be a handoff, which shows no agent
                shown[span_id] = owner
    return shown


_UNDECIDED = object()


def _shallow(parents: dict[str, str | None]) -> bool:
    """Whether the parent links among these spans have no cycle and no chain as deep as
    ``spantree.tree.MAX_DEPTH`` (where ``build_tree`` makes roots that parent links do not)."""
    depth: dict[str, int] = {}
    for span_id in parents:
        path: list[str] = []
        on_path: set[str] = set()
        at: str | None = span_id
        while at is not None and at in parents and at not in depth:
            if at in on_path:
                return False
            path.append(at)
            on_path.add(at)
            at = parents[at]
        below = depth[at] if at is not None and at in depth else 0
        for step in reversed(path):
            below += 1
            depth[step] = below
        if below >= MAX_DEPTH - 1:
            return False
    return True


def _inside_a_call(span_id: str, parents: dict[str, str | None], kinds: dict[str, Kind]) -> bool:
    """Whether a model call encloses the span, up its parent links (in ``_shallow`` ones)."""
    ancestor = parents[span_id]
    while ancestor is not None and ancestor in parents:
        if kinds[ancestor] is Kind.LLM:
            return True
        ancestor = parents[ancestor]
    return False


def _decided(
    span_id: str, parents: dict[str, str | None], kinds: dict[str, Kind], names: dict[str, str | None]
) -> object:
    """A model call's agent by rule 1, read up its parent links (in ``_shallow`` ones): the
    nearest named agent's, else None for one a tool encloses first, for one under a root
    whose parent is missing, or for a call inside another (not a call of its own);
    ``_UNDECIDED`` for a call that nothing encloses in a tree whose root arrived."""
    owner: object = _UNDECIDED
    ancestor = parents[span_id]
    while ancestor is not None and ancestor in parents:
        kind = kinds[ancestor]
        if kind is Kind.LLM:
            return None
        if owner is _UNDECIDED:
            if kind is Kind.AGENT and names[ancestor]:
                owner = names[ancestor]
            elif kind is Kind.TOOL:
                owner = None
        ancestor = parents[ancestor]
    if owner is _UNDECIDED and ancestor is not None:
        return None  # under a root whose parent is missing
    return owner


def _content_matters(roots: list[Node], light: set[str]) -> bool:
    """Whether a model call read without its content (``light``) may change which agent a
    call shows. Rule 3 reads calls' instructions (a call's own, else those of the model-call
    spans nested in it) and the transfers they ask for: it decides a call that no agent or
    tool encloses, in a tree whose root arrived (an open call, read with its content or
    not). It can name an agent only from one handed over to, or from an earlier call with
    the same instructions that has an agent by rules 1 and 2; and a light call whose kind by
    its columns is no model call may be one by its content."""
    nodes = [node for root in roots for node in (root, *root.descendants())]
    if not any(node.facts.span_id in light and node.facts.operation in MODEL_CALL_OPERATIONS for node in nodes):
        return False  # every model call was read with its content
    open_calls = [
        node
        for root in roots
        if root.facts.parent_span_id is None
        for node in (root, *root.descendants())
        if (
            node.facts.kind is Kind.LLM
            or (node.facts.span_id in light and node.facts.operation in MODEL_CALL_OPERATIONS)
        )
        and not decided_by_enclosing(node)
    ]
    if not open_calls:
        return False
    if any(node.facts.kind is not Kind.LLM for node in open_calls):
        return True
    if any(node.facts.kind is Kind.HANDOFF or TRANSFER.match(node.facts.tool_name or "") for node in nodes):
        return True
    return any(node.facts.kind is Kind.LLM and enclosing_agent(node) for node in nodes)


def _facts(row: tuple[Any, ...], *, content: bool) -> SpanFacts:
    span = SpanFields._make(row[SPAN_FIELDS])
    return normalize(span, decode_span_payload(row[_RAW]), [], {}) if content else promoted_facts(span)
