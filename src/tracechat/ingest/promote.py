"""Which span attributes become columns, under which keys, in which precedence.

Ingest touches only these keys and keeps everything else as bytes (see
docs/storage.md). Each column lists the keys that mean the same thing across
instrumentation conventions, best first: OTel GenAI semantic conventions, then
OpenInference, OpenLLMetry/Traceloop, Vercel AI SDK, and the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tracechat.genai.values import text
from tracechat.ingest.codec import any_value
from tracechat.model.records import SPAN_INT_COLUMNS, SPAN_TEXT_COLUMNS

Transform = Callable[[str], str | None]

_OPENINFERENCE_KINDS = {
    "LLM": "chat",
    "TOOL": "execute_tool",
    "AGENT": "invoke_agent",
    "CHAIN": "chain",
    "EMBEDDING": "embeddings",
    "RETRIEVER": "retrieval",
    "RERANKER": "rerank",
    "GUARDRAIL": "guardrail",
    "EVALUATOR": "evaluate",
}
_TRACELOOP_KINDS = {
    "workflow": "invoke_workflow",
    "agent": "invoke_agent",
    "tool": "execute_tool",
    "task": "task",
}
_LLM_REQUEST_TYPES = {
    "chat": "chat",
    "completion": "text_completion",
    "embedding": "embeddings",
    "rerank": "rerank",
}
_MLFLOW_SPAN_TYPES = {
    "AGENT": "invoke_agent",
    "CHAT_MODEL": "chat",
    "LLM": "chat",
    "TOOL": "execute_tool",
    "CHAIN": "chain",
    "EMBEDDING": "embeddings",
    "RETRIEVER": "retrieval",
    "RERANKER": "rerank",
    "GUARDRAIL": "guardrail",
}
"""MLflow Tracing's ``mlflow.spanType`` (its other types, ``PARSER``, ``UNKNOWN``…, say no
operation)."""
GENKIT_SUBTYPES = {
    "model": "chat",
    "tool": "execute_tool",
    "flow": "invoke_workflow",
    "agent": "invoke_agent",
    "embedder": "embeddings",
}
"""Google Genkit's ``genkit:metadata:subtype`` of an action (its other subtypes, and its
utilities such as the ``generate`` loop, say no operation)."""
LANGFUSE_TYPES = {
    "generation": "chat",
    "agent": "invoke_agent",
    "tool": "execute_tool",
    "chain": "chain",
    "retriever": "retrieval",
    "embedding": "embeddings",
    "guardrail": "guardrail",
    "evaluator": "evaluate",
}
"""The Langfuse SDK's ``langfuse.observation.type`` (a plain ``span`` or ``event`` says no
operation)."""
VOLTAGENT_SPAN_TYPES = {"llm": "chat", "tool": "execute_tool"}
"""VoltAgent's ``span.type`` of a span inside an agent (its model operation, a tool run)."""
VOLTAGENT_ENTITIES = {"agent": "invoke_agent"}
"""VoltAgent's ``entity.type``, on every span of an agent: the agent's own span has no
``span.type`` (which, ranked first, names the others)."""
_VERCEL_OPERATIONS = {
    "ai.generateText": "invoke_agent",
    "ai.streamText": "invoke_agent",
    "ai.generateObject": "invoke_agent",
    "ai.streamObject": "invoke_agent",
    "ai.generateText.doGenerate": "chat",
    "ai.streamText.doStream": "chat",
    "ai.generateObject.doGenerate": "chat",
    "ai.streamObject.doStream": "chat",
    "ai.toolCall": "execute_tool",
    "ai.embed": "embeddings",
    "ai.embedMany": "embeddings",
}


def _lookup(table: dict[str, str]) -> Transform:
    return lambda value: table.get(value, value.lower() or None)


