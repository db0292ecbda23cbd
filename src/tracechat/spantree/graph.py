"""Step 2b of reading a trace (``query.trajectory``): graph node runs that instrumentations
mark as agent spans are steps of their agent, not agents of their own."""

from __future__ import annotations

from tracechat.genai.types import Kind
from tracechat.spantree.tree import Node


def fold_graph_nodes(roots: list[Node]) -> None:
    """Step 2b. Instrumentations mark a graph's node runs as agent spans when the node is
    called "agent" (OpenInference on LangGraph's prebuilt agent). A node run inside an agent
    (``graph_node`` names the span itself) is a step of that agent, unless it runs a graph
    of its own (a sub-agent: something below it runs in a deeper graph). Under a root whose
    parent was not received (spans of one request, read at ingest before the rest of the
    trace arrives: ``ingest.agents``), the agent it runs in may be that parent: a node run
    there is a step too."""
    for root in roots:
        for node in (root, *root.descendants()):
            facts = node.facts
            if facts.kind is not Kind.AGENT or facts.graph_node != facts.name:
                continue
            if not node.has_ancestor(Kind.AGENT) and root.facts.parent_span_id is None:
                continue
            depth = facts.graph_depth or 0
            if any((d.facts.graph_depth or 0) > depth for d in node.descendants()):
                continue
            facts.kind = Kind.WORKFLOW
            if facts.agent_name == facts.name:  # named only after its span
                facts.agent_name = None
