"""Step 2b of reading a trace (``query.trajectory``): graph node runs and the steps of an
agent's run that instrumentations mark as agent spans are steps of their agent, not agents
of their own."""

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
    there is a step too. An agent span whose nearest enclosing agent span that names an
    agent names the same one (no tool or model call between them) is a step of that agent's
    run, not a second run: OpenLIT records each step of a smolagents run as
    ``invoke_agent <agent> step_N``, its output the step's observation; AutoGen's
    ``invoke_agent X`` holds OpenInference's ``X.on_messages_stream``, the same run."""
    for root in roots:
        for node in (root, *root.descendants()):
            facts = node.facts
            if facts.kind is Kind.AGENT and _step_of_its_own_run(node):
                facts.kind = Kind.WORKFLOW
                continue
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


def _step_of_its_own_run(node: Node) -> bool:
    name = node.facts.agent_name
    parent = node.parent
    while name and parent is not None:
        kind = parent.facts.kind
        if kind is Kind.TOOL or kind is Kind.LLM:
            return False  # an agent run inside a tool is a run of its own, even of the same agent
        if kind is Kind.AGENT and parent.facts.agent_name:
            return parent.facts.agent_name == name
        parent = parent.parent
    return False
