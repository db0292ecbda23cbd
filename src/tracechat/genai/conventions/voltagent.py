"""VoltAgent's own observability (npm ``@voltagent/core`` 2.x, ``VoltAgentObservability``;
scope ``@voltagent/core``), exported over OTLP: no ``gen_ai.*`` key. Every span names the
entity it belongs to (``entity.type``, ``entity.id``, ``entity.name``); ``span.type`` says
what a span inside an agent is (``llm``, ``tool``); an agent's own span has none.

- an agent span records the question (``input``), the answer (``output``), its model
  (``ai.model.name``), its finish reason and the usage of all its calls; a sub-agent's run
  (``subagent:<name>``, inside the supervisor's ``delegate_task`` tool) repeats its
  supervisor's ``entity.*`` and names itself in ``subagent.name``, as its own spans do;
- ``llm:generateText`` / ``llm:streamText`` is one model operation of the AI SDK over all its
  steps (its tool loop runs inside it: the agent's tool spans lie within its time): the
  messages it started with (``llm.messages``, the last ten), the names of the tools offered
  (``llm.tools``, comma-separated), the last step's usage (``llm.usage.*``) and finish reason;
  no output;
- ``tool.execution:<tool>``: the call's id (``tool.call.id``), arguments (``input``) and
  result (``output``)."""

from __future__ import annotations

from tracechat.genai.messages import parse_messages
from tracechat.genai.types import SpanFacts
from tracechat.genai.values import json_text, number, text


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    entity = text(a.get("entity.type"))
    if entity is None:
        return
    span_type = text(a.get("span.type"))
    if span_type == "llm":
        facts.fill("operation", "chat")
        facts.fill("request_model", text(a.get("llm.model")))
        facts.fill("input_messages", parse_messages(a.get("llm.messages")))
        tools = [name.strip() for name in (text(a.get("llm.tools")) or "").split(",") if name.strip()]
        facts.fill("tool_definitions", tools or None)
        facts.fill("finish_reason", text(a.get("llm.finish_reason")))
        facts.fill("input_tokens", number(a.get("llm.usage.prompt_tokens")))
        facts.fill("output_tokens", number(a.get("llm.usage.completion_tokens")))
        facts.fill("reasoning_tokens", number(a.get("llm.usage.reasoning_tokens")))
    elif span_type == "tool":
        facts.fill("operation", "execute_tool")
        facts.fill("tool_name", text(a.get("tool.name")))
        facts.fill("tool_call_id", text(a.get("tool.call.id")))
        facts.fill("tool_arguments", json_text(a.get("input")))
        facts.fill("tool_result", json_text(a.get("output")))
    elif span_type is None and entity == "agent":
        facts.fill("operation", "invoke_agent")
        facts.fill("agent_name", text(a.get("subagent.name")) or text(a.get("entity.name")))
        facts.fill("request_model", text(a.get("ai.model.name")))
        facts.fill("finish_reason", text(a.get("ai.response.finish_reason")))
        facts.fill("input_text", json_text(a.get("input")))
        facts.fill("output_text", json_text(a.get("output")))
