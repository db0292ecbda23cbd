"""The LangSmith SDK's own OpenTelemetry export (langsmith 0.4–0.15, ``LANGSMITH_OTEL_ENABLED``):
each LangChain / LangGraph run is a span carrying the run as LangSmith keeps it.
``langsmith.span.kind`` is the run type (``llm``, ``chat_model``, ``tool``, ``chain``,
``retriever``, ``prompt``, ``parser``); ``gen_ai.prompt`` / ``gen_ai.completion`` (whole JSON
documents, not OpenLLMetry's indexed keys) are the run's inputs and outputs: for a model run
``{"messages": [[<serialized LangChain messages>]]}`` and ``{"generations": [[{"message": …,
"generation_info": {"finish_reason": …}}]]}``; for a tool run its arguments and its returned
``ToolMessage`` (``{"output": …}``); ``langsmith.metadata.*`` the run's metadata, flattened
(LangChain 1's ``create_agent`` names the agent each run belongs to, ``lc_agent_name``).
The model, the token counts, the tool definitions and the tool call id are OTel GenAI keys,
read by ``otel_genai``."""

from __future__ import annotations

from typing import Any

from tracechat.genai.messages import langchain_messages
from tracechat.genai.types import SpanFacts
from tracechat.genai.values import json_text, structured, text

KIND = "langsmith.span.kind"
METADATA = "langsmith.metadata."


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    kind = (text(a.get(KIND)) or "").lower()
    if not kind:
        return
    inputs, outputs = structured(a.get("gen_ai.prompt")), structured(a.get("gen_ai.completion"))
    if kind in ("llm", "chat_model"):
        facts.fill("input_messages", langchain_messages(inputs, "messages"))
        facts.fill("output_messages", langchain_messages(outputs, "generations"))
        facts.fill("finish_reason", _finish_reason(outputs))
    elif kind == "tool":
        facts.fill("tool_name", text(a.get("gen_ai.tool.name")) or facts.name)
        facts.fill("tool_arguments", json_text(a.get("gen_ai.prompt")))
        facts.fill("tool_result", json_text(a.get("gen_ai.completion")))  # the ToolMessage: read for its content
    elif kind == "chain":
        agent = text(a.get(METADATA + "lc_agent_name"))
        # the run of the agent's own graph: named as the agent, not one of its nodes
        if agent is not None and METADATA + "langgraph_node" not in a and facts.name == agent:
            facts.operation = "invoke_agent"
            facts.fill("agent_name", agent)
            facts.fill("input_text", _last_message_text(inputs))


def _finish_reason(outputs: Any) -> str | None:
    """The first generation's ``generation_info.finish_reason``."""
    generations = outputs.get("generations") if isinstance(outputs, dict) else None
    for batch in generations if isinstance(generations, list) else ():
        for generation in batch if isinstance(batch, list) else [batch]:
            info = generation.get("generation_info") if isinstance(generation, dict) else None
            if isinstance(info, dict) and isinstance(info.get("finish_reason"), str):
                return str(info["finish_reason"])
    return None


def _last_message_text(inputs: Any) -> str | None:
    """The question an agent run was given: the last of its input ``messages``."""
    messages = inputs.get("messages") if isinstance(inputs, dict) else None
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        content = messages[-1].get("content")
        return content if isinstance(content, str) else None
    return None
