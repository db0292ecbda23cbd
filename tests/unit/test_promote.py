from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList

from tracechat.ingest.codec import attributes
from tracechat.ingest.promote import PROMOTED_COLUMNS, promote, promote_read


def _kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _promoted(attributes: dict[str, Any], name: str = "span") -> dict[str, Any]:
    values = promote([_kv(k, v) for k, v in attributes.items()], name)
    return {column: value for column, value in zip(PROMOTED_COLUMNS, values, strict=True) if value is not None}


def test_otel_keys_win_over_older_ones_whatever_the_order() -> None:
    got = _promoted(
        {
            "gen_ai.system": "old",
            "gen_ai.provider.name": "openai",
            "llm.token_count.prompt": 1,
            "gen_ai.usage.input_tokens": 7,
            "session.id": "s",
            "gen_ai.conversation.id": "c",
        }
    )
    assert got == {"provider": "openai", "input_tokens": 7, "conversation_id": "c"}


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"openinference.span.kind": "LLM", "llm.model_name": "m"}, {"operation": "chat", "response_model": "m"}),
        ({"openinference.span.kind": "TOOL", "tool.name": "t"}, {"operation": "execute_tool", "tool_name": "t"}),
        ({"traceloop.span.kind": "workflow"}, {"operation": "invoke_workflow"}),
        ({"llm.request.type": "completion"}, {"operation": "text_completion"}),
        (
            {"ai.operationId": "ai.generateText.doGenerate", "ai.model.provider": "openai.chat"},
            {"operation": "chat", "provider": "openai"},
        ),
        ({"ai.usage.promptTokens": 3, "ai.usage.completionTokens": 4.0}, {"input_tokens": 3, "output_tokens": 4}),
        ({"gen_ai.usage.input_tokens": "12"}, {"input_tokens": 12}),
        ({"gen_ai.usage.input_tokens": "lots"}, {}),
        ({"gen_ai.usage.input_tokens": "9" * 40}, {}),
        ({"openinference.span.kind": "SOMETHING_NEW"}, {"operation": "something_new"}),
    ],
)
def test_conventions_map_to_the_same_columns(attributes: dict[str, Any], expected: dict[str, Any]) -> None:
    assert _promoted(attributes) == expected


def test_agent_name_from_span_name_or_traceloop_entity() -> None:
    assert _promoted({"gen_ai.operation.name": "invoke_agent"}, "invoke_agent Planner")["agent_name"] == "Planner"
    traceloop = {"traceloop.span.kind": "agent", "traceloop.entity.name": "Researcher"}
    assert _promoted(traceloop)["agent_name"] == "Researcher"
    # an entity name is not an agent name on other kinds of span
    assert "agent_name" not in _promoted({"traceloop.span.kind": "task", "traceloop.entity.name": "step"})
    # smolagents: an agent span named after the method its agent object ran
    assert _promoted({"openinference.span.kind": "AGENT"}, "weather_agent.run")["agent_name"] == "weather_agent"
    assert "agent_name" not in _promoted({"openinference.span.kind": "CHAIN"}, "weather_agent.run")
    # Traceloop names a span after its kind: a crew's `crewai.workflow` is no agent called crewai
    assert "agent_name" not in _promoted({"gen_ai.operation.name": "invoke_agent"}, "crewai.workflow")
    assert "agent_name" not in _promoted({"gen_ai.operation.name": "invoke_agent"}, "research.task")


def test_non_string_values_become_text() -> None:
    assert _promoted({"gen_ai.request.model": 4})["request_model"] == "4"


def test_vercel_function_id_names_the_agent_of_its_outer_span() -> None:
    outer = {"ai.operationId": "ai.generateText", "ai.telemetry.functionId": "weather-agent"}
    assert _promoted(outer)["agent_name"] == "weather-agent"
    inner = {"ai.operationId": "ai.generateText.doGenerate", "ai.telemetry.functionId": "weather-agent"}
    assert "agent_name" not in _promoted(inner)


