"""Tokens and cost by agent, read through the trajectory's own attribution rule
(``spantree.attribution``): the assistant's "tokens by agent" and the trajectory's assistant
entries add up alike, on any store, however many commits a trace arrived in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tracechat import pricing
from tracechat.genai.types import SpanFacts
from tracechat.spantree.attribution import attribute, model_calls
from tracechat.spantree.graph import fold_graph_nodes
from tracechat.spantree.spans import speaker
from tracechat.spantree.tree import span_tree


def calls_by_agent(spans: list[SpanFacts]) -> list[tuple[str | None, SpanFacts]]:
    """Each model call of one trace once (the span that speaks for it, with the tokens the
    trajectory gives its assistant entry), with the agent it belongs to (None: no agent)."""
    with span_tree(spans) as roots:
        fold_graph_nodes(roots)
        owners = attribute(roots)
        return [(owners.get(call.facts.span_id), speaker(call).facts) for call in model_calls(roots)]


@dataclass(slots=True)
class AgentUsage:
    calls: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: float | None = None

    def add(self, facts: SpanFacts) -> None:
        self.calls += 1
        if facts.input_tokens is not None:
            self.input_tokens = (self.input_tokens or 0) + facts.input_tokens
        if facts.output_tokens is not None:
            self.output_tokens = (self.output_tokens or 0) + facts.output_tokens
        cost = pricing.cost(facts.provider, facts.model, facts.input_tokens, facts.output_tokens)
        if cost is not None:
            self.cost = (self.cost or 0.0) + cost


def by_agent(traces: Iterable[list[SpanFacts]], since_ns: int) -> list[dict[str, Any]]:
    """Per agent, the model calls of these traces that started since then and recorded their
    usage: rows as the assistant's other statistics give them, the most tokens first; calls
    of no agent left out."""
    usage: dict[str, AgentUsage] = {}
    for spans in traces:
        for agent, facts in calls_by_agent(spans):
            recorded = facts.input_tokens is not None or facts.output_tokens is not None
            if agent is not None and recorded and facts.start_ns >= since_ns:
                usage.setdefault(agent, AgentUsage()).add(facts)
    ranked = sorted(usage.items(), key=lambda item: -((item[1].input_tokens or 0) + (item[1].output_tokens or 0)))
    return [
        {
            "agent": agent,
            "calls": u.calls,
            "input_tokens": u.input_tokens,
            "output_tokens": u.output_tokens,
            "cost": round(u.cost, 6) if u.cost is not None else None,
        }
        for agent, u in ranked
    ]
