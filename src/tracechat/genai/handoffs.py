"""The span attributes that record a handoff's target (``SpanFacts.handoff_to``), in one
place: the conventions read them from here, and ingest searches a span's payload for them
(``ingest.agents``: a model call or tool recording one is a handoff by its content,
``genai.kinds.classify``), so a key one of them knows cannot be missed by the other
(``tests/unit/test_handoff_keys.py`` also finds every key the conventions read a target from).
"""

from __future__ import annotations

OTEL_HANDOFF_TARGET_KEYS = ("gen_ai.handoff.to_agent", "gen_ai.transfer.target.name")
"""``genai.conventions.otel_genai``, first that names one: the key OpenLLMetry and the contrib
openai-agents processor write, then the semantic-conventions-genai drafts' transfer target."""

OPENAI_AGENTS_HANDOFF_TARGET_KEY = "to_agent"
"""``genai.conventions.openai_agents``: the OpenAI Agents SDK's handoff span data."""

HANDOFF_TARGET_KEYS = (*OTEL_HANDOFF_TARGET_KEYS, OPENAI_AGENTS_HANDOFF_TARGET_KEY)
"""Every key any convention reads a handoff's target from."""


def fewest_needles(needles: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """``needles`` less those that hold another one: bytes holding any of ``needles`` hold one
    of these, found in fewer searches (``gen_ai.handoff.to_agent`` holds ``to_agent``)."""
    kept = tuple(dict.fromkeys(needles))
    return tuple(n for n in kept if not any(other != n and other in n for other in kept))
