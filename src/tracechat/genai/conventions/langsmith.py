"""LangSmith's own OpenTelemetry export, from either SDK (PyPI ``langsmith`` 0.4–0.15 with
``LANGSMITH_OTEL_ENABLED``, npm ``langsmith`` 0.12 with ``LANGSMITH_TRACING_MODE=otel``): every
run a span, ``langsmith.span.kind`` its run type (``llm``, ``chat_model``, ``tool``, ``chain``,
``retriever``, ``embedding``, ``prompt``, ``parser``). What the run was given and what it
returned are two whole JSON documents, ``gen_ai.prompt`` and ``gen_ai.completion`` (one key
each, not OpenLLMetry's indexed ``gen_ai.prompt.N.*``), in the shape the traced code gave them:

- a model run traced by LangChain (Python ``ChatOpenAI`` …) holds serialized LangChain messages,
  ``{"messages": [[…]]}`` and ``{"generations": [[{"message": …, "generation_info":
  {"finish_reason": …}}]]}``; one traced around the provider client (JS ``wrapOpenAI``) holds the
  provider request ``{model, messages, tools}`` and the raw response (a chat completion);
- a tool run's inputs are its arguments, its outputs its result (LangChain's ``ToolMessage``,
  ``{"output": …}``, read for its content by the content shapes);
- a value that is no object is wrapped, ``{"input": x}`` given and ``{"outputs": x}`` returned:
  a run given or returning one plain value is read as that value;
- ``langsmith.metadata.*`` is the run's metadata, flattened (LangChain 1's ``create_agent`` names
  the agent each run belongs to, ``lc_agent_name``).

The reasoning token count is the usage detail ``gen_ai.usage.output_token_details``
(``{"reasoning": N}``). The model, the other token counts, the tool definitions LangChain
records and the tool call id are OTel GenAI keys, read by ``otel_genai``."""

from __future__ import annotations

from typing import Any

from tracechat.genai.conventions.otel_genai import tool_definitions
from tracechat.genai.messages import (
    langchain_messages,
    messages_document,
    parse_messages,
    response_finish_reason,
    response_messages,
)
from tracechat.genai.types import SpanFacts
from tracechat.genai.values import json_text, number, structured, text

KIND = "langsmith.span.kind"
INPUTS = "gen_ai.prompt"
OUTPUTS = "gen_ai.completion"
METADATA = "langsmith.metadata."


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    kind = (text(a.get(KIND)) or "").lower()
    if kind in ("llm", "chat_model"):
        _model_run(facts, messages_document(a.get(INPUTS)), structured(a.get(OUTPUTS)))
    elif kind == "tool":
        facts.fill("tool_name", text(a.get("gen_ai.tool.name")) or facts.name.strip() or None)
        facts.fill("tool_arguments", json_text(_one_value(a.get(INPUTS), "input")))
        facts.fill("tool_result", json_text(_one_value(a.get(OUTPUTS), "outputs")))
    elif kind == "chain":
        agent = text(a.get(METADATA + "lc_agent_name"))
        # the run of the agent's own graph: named as the agent, not one of its nodes
        if agent is not None and METADATA + "langgraph_node" not in a and facts.name == agent:
            facts.operation = "invoke_agent"
            facts.fill("agent_name", agent)
            facts.fill("input_text", _last_message_text(structured(a.get(INPUTS))))


def _model_run(facts: SpanFacts, inputs: Any, outputs: Any) -> None:
    """A model run's messages, as LangChain serialized them or as the provider was sent them
    and answered."""
    facts.fill("input_messages", langchain_messages(inputs, "messages") or parse_messages(inputs))
    offered = inputs.get("tools") if isinstance(inputs, dict) else None
    facts.fill("tool_definitions", tool_definitions(offered))
    facts.fill("output_messages", langchain_messages(outputs, "generations") or response_messages(outputs))
    facts.fill("finish_reason", _generation_finish_reason(outputs) or response_finish_reason(outputs))
    facts.fill("reasoning_tokens", _reasoning_tokens(facts.attributes.get("gen_ai.usage.output_token_details")))


def _one_value(value: Any, key: str) -> Any:
    """The value a run was given or returned when LangSmith wrapped a plain one in ``{key: x}``."""
    document = structured(value)
    if isinstance(document, dict) and set(document) == {key}:
        return document[key]
    return value


def _generation_finish_reason(outputs: Any) -> str | None:
    """The first LangChain generation's ``generation_info.finish_reason``."""
    generations = outputs.get("generations") if isinstance(outputs, dict) else None
    for batch in generations if isinstance(generations, list) else ():
        for generation in batch if isinstance(batch, list) else [batch]:
            info = generation.get("generation_info") if isinstance(generation, dict) else None
            if isinstance(info, dict) and isinstance(info.get("finish_reason"), str):
                return str(info["finish_reason"])
    return None


def _reasoning_tokens(value: Any) -> int | None:
    details = structured(value)
    return number(details.get("reasoning")) if isinstance(details, dict) else None


def _last_message_text(inputs: Any) -> str | None:
    """The question an agent run was given: the last of its input ``messages``."""
    messages = inputs.get("messages") if isinstance(inputs, dict) else None
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        content = messages[-1].get("content")
        return content if isinstance(content, str) else None
    return None
