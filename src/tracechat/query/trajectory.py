"""One trace → the conversation a person reads (``AgentChatTrajectory``).

The steps, in this order (each small and pure):

1. ``normalize``: every stored span, with its log records, through the conventions
   (``genai.registry``) into ``SpanFacts``.
2. ``build_tree``: parents and children in reading order; orphans become roots.
   ``fold_graph_nodes`` (``spantree.graph``): an agent span that is one node of its
   agent's graph is a step of that agent, not another agent.
3. ``Reader.read``: one depth-first walk that emits entries:
   - agent spans: ``agent_start`` at an agent's first appearance (model, instructions and
     tools from the span, else from its first model call), ``context_compacted`` when the
     span records a compaction;
   - model calls: ``agent_start`` for the first call of a trace with no agent span and when
     an agent's instructions change; ``context_compacted`` when the history shrinks with a
     summary in place of earlier items; the input's *new* messages (``transcript``) as
     ``user_message``\\s and as results of tool calls read earlier; the output as one
     ``assistant_message`` (also when it only asked for tools: its ``tool_calls``); output
     tool calls that no tool span records as ``tool_call``\\s;
   - tool spans: ``tool_call`` (or ``agent_handoff`` for ``transfer_to_*`` tools);
   - handoff and compaction spans: ``agent_handoff``, ``context_compacted``;
   - a workflow, retrieval or guardrail span with no children that recorded an input or
     output (and is not inside a model call): a ``tool_call`` step named after the span,
     unless it is a chain or workflow step inside an agent (the agent's model and tool
     calls already say what it did); a span of no kind a convention knows (HTTP, database,
     messaging) is plumbing and makes no entry (it stays in the span list);
   - whenever the next entry belongs to another agent than the last one, an
     ``agent_handoff`` first, unless one was just recorded.
4. ``fallbacks``: the user's question from an agent or root span when no model call
   recorded it, and the agent's final answer when no model call did (mirror suppression:
   an agent span's output is used only then).
5. The response: root name, provider, wall-clock duration, feedback.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tracechat.genai.types import Kind, Message, Part, SpanFacts
from tracechat.model.times import time_of
from tracechat.model.trajectory import AgentChatMessage, AgentChatTrajectory, UserMessage
from tracechat.query.content import ContentRefs
from tracechat.query.reader import Reader
from tracechat.query.transcript import Transcript
from tracechat.spantree.graph import fold_graph_nodes
from tracechat.spantree.spans import recorded_question
from tracechat.spantree.tree import Node, span_tree


@dataclass(slots=True)
class Known:
    """What the earlier traces of a session showed, for reading a later one (which repeats
    them in its model input): the conversation read so far, the agents met, and the tool
    calls asked for (a later trace may bring the result: a deferred tool, an approval)
    (``query.session``)."""

    transcript: Transcript = field(default_factory=Transcript)
    agents: dict[str, Any] = field(default_factory=dict)
    open_calls: dict[str, Any] = field(default_factory=dict)
    calls_by_id: dict[str, Any] = field(default_factory=dict)


def _user_fallback(reader: Reader, spans: Iterable[SpanFacts], asked: Transcript | None = None) -> None:
    """Step 4a: no model call recorded the question; take it from an agent span, else from
    any span with agent meaning (never from plumbing). ``asked``: what the earlier traces of
    a session showed (a later trace that only resumes a turn asks nothing new)."""
    if any(m.type == "user_message" for m in reader.messages):
        return
    ordered = sorted(
        (s for s in spans if s.kind is not Kind.OTHER), key=lambda s: (s.kind is not Kind.AGENT, s.start_ns)
    )
    for facts in ordered:
        text = recorded_question(facts)
        if text and asked is not None and asked.known(Message("user", [Part("text", text)])):
            return
        if text:
            refs: list[str] = []
            entry = UserMessage(text=reader.content.text(facts.span_id, text, refs), content_refs=refs)
            message = AgentChatMessage.model_validate(
                {
                    "type": "user_message",
                    "span_id": facts.span_id,
                    "agent_name": facts.agent_name,
                    "started_at": time_of(facts.start_ns),
                    "user_message": entry,
                }
            )
            position = next((i for i, m in enumerate(reader.messages) if m.type != "agent_start"), len(reader.messages))
            reader.messages.insert(position, message)
            return


def build_trajectory(
    trace_id: str,
    spans: list[SpanFacts],
    root_span_name: str | None,
    content: ContentRefs | None = None,
    known: Known | None = None,
) -> AgentChatTrajectory:
    """Steps 2–5 (step 1, normalizing, is ``query.service``'s). ``known``: read as a later
    trace of a session, whose earlier traces showed that (and learn what this one shows)."""
    content = content or ContentRefs(trace_id)
    with span_tree(spans) as roots:
        fold_graph_nodes(roots)
        tools = sorted((s for s in spans if s.kind is Kind.TOOL), key=lambda s: s.start_ns)
        reader = Reader(trace_id, tools, content)
        asked = Transcript(Counter(known.transcript.seen)) if known is not None else None
        if known is not None:
            reader.transcript, reader.agents = known.transcript, known.agents
            reader.open_calls, reader.calls_by_id = known.open_calls, known.calls_by_id
        reader.read(roots)
        _user_fallback(reader, spans, asked)
        return AgentChatTrajectory(
            trace_id=trace_id,
            root_span_name=root_span_name or (roots[0].facts.name if roots else None),
            provider=_provider(roots),
            total_duration_ms=_duration(roots, spans),
            messages=reader.messages,
        )


def _provider(roots: list[Node]) -> str | None:
    """The model provider: the root's, unless no model call is that provider's (an agent
    framework's root may name the framework: CrewAI's crew span says `crewai`); else the
    most frequent among model calls, each call counted by its innermost span (the one nearest
    the wire: ADK's ``call_llm`` names ADK itself, the client's ``generate_content`` inside it
    the model's provider)."""
    counts: dict[str, int] = {}
    for root in roots:
        for node in (root, *root.descendants()):
            facts = node.facts
            if facts.kind is Kind.LLM and facts.provider and node.first_descendant(Kind.LLM) is None:
                counts[facts.provider.lower()] = counts.get(facts.provider.lower(), 0) + 1
    for node in roots:
        named = (node.facts.provider or "").lower()
        if named and (not counts or any(p == named or p.startswith(named + ".") for p in counts)):
            return named
    return max(counts, key=lambda p: counts[p]) if counts else None


def _duration(roots: list[Node], spans: list[SpanFacts]) -> int | None:
    true_roots = [r for r in roots if r.facts.parent_span_id is None]
    if len(true_roots) == 1:
        return true_roots[0].facts.duration_ms
    if not spans:
        return None
    start = min(s.start_ns for s in spans)
    end = max(s.end_ns for s in spans)
    return max(0, (end - start) // 1_000_000)