def test_mlflow_span_type_model_and_token_usage() -> None:
    """MLflow writes every attribute as JSON: a quoted span type, one usage object."""
    got = _promoted(
        {
            "mlflow.spanType": '"CHAT_MODEL"',
            "mlflow.llm.model": '"gpt-4o"',
            "mlflow.chat.tokenUsage": '{"input_tokens": 30, "output_tokens": 7, "total_tokens": 37}',
        }
    )
    assert got == {"operation": "chat", "request_model": "gpt-4o", "input_tokens": 30, "output_tokens": 7}
    assert _promoted({"mlflow.spanType": '"TOOL"'})["operation"] == "execute_tool"
    assert "operation" not in _promoted({"mlflow.spanType": '"PARSER"'})
    # an MLflow agent span is named after the agent; other span types name no agent
    assert _promoted({"mlflow.spanType": '"AGENT"'}, "weather_bot")["agent_name"] == "weather_bot"
    assert "agent_name" not in _promoted({"mlflow.spanType": '"CHAIN"'}, "weather_bot")
    # the OTel keys still win
    assert (
        _promoted({"mlflow.chat.tokenUsage": '{"input_tokens": 30}', "gen_ai.usage.input_tokens": 5})["input_tokens"]
        == 5
    )


def test_langfuse_observation_type_model_and_usage_details() -> None:
    """The Langfuse SDK: the observation type is the operation, its usage one object whose
    counts go by OpenAI's names (its OpenAI integration) or Langfuse's own (``input``)."""
    openai_usage = '{"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37}'
    generation = {
        "langfuse.observation.type": "generation",
        "langfuse.observation.model.name": "gpt-4o",
        "langfuse.observation.usage_details": openai_usage,
    }
    assert _promoted(generation) == {
        "operation": "chat",
        "request_model": "gpt-4o",
        "input_tokens": 30,
        "output_tokens": 7,
    }
    own = {"langfuse.observation.type": "generation", "langfuse.observation.usage_details": '{"input": 4, "output": 2}'}
    assert (_promoted(own)["input_tokens"], _promoted(own)["output_tokens"]) == (4, 2)
    assert _promoted({"langfuse.observation.type": "tool"})["operation"] == "execute_tool"
    assert "operation" not in _promoted({"langfuse.observation.type": "span"})
    # an agent observation is named after the agent; a plain span names none
    assert _promoted({"langfuse.observation.type": "agent"}, "weather-agent")["agent_name"] == "weather-agent"
    assert "agent_name" not in _promoted({"langfuse.observation.type": "span"}, "weather-agent")


def test_genkit_subtype_and_a_model_actions_usage() -> None:
    """Genkit's action subtype is the operation; a model action's ``genkit:output`` holds the
    call's usage and the provider's raw response; the ``generate`` loop (a utility, no
    subtype) repeats its last response's usage, which is no call's."""
    output = '{"usage": {"inputTokens": 30, "outputTokens": 7}, "raw": {"model": "gpt-4o"}}'
    model = {"genkit:type": "action", "genkit:metadata:subtype": "model", "genkit:output": output}
    assert _promoted(model) == {"operation": "chat", "response_model": "gpt-4o", "input_tokens": 30, "output_tokens": 7}
    assert _promoted({"genkit:type": "util", "genkit:output": output}) == {}
    assert _promoted({"genkit:metadata:subtype": "tool"})["operation"] == "execute_tool"
    assert _promoted({"genkit:metadata:subtype": "flow"})["operation"] == "invoke_workflow"
    assert _promoted({"genkit:metadata:subtype": "agent"})["operation"] == "invoke_agent"
    assert "operation" not in _promoted({"genkit:metadata:subtype": "prompt"})


