"""MLflow Tracing (``mlflow`` / ``mlflow-tracing`` 3.x) exported over OTLP: every attribute
is a JSON value; ``mlflow.spanType`` says what a span is (``AGENT``, ``CHAT_MODEL``, ``LLM``,
``TOOL``, ``CHAIN``, ``RETRIEVER``…: promoted as the operation at ingest, with
``mlflow.llm.model`` and the counts of ``mlflow.chat.tokenUsage``); ``mlflow.spanInputs`` /
``mlflow.spanOutputs`` hold what the span was called with and returned: for a model call
the request body (``messages``) and the provider's raw response, for a tool its arguments
and result; ``mlflow.chat.tools`` the tools offered. An agent's or a tool's span is named
after it (``@mlflow.trace(name=…)``, else the function's name)."""

from __future__ import annotations

from tracechat.genai.conventions.otel_genai import tool_definitions
from tracechat.genai.messages import (
    parse_messages,
    response_finish_reason,
    response_messages,
    response_reasoning_tokens,
)
from tracechat.genai.types import SpanFacts
from tracechat.genai.values import json_text


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    span_type = (json_text(a.get("mlflow.spanType")) or "").upper()
    if not span_type:
        return
    inputs, outputs = a.get("mlflow.spanInputs"), a.get("mlflow.spanOutputs")
    if span_type in ("CHAT_MODEL", "LLM"):
        facts.fill("input_messages", parse_messages(inputs))
        facts.fill("output_messages", response_messages(outputs))
        facts.fill("tool_definitions", tool_definitions(a.get("mlflow.chat.tools")))
        facts.fill("finish_reason", response_finish_reason(outputs))
        facts.fill("reasoning_tokens", response_reasoning_tokens(outputs))
    elif span_type == "TOOL":
        facts.fill("tool_name", facts.name)
        facts.fill("tool_arguments", json_text(inputs))
        facts.fill("tool_result", json_text(outputs))
    elif span_type == "AGENT":
        facts.fill("agent_name", facts.name)
    facts.fill("input_text", json_text(inputs))
    facts.fill("output_text", json_text(outputs))