def _json_string(value: str) -> str | None:
    """MLflow Tracing writes every attribute as JSON: a string value arrives quoted."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, str) and decoded else None
    return value or None


def _mlflow_operation(value: str) -> str | None:
    return _MLFLOW_SPAN_TYPES.get((_json_string(value) or "").upper())


def _vercel_provider(value: str) -> str | None:
    # "openai.chat" / "anthropic.messages" name the provider before the dot.
    return value.split(".", 1)[0] or None


PROMOTED_KEYS: dict[str, Sequence[str | tuple[str, Transform]]] = {
    "operation": (
        "gen_ai.operation.name",
        ("openinference.span.kind", _lookup(_OPENINFERENCE_KINDS)),
        ("traceloop.span.kind", _lookup(_TRACELOOP_KINDS)),
        ("llm.request.type", _lookup(_LLM_REQUEST_TYPES)),
        ("ai.operationId", _lookup(_VERCEL_OPERATIONS)),
        ("mlflow.spanType", _mlflow_operation),
        ("genkit:metadata:subtype", GENKIT_SUBTYPES.get),
        ("langfuse.observation.type", LANGFUSE_TYPES.get),
        ("span.type", VOLTAGENT_SPAN_TYPES.get),
        ("entity.type", VOLTAGENT_ENTITIES.get),
    ),
    "agent_name": ("gen_ai.agent.name", "agent.name", "agent_name", "gen_ai.agent.id", "weave.agent.name"),
    "request_model": (
        "gen_ai.request.model",
        "llm.request.model_name",
        "ai.model.id",
        ("mlflow.llm.model", _json_string),
        "langfuse.observation.model.name",
        "llm.model",
    ),
    "response_model": (
        "gen_ai.response.model",
        "llm.response.model_name",
        "llm.model_name",
        "ai.response.model",
    ),
    "provider": (
        "gen_ai.provider.name",
        "gen_ai.system",
        "llm.system",
        "llm.provider",
        ("ai.model.provider", _vercel_provider),
    ),
    "tool_name": ("gen_ai.tool.name", "tool.name", "ai.toolCall.name"),
    "conversation_id": (
        "gen_ai.conversation.id",
        "session.id",
        "langfuse.session.id",
        "traceloop.association.properties.session_id",
        "ai.telemetry.metadata.sessionId",
        "gcp.vertex.agent.session_id",
        "weave.conversation.id",
    ),
    "response_id": ("gen_ai.response.id", "ai.response.id"),
    "input_tokens": (
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.prompt_tokens",
        "llm.token_count.prompt",
        "ai.usage.inputTokens",
        "ai.usage.promptTokens",
        "llm.usage.prompt_tokens",
    ),
    "output_tokens": (
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
        "llm.token_count.completion",
        "ai.usage.outputTokens",
        "ai.usage.completionTokens",
        "llm.usage.completion_tokens",
    ),
}

PROMOTED_COLUMNS = SPAN_TEXT_COLUMNS + SPAN_INT_COLUMNS
_TRACELOOP_ENTITY = "traceloop.entity.name"
_VERCEL_FUNCTION = "ai.telemetry.functionId"
_MLFLOW_USAGE = "mlflow.chat.tokenUsage"
_MLFLOW_TYPE = "mlflow.spanType"
_LANGFUSE_USAGE = "langfuse.observation.usage_details"
_LANGFUSE_TYPE = "langfuse.observation.type"
_SCRATCH = len(PROMOTED_COLUMNS)  # slot for traceloop.entity.name, resolved after the scan
_USAGE = _SCRATCH + 1  # MLflow's or Langfuse's token usage, one JSON object for both counts
_KIND = _SCRATCH + 2  # "AGENT" where an agent's span is named after the agent (MLflow, Langfuse)
_GENKIT_OUTPUT = "genkit:output"
_GENKIT_OUT = _SCRATCH + 3  # a Genkit action's output: a model action's holds the call's usage
_WORST = 1 << 30
_INT64 = 1 << 63


def _build_slots() -> dict[str, tuple[int, int, Transform | None, bool]]:
    slots: dict[str, tuple[int, int, Transform | None, bool]] = {}
    for column, keys in PROMOTED_KEYS.items():
        index = PROMOTED_COLUMNS.index(column)
        for rank, entry in enumerate(keys):
            key, transform = (entry, None) if isinstance(entry, str) else entry
            slots[key] = (index, rank, transform, column in SPAN_INT_COLUMNS)
    slots[_TRACELOOP_ENTITY] = (_SCRATCH, 0, None, False)
    slots[_VERCEL_FUNCTION] = (_SCRATCH, 1, None, False)
    slots[_MLFLOW_USAGE] = (_USAGE, 0, None, False)
    slots[_LANGFUSE_USAGE] = (_USAGE, 1, None, False)
    slots[_GENKIT_OUTPUT] = (_GENKIT_OUT, 0, None, False)
    return slots


_SLOTS = _build_slots()
_READ = frozenset(_SLOTS) | {_MLFLOW_TYPE, _LANGFUSE_TYPE}
"""Every key whose value the promoter reads."""
_OPERATION = PROMOTED_COLUMNS.index("operation")
_AGENT = PROMOTED_COLUMNS.index("agent_name")


def promote(attributes: Iterable[Any], span_name: str) -> list[Any]:
    """Values of ``PROMOTED_COLUMNS`` for one span (None where no key is present).

    ``attributes`` are OTLP ``KeyValue`` messages; only keys in ``PROMOTED_KEYS`` (and the
    few others the promoter reads) have their values decoded.
    """
    return promote_decoded(((kv.key, any_value(kv.value)) for kv in attributes if kv.key in _READ), span_name)


def promote_read(attributes: Sequence[Any], decoded: dict[str, Any], span_name: str) -> list[Any]:
    """``promote`` of a span whose attributes a read has decoded already (``decoded``, from
    the same ``KeyValue``s): read from the decoded values, unless the span repeats a key
    (against OTLP's rules; the decoded dict holds its last value, the promoter the best
    ranked and first one)."""
    if len(decoded) == len(attributes):
        return promote_decoded(decoded.items(), span_name)
    return promote(attributes, span_name)


def promote_decoded(attributes: Iterable[tuple[str, Any]], span_name: str) -> list[Any]:
    """``promote`` from attributes as keys and decoded values (``ingest.codec.any_value``),
    in the order the span holds them."""
    values: list[Any] = [None] * (_GENKIT_OUT + 1)
    ranks = [_WORST] * (_GENKIT_OUT + 1)
    for key, raw in attributes:
        if key == _MLFLOW_TYPE:
            values[_KIND] = _json_string(_text_value(raw) or "")
        elif key == _LANGFUSE_TYPE:
            values[_KIND] = (_text_value(raw) or "").upper()

        slot = _SLOTS.get(key)
        if slot is None:
            continue
        index, rank, transform, numeric = slot
        if rank >= ranks[index]:
            continue
        value: int | str | None
        if numeric:
            value = _int_value(raw)
        elif index == _AGENT:
            value = text(raw) or None
        else:
            value = _text_value(raw)
            if value is not None and transform is not None:
                value = transform(value)
        if value is not None:
            values[index] = value
            ranks[index] = rank
    _fill_usage(values)
    _fill_genkit_usage(values)
    _fill_agent_name(values, span_name)
    return values[:_SCRATCH]


_INPUT, _OUTPUT = PROMOTED_COLUMNS.index("input_tokens"), PROMOTED_COLUMNS.index("output_tokens")
_RESPONSE_MODEL = PROMOTED_COLUMNS.index("response_model")


_USAGE_KEYS = (
    (PROMOTED_COLUMNS.index("input_tokens"), ("input_tokens", "prompt_tokens", "input")),
    (PROMOTED_COLUMNS.index("output_tokens"), ("output_tokens", "completion_tokens", "output")),
)
"""A usage object's counts under the names it may use: MLflow's and the OTel GenAI ones, the
OpenAI chat completions ones (Langfuse's OpenAI integration records the provider's usage as it
came), Langfuse's own (``{"input": N, "output": M}``)."""


