"""W&B Weave's canonical ``weave.*`` keys (wandb/weave ``trace_server/agents/semconv.py``,
2026-08): agent, messages, reasoning and the ``weave.compaction.*`` keys its Claude Code
and Codex plugins set on turn spans."""

from __future__ import annotations

from tracechat.genai.messages import parse_messages
from tracechat.genai.types import SpanFacts
from tracechat.genai.values import number, text

PREFIXES = ("weave.",)
"""The keys this convention reads start so (``genai.registry`` runs it only on spans with one)."""


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    if not facts.has(*PREFIXES):
        return
    facts.fill("agent_name", text(a.get("weave.agent.name")))
    facts.fill("input_messages", parse_messages(a.get("weave.input.messages")))
    facts.fill("output_messages", parse_messages(a.get("weave.output.messages")))
    facts.fill("reasoning_tokens", number(a.get("weave.usage.reasoning_tokens")))
    facts.fill("compaction_summary", text(a.get("weave.compaction.summary")))
    facts.fill("compaction_items_before", number(a.get("weave.compaction.items_before")))
    facts.fill("compaction_items_after", number(a.get("weave.compaction.items_after")))
