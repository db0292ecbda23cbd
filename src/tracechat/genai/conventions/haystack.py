"""Haystack 2.x's own OpenTelemetry tracer (``haystack.tracing.OpenTelemetryTracer``, enabled
by itself when a global TracerProvider is set): every component a pipeline runs is a
``haystack.component.run`` span naming the component as the pipeline knows it
(``haystack.component.name``) and its class (``haystack.component.type``). A component whose
class is an agent (``Agent``) is that agent's run, and the pipeline's name for it is the only
name the agent has (Haystack's ``Agent`` takes none). Inputs and outputs are recorded only with
content tracing on (``haystack.component.input`` / ``.output``, read as any span's recorded
input and output). A ``ToolInvoker`` component runs the tool calls its agent's model call
asked for, and (content tracing off) names none of them: the calls ran there."""

from __future__ import annotations

from tracechat.genai.types import SpanFacts
from tracechat.genai.values import text

PREFIXES = ("haystack.component.",)


def extract(facts: SpanFacts) -> None:
    a = facts.attributes
    component, kind = text(a.get("haystack.component.name")), text(a.get("haystack.component.type"))
    if component and kind and kind.endswith("Agent"):
        facts.fill("operation", "invoke_agent")
        facts.fill("agent_name", component)
    elif kind and kind.endswith("ToolInvoker") and not facts.tool_name:
        # runs every call the agent's last model call asked for, and records none of them
        facts.fill("operation", "execute_tool")
        facts.runs_asked_calls = True
