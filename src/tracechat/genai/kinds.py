"""What kind of step a span is: by operation first, then by span name, then by content."""

from __future__ import annotations

from tracechat.genai.types import Kind, SpanFacts
from tracechat.model.span import STATUS_ERROR

AGENT_OPERATIONS = ("invoke_agent", "agent")
"""Operations that make a span an agent's. Which agent a model call belongs to is
``spantree.attribution``'s rule, which the trajectory and the assistant's tokens by agent share."""

MODEL_CALL_OPERATIONS = ("chat", "text_completion", "generate_content", "completion", "responses")
"""Operations that make a span a model call. One call recorded by a model-call span inside
another (double instrumentation) counts its tokens once, in the trajectory and in the
trace list (store/sql.py: INDEX_SPANS)."""

_OPERATIONS = {
    **dict.fromkeys(MODEL_CALL_OPERATIONS, Kind.LLM),
    "execute_tool": Kind.TOOL,
    **dict.fromkeys(AGENT_OPERATIONS, Kind.AGENT),
    "create_agent": Kind.WORKFLOW,  # constructing an agent (often before anything runs) starts nothing
    **dict.fromkeys(
        ("invoke_workflow", "workflow", "chain", "task", "agent_step", "step", "turn", "plan"), Kind.WORKFLOW
    ),
    **dict.fromkeys(("handoff", "agent_handoff", "transfer"), Kind.HANDOFF),
    **dict.fromkeys(("compact_events", "compaction", "compact", "context_compaction"), Kind.COMPACTION),
    **dict.fromkeys(("embeddings", "retrieval", "rerank", "search_memory"), Kind.EMBEDDING),
    **dict.fromkeys(("guardrail", "guardrail_check"), Kind.GUARDRAIL),
}

_PREFIXES = (
    ("handoff to ", Kind.HANDOFF),
    ("Handoff: ", Kind.HANDOFF),
    ("agent_handoff", Kind.HANDOFF),
    ("compact_events", Kind.COMPACTION),
    ("call_llm", Kind.LLM),
    ("Responses API", Kind.LLM),
    ("Generation", Kind.LLM),
    ("chat ", Kind.LLM),
    ("text_completion", Kind.LLM),
    ("generate_content", Kind.LLM),
    ("execute_tool", Kind.TOOL),
    ("Function: ", Kind.TOOL),
    ("running tool", Kind.TOOL),
    ("invoke_agent", Kind.AGENT),
    ("Agent run: ", Kind.AGENT),
    ("agent run", Kind.AGENT),
    ("invoke_workflow", Kind.WORKFLOW),
    ("invocation", Kind.WORKFLOW),
    ("embeddings", Kind.EMBEDDING),
)
_SUFFIXES = (
    (".handoff", Kind.HANDOFF),
    (".chat", Kind.LLM),
    (".completion", Kind.LLM),
    (".agent", Kind.AGENT),
    (".workflow", Kind.WORKFLOW),
    (".task", Kind.WORKFLOW),
    (".tool", Kind.TOOL),
)


def classify(facts: SpanFacts) -> Kind:
    if facts.handoff_to:
        return Kind.HANDOFF
    operation = (facts.operation or "").lower()
    kind = _OPERATIONS.get(operation) or _invoked(operation) or _by_name(facts.name) or _by_content(facts)
    if kind is Kind.AGENT and not facts.agent_name:
        return Kind.WORKFLOW  # e.g. the synthetic "Agent workflow" root of agent SDK exporters
    if kind is Kind.LLM and not _called_a_model(facts):
        return Kind.OTHER  # e.g. LlamaIndex's request builder, marked LLM, that sends nothing
    return kind


def may_be_tool(operation: str | None) -> bool:
    """Whether a span of this operation (as promoted, before the conventions read the span)
    can be a tool's: ``classify`` reads the operation first, and a convention sets one only
    where none was promoted (or makes a span an agent's), so a span whose operation names
    another kind is none."""
    named = (operation or "").lower()
    kind = _OPERATIONS.get(named) or _invoked(named)
    return kind is None or kind is Kind.TOOL


def _called_a_model(facts: SpanFacts) -> bool:
    """Whether a span marked as a model call recorded anything of one: the messages sent or
    received, tokens, a finish reason, or a failure. A span that only names the model (a
    step that builds the request, whose output is that request) called none."""
    return (
        facts.input_messages is not None
        or facts.output_messages is not None
        or facts.input_tokens is not None
        or facts.output_tokens is not None
        or facts.finish_reason is not None
        or facts.status_code == STATUS_ERROR
    )


def _invoked(operation: str) -> Kind | None:
    """``invoke_swarm``, ``invoke_graph``, ``invoke_team``…: running something that is not
    one agent is a workflow (``invoke_agent`` is matched before)."""
    return Kind.WORKFLOW if operation.startswith("invoke_") else None


def _by_name(name: str) -> Kind | None:
    for prefix, kind in _PREFIXES:
        if name.startswith(prefix):
            return kind
    for suffix, kind in _SUFFIXES:
        if name.endswith(suffix):
            return kind
    return None


def _by_content(facts: SpanFacts) -> Kind:
    if facts.output_messages is not None or (facts.input_messages is not None and facts.model):
        return Kind.LLM
    if facts.tool_name:
        return Kind.TOOL
    if facts.compaction_summary or facts.compaction_items_before is not None:
        return Kind.COMPACTION
    return Kind.OTHER
