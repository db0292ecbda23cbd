"""The trace endpoints over real HTTP: contract shape, errors, isolation, lists, feedback
and content references."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import TypeAdapter

from tests.samples import ALL_TIME
from tests.servers import InProcessServer, settings_for_test
from tests.traces import BASE_NS, TraceBuilder, as_json
from tracechat.auth.keys import KeyRing, NewKey
from tracechat.ingest.otlp import Encoding, encode_logs_request, encode_trace_request
from tracechat.model.summaries import SpanList

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def send(server: InProcessServer, trace: TraceBuilder, project: str = "default", token: str | None = None) -> None:
    headers = {"Content-Type": "application/x-protobuf"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = trace.trace_request()
    request.resource_spans[0].resource.attributes.add(key="tracechat.project").value.string_value = project
    body = encode_trace_request(request, Encoding.PROTOBUF)
    assert httpx.post(f"{server.otlp_http}/v1/traces", content=body, headers=headers).status_code == 200
    if trace.logs:
        logs = trace.logs_request()
        logs.resource_logs[0].resource.attributes.add(key="tracechat.project").value.string_value = project
        body = encode_logs_request(logs, Encoding.PROTOBUF)
        assert httpx.post(f"{server.otlp_http}/v1/logs", content=body, headers=headers).status_code == 200


def weather_trace(error: bool = False, model: str = "gpt-4o", base_ns: int = BASE_NS) -> TraceBuilder:
    trace = TraceBuilder(base_ns=base_ns)
    agent = trace.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent"}, duration_ms=120)
    trace.span(
        "chat " + model,
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": model,
            "gen_ai.provider.name": "openai",
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 100,
            "gen_ai.input.messages": as_json(
                [
                    {
                        "role": "user",
                        "parts": [
                            {"type": "text", "content": "What is in this picture?"},
                            {
                                "type": "blob",
                                "modality": "image",
                                "mime_type": "image/png",
                                "content": base64.b64encode(PNG).decode(),
                            },
                        ],
                    }
                ]
            ),
            "gen_ai.output.messages": as_json(
                [{"role": "assistant", "parts": [{"type": "text", "content": "x" * 70_000}]}]
            ),
        },
        parent=agent,
        start_ms=1,
        error=error,
    )
    return trace


def test_trajectory_in_the_contract_shape(server: InProcessServer) -> None:
    trace = weather_trace()
    send(server, trace)
    response = httpx.post(
        f"{server.api}/agents/traces/chat", json={"project_id": "default", "trace_id": trace.trace_hex.upper()}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"trace_id", "root_span_name", "provider", "total_duration_ms", "messages", "feedback"}
    assert (body["root_span_name"], body["provider"], body["total_duration_ms"]) == (
        "invoke_agent weather",
        "openai",
        120,
    )
    for message in body["messages"]:
        entries = {
            "agent_start",
            "user_message",
            "assistant_message",
            "tool_call",
            "agent_handoff",
            "context_compacted",
        }
        assert set(message) == {"type", "span_id", "agent_name", "started_at", message["type"]}
        assert message["type"] in entries
        assert message["started_at"].endswith("Z")
    user = next(m["user_message"] for m in body["messages"] if m["type"] == "user_message")
    assert user["text"] == "What is in this picture?"
    [image_ref] = user["content_refs"]
    image = httpx.get(f"{server.api}/agents/traces/content/{image_ref}", params={"project_id": "default"})
    assert (image.status_code, image.headers["content-type"], image.content) == (200, "image/png", PNG)
    answer = next(m["assistant_message"] for m in body["messages"] if m["type"] == "assistant_message")
    assert len(answer["text"]) < 3000
    [text_ref] = answer["content_refs"]
    whole = httpx.get(f"{server.api}/agents/traces/content/{text_ref}")
    assert whole.text == "x" * 70_000
    assert httpx.get(f"{server.api}/agents/traces/content/{trace.trace_hex}.0000000000000002.00").status_code == 404


def test_the_span_list_is_the_json_fastapi_would_make_of_it(server: InProcessServer) -> None:
    # The route serializes the model itself (no second thread hop to validate it): the bytes
    # are those of FastAPI's own path for a response_model, Pydantic's JSON by alias, None kept.
    trace = weather_trace(error=True)
    send(server, trace)
    response = httpx.get(f"{server.api}/agents/traces/{trace.trace_hex}/spans")
    assert (response.status_code, response.headers["content-type"]) == (200, "application/json")
    spans = server.service.traces.spans("default", trace.trace_hex)
    assert response.content == TypeAdapter(SpanList).dump_json(spans, by_alias=True)
    assert b'"parent_span_id":null' in response.content


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"project_id": "default"},
        {"project_id": "default", "trace_id": "xyz"},
        {"trace_id": "ab" * 16},
        {"project_id": "default", "trace_id": "ab" * 16, "include_feedback": "maybe"},
    ],
)
def test_malformed_requests_are_422(server: InProcessServer, body: dict[str, object]) -> None:
    response = httpx.post(f"{server.api}/agents/traces/chat", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_unparseable_json_is_400_in_the_one_error_shape(server: InProcessServer) -> None:
    """Found by schemathesis: the framework's own errors used to answer ``{"detail": ...}``."""
    response = httpx.post(
        f"{server.api}/agents/traces/chat", content=b"\xa5P,4{f", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    wrong_method = httpx.delete(f"{server.api}/agents/traces/chat")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("offset", [2**64, 10**38])
def test_an_offset_beyond_64_bits_is_422_not_500(server: InProcessServer, offset: int) -> None:
    """Found by schemathesis: DuckDB overflowed on an unbounded offset."""
    for path in ("/agents/traces", "/api/v1/chats"):
        response = httpx.get(f"{server.api}{path}", params={"offset": offset})
        assert response.status_code == 422, path
        assert response.json()["error"]["code"] == "invalid_request"


def test_unknown_trace_is_404(server: InProcessServer) -> None:
    response = httpx.post(f"{server.api}/agents/traces/chat", json={"project_id": "default", "trace_id": "ab" * 16})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[tuple[InProcessServer, NewKey, NewKey]]:
    keys = KeyRing(tmp_path / "data" / "keys.json")
    alpha, beta = keys.create(project="alpha", admin=False), keys.create(project="beta", admin=False)
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    yield server, alpha, beta
    server.stop()


def test_keys_see_only_their_project(keyed: tuple[InProcessServer, NewKey, NewKey]) -> None:
    server, alpha, beta = keyed
    trace = weather_trace()
    send(server, trace, token=alpha.token)
    url = f"{server.api}/agents/traces/chat"
    request = {"project_id": "alpha", "trace_id": trace.trace_hex}
    assert httpx.post(url, json=request).status_code == 401
    assert (
        httpx.post(
            url, json=request, headers={"Authorization": "Basic " + base64.b64encode(b"tck_x:y").decode()}
        ).status_code
        == 401
    )
    assert httpx.post(url, json=request, headers={"Authorization": f"Basic {alpha.basic}"}).status_code == 200
    assert httpx.post(url, json=request, headers={"Authorization": f"Basic {beta.basic}"}).status_code == 403
    as_beta = {"project_id": "beta", "trace_id": trace.trace_hex}
    assert httpx.post(url, json=as_beta, headers={"Authorization": f"Basic {beta.basic}"}).status_code == 404
    listing = httpx.get(f"{server.api}/agents/traces", headers={"Authorization": f"Bearer {beta.token}"}).json()
    assert listing["total"] == 0
    assert (
        httpx.get(
            f"{server.api}/agents/traces",
            params={"project_id": "alpha"},
            headers={"Authorization": f"Bearer {beta.token}"},
        ).status_code
        == 403
    )


def test_list_filters_pages_and_reads_only_the_index(server: InProcessServer, clock: datetime) -> None:
    recent = time.time_ns() - 60 * 10**9
    traces = [
        weather_trace(base_ns=recent),
        weather_trace(error=True, base_ns=recent + 1),
        weather_trace(model="gpt-4o-mini", base_ns=recent + 2),
    ]
    old = weather_trace(base_ns=recent - 8 * 24 * 3600 * 10**9)  # outside the default window of 7 days
    for trace in [*traces, old]:
        send(server, trace)
    url = f"{server.api}/agents/traces"
    everything = httpx.get(url).json()
    assert everything["total"] == 3
    window_start = datetime.fromisoformat(everything["since"])
    assert abs(window_start - (clock - timedelta(days=7))) < timedelta(minutes=5)
    assert old.trace_hex not in {t["trace_id"] for t in everything["traces"]}
    all_time = httpx.get(url, params={"since": ALL_TIME}).json()
    assert (all_time["total"], all_time["traces"][-1]["trace_id"]) == (4, old.trace_hex)
    row = everything["traces"][0]
    assert set(row) >= {
        "trace_id",
        "root_span_name",
        "started_at",
        "duration_ms",
        "agents",
        "models",
        "span_count",
        "input_tokens",
        "output_tokens",
        "cost",
        "has_error",
    }
    assert (row["agents"], row["span_count"], row["input_tokens"], row["output_tokens"]) == (["weather"], 2, 1000, 100)
    assert row["cost"] > 0
    assert [t["trace_id"] for t in httpx.get(url, params={"has_error": "true"}).json()["traces"]] == [
        traces[1].trace_hex
    ]
    assert httpx.get(url, params={"model": "gpt-4o-mini"}).json()["total"] == 1
    assert httpx.get(url, params={"agent_name": "weather"}).json()["total"] == 3
    assert httpx.get(url, params={"q": "weather"}).json()["total"] == 3
    assert httpx.get(url, params={"q": traces[2].trace_hex}).json()["total"] == 1
    assert httpx.get(url, params={"since": "2100-01-01T00:00:00Z"}).json()["total"] == 0
    page = httpx.get(url, params={"limit": 2, "offset": 2}).json()
    assert (page["limit"], page["offset"], len(page["traces"]), page["total"]) == (2, 2, 1, 3)
    assert httpx.get(url, params={"limit": 0}).status_code == 422
    # with every span gone from the store, the list (filters and all) reads the same: it reads the index
    listed = {
        "all": httpx.get(url).json()["traces"],
        "error": httpx.get(url, params={"has_error": "true"}).json()["traces"],
        "model": httpx.get(url, params={"model": "gpt-4o-mini"}).json()["traces"],
    }
    cursor = server.service.store.cursor()
    cursor.execute("DELETE FROM spans")
    assert cursor.execute("SELECT count(*) FROM spans").fetchone() == (0,)
    assert httpx.get(url).json()["traces"] == listed["all"]
    assert httpx.get(url, params={"has_error": "true"}).json()["traces"] == listed["error"]
    assert httpx.get(url, params={"model": "gpt-4o-mini"}).json()["traces"] == listed["model"]


def test_feedback_from_the_api_and_from_spans(server: InProcessServer) -> None:
    trace = weather_trace()
    chat_span = "0000000000000002"
    annotation = {"annotations.0.annotation.name": "correctness", "annotations.0.annotation.score": 0.5}
    tool = {"gen_ai.operation.name": "execute_tool", **annotation}
    trace.span("score", tool, start_ms=200)  # on a span that is an entry
    plumbing = trace.span(
        "grader", {"annotations.0.annotation.name": "style", "annotations.0.annotation.score": 1}, start_ms=210
    )
    trace.log(
        chat_span,
        "gen_ai.evaluation.result",
        "",
        {"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.9},
    )
    send(server, trace)
    url = f"{server.api}/agents/traces/feedback"
    on_trace = {"project_id": "default", "trace_id": trace.trace_hex, "name": "thumbs", "label": "up", "author": "ana"}
    created = httpx.post(url, json=on_trace)
    assert created.status_code == 201
    assert created.json()["label"] == "up"
    on_span = {"project_id": "default", "trace_id": trace.trace_hex, "span_id": chat_span, "name": "tone", "score": 1}
    assert httpx.post(url, json=on_span).status_code == 201
    assert httpx.post(url, json={**on_trace, "label": None}).status_code == 422
    assert httpx.post(url, json={**on_trace, "trace_id": "cd" * 16}).status_code == 404
    body = httpx.post(
        f"{server.api}/agents/traces/chat",
        json={"project_id": "default", "trace_id": trace.trace_hex, "include_feedback": True},
    ).json()
    # feedback on a span that makes no entry (plumbing) is the trace's, naming its span
    assert {(f["name"], f["span_id"]) for f in body["feedback"]} == {("thumbs", None), ("style", plumbing)}
    step = next(m for m in body["messages"] if m["type"] == "tool_call" and m["tool_call"]["tool_name"] == "score")
    assert [(f["name"], f["score"], f["source"]) for f in step["feedback"]] == [
        ("correctness", 0.5, "openinference.annotation")
    ]
    on_chat = {f["name"] for m in body["messages"] if m["span_id"] == chat_span for f in m["feedback"]}
    assert on_chat == {"tone", "relevance"}
    plain = httpx.post(
        f"{server.api}/agents/traces/chat", json={"project_id": "default", "trace_id": trace.trace_hex}
    ).json()
    assert plain["feedback"] is None
    assert all("feedback" not in m for m in plain["messages"])


def test_openapi_documents_the_trace_endpoints(server: InProcessServer) -> None:
    schema = httpx.get(f"{server.api}/openapi.json").json()
    assert {"/agents/traces/chat", "/agents/traces", "/agents/traces/feedback", "/agents/traces/content/{ref}"} <= set(
        schema["paths"]
    )


@pytest.mark.parametrize(
    ("path", "params", "unknown"),
    [
        ("/agents/traces", {"agent": "weather_agent", "errors": "true"}, "'agent', 'errors'"),
        ("/api/v1/chats", {"sort": "title"}, "'sort'"),
        ("/healthz", {"verbose": "1"}, "'verbose'"),
    ],
)
def test_an_unknown_query_parameter_is_422_naming_the_accepted_ones(
    server: InProcessServer, path: str, params: dict[str, str], unknown: str
) -> None:
    response = httpx.get(f"{server.api}{path}", params=params)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message.startswith(f"unknown query parameter(s) {unknown}; this route takes: ")
    if path == "/agents/traces":
        assert message.endswith("agent_name, has_error, limit, model, offset, project_id, q, since, until")


def test_a_json_body_is_read_as_json_whatever_its_content_type(server: InProcessServer) -> None:
    trace = weather_trace()
    send(server, trace)
    body = as_json({"project_id": "default", "trace_id": trace.trace_hex})
    for content_type in ("application/x-www-form-urlencoded", "text/plain", None):
        headers = {"Content-Type": content_type} if content_type else {}
        answer = httpx.post(f"{server.api}/agents/traces/chat", content=body, headers=headers)
        assert answer.status_code == 200, (content_type, answer.text)
        assert answer.json()["trace_id"] == trace.trace_hex
    form = httpx.post(f"{server.api}/agents/traces/chat", data={"project_id": "default", "trace_id": trace.trace_hex})
    assert form.status_code == 415
    assert form.json()["error"] == {
        "code": "unsupported_media_type",
        "message": "this route takes a JSON body (Content-Type: application/json); "
        "the body sent (application/x-www-form-urlencoded) is not JSON",
    }


def test_a_tool_whose_result_says_it_failed_makes_its_trace_an_error_in_the_list(server: InProcessServer) -> None:
    """AgentScope ends a failed tool's span OK and records the caught exception's text as a
    ``ToolResponse`` of ``state: error``: its trace is listed with ``has_error`` (and under
    ``?has_error=true``), its span view says ERROR for that text, as its trajectory does;
    the trace whose tool answered (``state: success``) is no error."""
    recent = time.time_ns() - 60 * 10**9
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "c1"}
    traces = {}
    for offset, (state, text) in enumerate((("error", "weather service down"), ("success", "18C"))):
        trace = TraceBuilder(base_ns=recent + offset)
        agent = trace.span("invoke_agent weather", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "w"})
        response = {"content": [{"type": "text", "text": text, "id": "b1"}], "state": state, "metadata": {}, "id": "c1"}
        trace.span("execute_tool get_weather", {**tool, "gen_ai.tool.call.result": as_json(response)}, parent=agent)
        for span in trace.spans:
            span.status.code = 1  # OK, as AgentScope ends them
        send(server, trace)
        traces[state] = trace
    url = f"{server.api}/agents/traces"
    listed = {t["trace_id"]: t["has_error"] for t in httpx.get(url).json()["traces"]}
    assert listed == {traces["error"].trace_hex: True, traces["success"].trace_hex: False}
    assert [t["trace_id"] for t in httpx.get(url, params={"has_error": "true"}).json()["traces"]] == [
        traces["error"].trace_hex
    ]
    spans = httpx.get(f"{url}/{traces['error'].trace_hex}/spans").json()["spans"]
    assert [(s["name"], s["status_code"], s["status_message"]) for s in spans] == [
        ("invoke_agent weather", 1, None),
        ("execute_tool get_weather", 2, "weather service down"),
    ]
    for state, error in (("error", "weather service down"), ("success", None)):
        body = {"project_id": "default", "trace_id": traces[state].trace_hex}
        messages = httpx.post(f"{url}/chat", json=body).json()["messages"]
        [call] = [m["tool_call"] for m in messages if m["type"] == "tool_call"]
        assert call["error"] == error
