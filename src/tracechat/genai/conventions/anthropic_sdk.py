"""The Anthropic Python SDK's own OpenTelemetry tracing (``anthropic`` 2.x, scope
``com.anthropic.sdk.python``): OTel GenAI attributes (read by ``otel_genai``), plus the
stop reason only as ``anthropic.message.stop_reason`` (``tool_use``, ``end_turn``, …)."""

from __future__ import annotations

from tracechat.genai.types import SpanFacts
from tracechat.genai.values import text


def extract(facts: SpanFacts) -> None:
    facts.fill("finish_reason", text(facts.attributes.get("anthropic.message.stop_reason")))
