"""Which agent a model call belongs to: the one rule the trajectory (``query.reader``) and the
assistant's "tokens by agent" (``query.usage``) both read, over the span tree of a trace
(``spantree.tree.build_tree`` then ``spantree.graph.fold_graph_nodes``).

A model call belongs to

1. the nearest enclosing agent span that names its agent; but a tool that runs a model
   between them runs an agent of its own (an agent used as a tool, CrewAI's delegation),
   which is not the agent that called the tool: the call then belongs to no named agent;
2. else the agent the call itself names;
3. else the agent its instructions belong to: the agent an earlier call with the same
   instructions belonged to, or, when its instructions are new and control was just handed
   to an agent (a transfer tool, a handoff span), that agent (LlamaIndex's AgentWorkflow
   records no agent spans; its ``handoff`` tool names the agent that takes over);
4. else to no agent.

The agents a trajectory shows (``shown_agents``) are those model calls' agents and the
agents whose spans start one (an ``agent_start``), an agent span that only records a
handoff (``records_handoff``) excepted. The trace list's agents are the same set: ingest
applies ``shown_agents`` to the spans of each request (``ingest.agents``), so the list, its
``?agent=`` filter, sessions and the assistant's agent counts name the agents the
trajectory names.

The calls are read in the trajectory's order (``spantree.tree.walk``): "earlier" and "just
handed to" mean in that order. The rule reads the whole tree, so it holds however many
commits a trace arrived in: it is applied when a trace is read, never stored.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from tracechat.genai.messages import plain_arguments
from tracechat.genai.types import Kind, SpanFacts
from tracechat.model.span import STATUS_ERROR
from tracechat.spantree.spans import argument, system_text
from tracechat.spantree.tree import Node, walk

TRANSFER = re.compile(r"^(?:(?:transfer|handoff)_to_(?P<agent>.+)|transfer|handoff)$")
"""A tool that hands the conversation to another agent (``transfer_to_weather_agent``,
Strands' ``handoff_to_agent`` with the agent in its ``agent_name`` argument, LlamaIndex's
``handoff`` with it in ``to_agent``)."""
_TARGET_ARGUMENTS = ("agent_name", "to_agent")


_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")


@functools.lru_cache(maxsize=1024)
def canonical(agent: str | None) -> str:
    """An agent's name as compared (asked for a few names, many times per read)."""
    return _NOT_ALPHANUMERIC.sub("", (agent or "").lower())


def records_handoff(node: Node) -> bool:
    """An agent span that names the agent it came from and runs nothing is the record of the
    transfer, where control passed (OpenLIT's handoff span), not a run of that agent."""
    facts = node.facts
    return (
        bool(facts.handoff_from) and not node.children and canonical(facts.handoff_from) != canonical(facts.agent_name)
    )


def runs_nothing(node: Node) -> bool:
    """An agent span that recorded only the messages it was given: it ran nothing (no
    children), answered nothing (no output), says nothing of an agent (no model, instructions
    or tools) and did not fail. It is no agent run: it starts no agent and asks nothing
    (OpenLIT's LangGraph instrumentation records each run of a graph node as an
    ``invoke_agent <node>`` beside the agent, holding the node's input messages only). An
    empty agent span that records nothing at all still starts its agent."""
    facts = node.facts
    return (
        facts.input_messages is not None
        and not node.children
        and facts.status_code != STATUS_ERROR
        and facts.output_messages is None
        and facts.output_text is None
        and facts.model is None
        and facts.system_instructions is None
        and facts.tool_definitions is None
        and not records_handoff(node)
    )


def transfer_target(arguments: str | None, transfer: re.Match[str]) -> str | None:
    """The agent a transfer tool hands to: named in its arguments, else in its name."""
    named = (argument(arguments, name) for name in _TARGET_ARGUMENTS)
    return next((n for n in named if n), None) or transfer.group("agent")


def enclosing_agent(node: Node) -> str | None:
    """Rules 1 and 2: the agent the spans name for this one (None: they name none)."""
    ancestor: Node | None = node
    while ancestor is not None:
        if ancestor.facts.kind is Kind.AGENT and ancestor.facts.agent_name:
            return ancestor.facts.agent_name
        if ancestor is not node and ancestor.facts.kind is Kind.TOOL and ancestor.first_descendant(Kind.LLM):
            return None
        ancestor = ancestor.parent
    return node.facts.agent_name