def _fill_usage(values: list[Any]) -> None:
    """MLflow's ``mlflow.chat.tokenUsage`` / Langfuse's ``usage_details``: one JSON object
    with both counts (``{"input_tokens": N, "output_tokens": M, ...}``)."""
    if values[_USAGE] is None:
        return
    try:
        usage = json.loads(values[_USAGE])
    except ValueError:
        return
    if not isinstance(usage, dict):
        return
    for index, keys in _USAGE_KEYS:
        for key in keys:
            count = usage.get(key)
            if values[index] is None and isinstance(count, int) and not isinstance(count, bool) and 0 <= count < _INT64:
                values[index] = count


def _fill_genkit_usage(values: list[Any]) -> None:
    """A Genkit model action's response (``genkit:output``) holds the call's usage,
    ``{"usage": {"inputTokens": N, "outputTokens": M}}``, and the provider's raw response
    (``raw.model``). Only model actions: the ``generate`` loop repeats its last response's."""
    if values[_OPERATION] != "chat" or values[_GENKIT_OUT] is None:
        return
    try:
        response = json.loads(values[_GENKIT_OUT])
    except ValueError:
        return
    if not isinstance(response, dict):
        return
    usage = response.get("usage")
    for index, key in ((_INPUT, "inputTokens"), (_OUTPUT, "outputTokens")):
        count = usage.get(key) if isinstance(usage, dict) else None
        if values[index] is None and isinstance(count, int) and not isinstance(count, bool) and 0 <= count < _INT64:
            values[index] = count
    raw = response.get("raw")
    model = raw.get("model") if isinstance(raw, dict) else None
    if values[_RESPONSE_MODEL] is None and isinstance(model, str) and model:
        values[_RESPONSE_MODEL] = model