def test_voltagent_span_type_names_the_operation_and_a_model_operations_usage() -> None:
    """VoltAgent marks every span of an agent ``entity.type = agent``; the spans inside it say
    what they are in ``span.type`` (ranked first), so only the agent's own span is its run.
    A model operation's usage is ``llm.usage.*`` (the agent's ``usage.*`` sums its calls)."""
    llm = {
        "entity.type": "agent",
        "span.type": "llm",
        "llm.model": "gpt-4o-mini",
        "llm.usage.prompt_tokens": 236,
        "llm.usage.completion_tokens": 14,
    }
    assert _promoted(llm) == {
        "operation": "chat",
        "request_model": "gpt-4o-mini",
        "input_tokens": 236,
        "output_tokens": 14,
    }
    assert _promoted({"span.type": "tool", "entity.type": "agent"})["operation"] == "execute_tool"
    agent = _promoted({"entity.type": "agent", "usage.prompt_tokens": 384})
    assert agent == {"operation": "invoke_agent"}
    assert "operation" not in _promoted({"span.type": "web"})


_EVERY_KIND_OF_VALUE = [
    KeyValue(key="gen_ai.usage.input_tokens", value=AnyValue(bool_value=True)),  # no count
    KeyValue(key="gen_ai.usage.prompt_tokens", value=AnyValue(double_value=12.0)),
    KeyValue(key="gen_ai.usage.output_tokens", value=AnyValue(double_value=12.5)),  # no count
    KeyValue(key="gen_ai.usage.completion_tokens", value=AnyValue(string_value="34")),
    KeyValue(key="gen_ai.request.model", value=AnyValue(bool_value=True)),
    KeyValue(key="gen_ai.response.model", value=AnyValue(double_value=1.5)),
    KeyValue(key="gen_ai.provider.name", value=AnyValue(bytes_value=b"x")),  # no text
    KeyValue(key="gen_ai.system", value=AnyValue(string_value="sys")),
    KeyValue(
        key="gen_ai.agent.name",
        value=AnyValue(array_value=ArrayValue(values=[AnyValue(string_value="a"), AnyValue(int_value=2)])),
    ),
    KeyValue(
        key="gen_ai.tool.name",
        value=AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key="k", value=AnyValue(string_value="v"))])),
    ),
    KeyValue(key="gen_ai.conversation.id", value=AnyValue()),
    KeyValue(key="session.id", value=AnyValue(int_value=7)),
    KeyValue(key="gen_ai.operation.name", value=AnyValue(string_value="")),
    KeyValue(key="openinference.span.kind", value=AnyValue(string_value="LLM")),
]
_OF_EVERY_KIND = {
    "operation": "chat",
    "agent_name": '["a",2]',
    "request_model": "True",
    "response_model": "1.5",
    "provider": "sys",
    "tool_name": None,
    "conversation_id": "7",
    "response_id": None,
    "input_tokens": 12,
    "output_tokens": 34,
}


def test_values_of_every_kind_promote_alike_at_ingest_and_at_a_read() -> None:
    """A read promotes from the attributes it decoded (``promote_read``), ingest from the
    protobuf's ``KeyValue``s: booleans, floats, numeric text, bytes, arrays and maps give
    the same columns either way."""
    at_ingest = promote(_EVERY_KIND_OF_VALUE, "s")
    at_read = promote_read(_EVERY_KIND_OF_VALUE, attributes(_EVERY_KIND_OF_VALUE), "s")
    assert dict(zip(PROMOTED_COLUMNS, at_ingest, strict=True)) == _OF_EVERY_KIND
    assert at_read == at_ingest


def test_a_span_that_repeats_a_key_is_promoted_at_a_read_as_at_ingest() -> None:
    """OTLP forbids repeated keys; a sender that repeats one anyway has its first value in
    the columns ingest stored, while the decoded attributes hold its last: a read gives the
    stored columns, not the decoded dict's."""
    kvs = [_kv("gen_ai.request.model", "first"), _kv("gen_ai.request.model", "second")]
    decoded = attributes(kvs)
    assert decoded == {"gen_ai.request.model": "second"}
    index = PROMOTED_COLUMNS.index("request_model")
    assert promote(kvs, "s")[index] == "first"
    assert promote_read(kvs, decoded, "s")[index] == "first"