def runs_own_agent(node: Node) -> bool:
    """A tool nearer than any named agent runs the call: an unnamed agent of its own."""
    ancestor = node.parent
    while ancestor is not None:
        if ancestor.facts.kind is Kind.AGENT and ancestor.facts.agent_name:
            return False
        if ancestor.facts.kind is Kind.TOOL and ancestor.first_descendant(Kind.LLM):
            return True
        ancestor = ancestor.parent
    return False


def model_calls(roots: list[Node]) -> list[Node]:
    """Each model call once, by its outermost span, in reading order (a call recorded by
    nested spans is one call: ``spantree.tree`` nests a sibling that records it again)."""
    return [n for n, entering in walk(roots) if entering and n.facts.kind is Kind.LLM and not n.has_ancestor(Kind.LLM)]


@dataclass(slots=True)
class _Walk:
    owners: dict[str, str | None] = field(default_factory=dict)
    by_instructions: dict[str, str | None] = field(default_factory=dict)
    handed_to: str | None = None

    def call(self, node: Node) -> None:
        agent = enclosing_agent(node)
        instructions = system_text(node.facts) or next(
            (system_text(d.facts) for d in node.descendants() if d.facts.kind is Kind.LLM and system_text(d.facts)),
            None,
        )
        if agent is None and instructions and not runs_own_agent(node):
            if instructions in self.by_instructions:
                agent = self.by_instructions[instructions]
            elif self.handed_to is not None:
                agent = self.handed_to
        if agent is not None and agent == self.handed_to:
            self.handed_to = None
        if instructions:
            self.by_instructions.setdefault(instructions, agent)
        self.owners[node.facts.span_id] = agent
        self._requested_transfers(node.facts)

    def _requested_transfers(self, facts: SpanFacts) -> None:
        for message in facts.output_messages or ():
            for call in message.of_kind("tool_call"):
                transfer = TRANSFER.match(call.name or "")
                if transfer:
                    self.handed_to = transfer_target(call.arguments, transfer) or self.handed_to

    def other(self, node: Node) -> None:
        facts = node.facts
        if facts.kind is Kind.HANDOFF and facts.handoff_to:
            self.handed_to = facts.handoff_to
        elif facts.kind is Kind.TOOL:
            transfer = TRANSFER.match(facts.tool_name or "")
            if transfer:
                self.handed_to = transfer_target(plain_arguments(facts.tool_arguments), transfer) or self.handed_to


def attribute(roots: list[Node]) -> dict[str, str | None]:
    """The agent each model call belongs to (by the span id of its outermost span), by the
    rule above; None: no agent."""
    state = _Walk()
    for node, entering in walk(roots):
        if not entering:
            continue
        if node.facts.kind is Kind.LLM:
            if not node.has_ancestor(Kind.LLM):
                state.call(node)
        else:
            state.other(node)
    return state.owners


def shown_agents(roots: list[Node]) -> dict[str, str]:
    """The agent each span shows in the trajectory, by span id: an agent span (graph nodes
    folded, ``spantree.graph.fold_graph_nodes``) its own, where it starts that agent; a
    model call the agent it belongs to (``attribute``). Spans that show no agent are left out.

    Under a root whose parent is missing (ingest reads one request of a trace at a time,
    and a parent usually ends, and is sent, after its children), the agent that encloses a
    call may come later: the call then shows only an enclosing agent at hand, not the one
    rules 2 and 3 would guess without it."""
    shown = {
        node.facts.span_id: node.facts.agent_name
        for node, entering in walk(roots)
        if entering
        and node.facts.kind is Kind.AGENT
        and node.facts.agent_name
        and not records_handoff(node)
        and not runs_nothing(node)
    }
    owners = attribute(roots)
    for root in roots:
        if root.facts.parent_span_id is None:
            continue
        for node in (root, *root.descendants()):
            if node.facts.span_id in owners and not decided_by_enclosing(node):
                owners[node.facts.span_id] = None
    shown.update((span_id, agent) for span_id, agent in owners.items() if agent is not None)
    return shown


def decided_by_enclosing(node: Node) -> bool:
    """Rule 1 decides the call's agent: a named agent encloses it, or a tool that runs it
    does (its own agent then): nothing the call records can change it."""
    ancestor = node.parent
    while ancestor is not None:
        if ancestor.facts.kind is Kind.AGENT and ancestor.facts.agent_name:
            return True
        if ancestor.facts.kind is Kind.TOOL:
            return True
        ancestor = ancestor.parent
    return False