_METHOD_OF = re.compile(r"^(?P<agent>[A-Za-z_][\w-]*)\.(?P<method>[a-z_]+)$")
"""``weather_agent.run``: a span named after the method an agent object ran."""
_KIND_SUFFIXES = {"workflow", "task", "tool", "chat", "completion", "handoff"}
"""``crewai.workflow``, ``x.task``: Traceloop's names say what kind of span it is, not which
agent ran a method (a crew's workflow span is no agent called "crewai")."""


def _fill_agent_name(values: list[Any], span_name: str) -> None:
    """Agents named only by a Traceloop entity, a Vercel AI SDK function id, or by their
    span's name: ``invoke_agent X``, or ``X.run`` (the agent object's method: smolagents)."""
    if values[_AGENT] is not None or values[_OPERATION] != "invoke_agent":
        return
    method_of = _METHOD_OF.match(span_name)
    if values[_SCRATCH]:
        values[_AGENT] = values[_SCRATCH]
    elif values[_KIND] == "AGENT":  # MLflow and Langfuse name an agent's span after it (or its function)
        values[_AGENT] = span_name.strip() or None
    elif span_name.startswith("invoke_agent "):
        values[_AGENT] = span_name[len("invoke_agent ") :].strip() or None
    elif method_of and method_of.group("method") not in _KIND_SUFFIXES:
        values[_AGENT] = method_of.group("agent")


def _text_value(value: Any) -> str | None:
    """A text column's value: a string (none when empty), a number or boolean as its text;
    bytes, arrays and maps are none."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)):  # bool too: "True", as str() of the protobuf's bool
        return str(value)
    return None


def _int_value(value: Any) -> int | None:
    """A count column's value: an integer, a float that is one, or a string of one in int64
    range; a boolean is none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            parsed = int(value)
        except ValueError:
            return None
        return parsed if -_INT64 <= parsed < _INT64 else None
    return None
