"""TraceQueryService (proto/tracechat/v1) on the OTLP/gRPC port of a real server: its answers
are the HTTP API's, in proto3 JSON (tests/protojson.py states the few differences), on every
sample trace and every sample session; keys, isolation and errors as the HTTP API has them; reflection and health."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import httpx
import pytest
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import grpc_exporter, make_agent_spans
from tests.protojson import as_proto3, proto_json
from tests.samples import ALL_TIME, SAMPLES, load_recent_samples, sample_trace_count
from tests.servers import InProcessServer, settings_for_test
from tests.traces import TraceBuilder, any_value
from tracechat.auth.keys import KeyRing, NewKey
from tracechat.ingest.otlp import Encoding, encode_trace_request
from tracechat.v1 import query_pb2 as q
from tracechat.v1 import query_pb2_grpc as qg
from tracechat.v1 import session_pb2 as pb_session
from tracechat.v1 import trajectory_pb2 as pb


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    server = InProcessServer(settings_for_test(tmp_path_factory.mktemp("grpc") / "data"))
    load_recent_samples(server.service.receiver)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stub(demo: InProcessServer) -> Iterator[qg.TraceQueryServiceStub]:
    with grpc.insecure_channel(demo.grpc_endpoint) as channel:
        yield qg.TraceQueryServiceStub(channel)


def all_traces(demo: InProcessServer) -> list[str]:
    listed = httpx.get(f"{demo.api}/agents/traces", params={"since": ALL_TIME, "limit": 500}).json()
    return [t["trace_id"] for t in listed["traces"]]


def test_every_sample_trajectory_is_the_http_one(demo: InProcessServer, stub: qg.TraceQueryServiceStub) -> None:
    trace_ids = all_traces(demo)[: sample_trace_count()]
    assert len(trace_ids) == sample_trace_count()
    span_id = None
    for trace_id in trace_ids:
        for include_feedback in (False, True):
            body = {"project_id": "default", "trace_id": trace_id, "include_feedback": include_feedback}
            http = httpx.post(f"{demo.api}/agents/traces/chat", json=body).json()
            got = stub.GetTrajectory(q.GetTrajectoryRequest(**body))
            assert proto_json(got) == as_proto3(http, pb.AgentChatTrajectory.DESCRIPTOR), trace_id
            span_id = span_id or next((m["span_id"] for m in http["messages"]), None)
    assert span_id is not None


def test_feedback_comes_through(demo: InProcessServer, stub: qg.TraceQueryServiceStub) -> None:
    trace_id = all_traces(demo)[0]
    first = httpx.post(f"{demo.api}/agents/traces/chat", json={"project_id": "default", "trace_id": trace_id}).json()
    span_id = first["messages"][0]["span_id"]
    for target in (None, span_id):
        note = {"name": "helpful", "score": 0.5, "label": "ok", "value": {"a": [1, "b", None]}, "comment": "c"}
        posted = httpx.post(
            f"{demo.api}/agents/traces/feedback",
            json={"project_id": "default", "trace_id": trace_id, "span_id": target, **note, "author": "me"},
        )
        assert posted.status_code == 201, posted.text
    body = {"project_id": "default", "trace_id": trace_id, "include_feedback": True}
    http = httpx.post(f"{demo.api}/agents/traces/chat", json=body).json()
    got = stub.GetTrajectory(q.GetTrajectoryRequest(**body))
    assert got.feedback[0].value.struct_value["a"][2] is None
    assert [f.name for f in got.messages[0].feedback] == ["helpful"]
    assert proto_json(got) == as_proto3(http, pb.AgentChatTrajectory.DESCRIPTOR)


def test_extension_fields_come_through(demo: InProcessServer, stub: qg.TraceQueryServiceStub) -> None:
    spans = make_agent_spans(turns=2)  # its last tool call fails
    exporter = grpc_exporter(demo.grpc_endpoint)
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    body = {"project_id": "default", "trace_id": format(spans[0].context.trace_id, "032x")}
    http = httpx.post(f"{demo.api}/agents/traces/chat", json=body).json()
    got = stub.GetTrajectory(q.GetTrajectoryRequest(**body))
    assert proto_json(got) == as_proto3(http, pb.AgentChatTrajectory.DESCRIPTOR)
    tools = [m.tool_call for m in got.messages if m.WhichOneof("entry") == "tool_call"]
    assert [t.error if t.HasField("error") else None for t in tools] == [None, "tool failed"]
    samples = [stub.GetTrajectory(q.GetTrajectoryRequest(project_id="default", trace_id=t)) for t in all_traces(demo)]
    calls = [m.assistant_message for t in samples for m in t.messages if m.WhichOneof("entry") == "assistant_message"]
    assert any(c.tool_calls for c in calls)
    assert any(c.HasField("finish_reason") for c in calls)


@pytest.mark.parametrize(
    "params",
    [
        {"since": ALL_TIME, "limit": 500},
        {"since": ALL_TIME, "limit": 3, "offset": 2},
        {"since": ALL_TIME, "q": "weather"},
        {"since": ALL_TIME, "has_error": True},
        {"since": ALL_TIME, "model": "gpt-4o-mini", "agent_name": "weather-agent"},
        {"since": ALL_TIME, "until": "2000-01-01T00:00:00Z"},
    ],
)
def test_the_trace_list_is_the_http_one(
    demo: InProcessServer, stub: qg.TraceQueryServiceStub, params: dict[str, object]
) -> None:
    http = httpx.get(f"{demo.api}/agents/traces", params=params).json()
    request = q.ListTracesRequest(**{k: v for k, v in params.items() if k not in ("since", "until")})
    request.since.FromJsonString(str(params["since"]))
    if "until" in params:
        request.until.FromJsonString(str(params["until"]))
    got = stub.ListTraces(request)
    assert proto_json(got) == as_proto3(http, pb.TraceList.DESCRIPTOR)
    if "q" in params:
        assert any(t.matches for t in got.traces), "a text search says which spans matched"


def test_the_default_window_and_limit_are_the_http_ones(demo: InProcessServer, stub: qg.TraceQueryServiceStub) -> None:
    got = stub.ListTraces(q.ListTracesRequest())
    http = httpx.get(f"{demo.api}/agents/traces").json()
    assert (got.limit, got.total) == (http["limit"], http["total"])
    assert abs(got.since.ToDatetime(tzinfo=UTC) - datetime.fromisoformat(http["since"])) < timedelta(seconds=10)
    assert [t.trace_id for t in got.traces] == [t["trace_id"] for t in http["traces"]]


SESSION_CASES = sorted(p.name for p in SAMPLES.glob("*-session") if (p / "requests").is_dir())


def test_every_sample_session_is_the_http_one(demo: InProcessServer, stub: qg.TraceQueryServiceStub) -> None:
    listed = httpx.get(f"{demo.api}/agents/sessions", params={"since": ALL_TIME, "limit": 500}).json()
    conversations = [s["session_id"] for s in listed["sessions"] if s["turns"] >= 2]
    assert len(conversations) >= len(SESSION_CASES) >= 4, (conversations, SESSION_CASES)
    for session_id in [s["session_id"] for s in listed["sessions"]]:
        for include_feedback in (False, True):
            body = {"project_id": "default", "session_id": session_id, "include_feedback": include_feedback}
            http = httpx.post(f"{demo.api}/agents/sessions/chat", json=body).json()
            got = stub.GetSessionTrajectory(q.GetSessionTrajectoryRequest(**body))
            assert proto_json(got) == as_proto3(http, pb_session.SessionTrajectory.DESCRIPTOR), session_id
            assert got.messages
            assert {m.trace_id for m in got.messages} <= {t.trace_id for t in got.traces}
    session_id = conversations[0]
    http = httpx.post(f"{demo.api}/agents/sessions/chat", json={"project_id": "default", "session_id": session_id})
    first = http.json()["traces"][0]["trace_id"]
    note = {"project_id": "default", "trace_id": first, "name": "helpful", "value": {"a": [1, None]}}
    assert httpx.post(f"{demo.api}/agents/traces/feedback", json=note).status_code == 201
    body = {"project_id": "default", "session_id": session_id, "include_feedback": True}
    http = httpx.post(f"{demo.api}/agents/sessions/chat", json=body)
    got = stub.GetSessionTrajectory(q.GetSessionTrajectoryRequest(**body))
    assert "helpful" in [f.name for f in got.traces[0].feedback]
    assert proto_json(got) == as_proto3(http.json(), pb_session.SessionTrajectory.DESCRIPTOR)


def test_a_session_message_parses_as_an_agent_chat_message(
    stub: qg.TraceQueryServiceStub, demo: InProcessServer
) -> None:
    listed = httpx.get(f"{demo.api}/agents/sessions", params={"since": ALL_TIME}).json()["sessions"]
    got = stub.GetSessionTrajectory(
        q.GetSessionTrajectoryRequest(project_id="default", session_id=listed[0]["session_id"])
    )
    for message in got.messages:
        same = pb.AgentChatMessage.FromString(message.SerializeToString())
        expected = proto_json(message)
        del expected["trace_id"]
        assert proto_json(same) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"since": ALL_TIME, "limit": 500},
        {"since": ALL_TIME, "limit": 2, "offset": 1},
        {"since": ALL_TIME, "agent_name": "weather_agent"},
        {"since": ALL_TIME, "until": "2000-01-01T00:00:00Z"},
    ],
)
def test_the_session_list_is_the_http_one(
    demo: InProcessServer, stub: qg.TraceQueryServiceStub, params: dict[str, object]
) -> None:
    http = httpx.get(f"{demo.api}/agents/sessions", params=params).json()
    request = q.ListSessionsRequest(**{k: v for k, v in params.items() if k not in ("since", "until")})
    request.since.FromJsonString(str(params["since"]))
    if "until" in params:
        request.until.FromJsonString(str(params["until"]))
    got = stub.ListSessions(request)
    assert proto_json(got) == as_proto3(http, pb_session.SessionList.DESCRIPTOR)
    if params.get("limit") == 500:
        assert len(got.sessions) >= len(SESSION_CASES)
    if "agent_name" in params:
        assert 0 < len(got.sessions) < stub.ListSessions(q.ListSessionsRequest(since=request.since)).total


def test_the_default_session_window_is_the_http_one(demo: InProcessServer, stub: qg.TraceQueryServiceStub) -> None:
    got = stub.ListSessions(q.ListSessionsRequest())
    http = httpx.get(f"{demo.api}/agents/sessions").json()
    assert (got.limit, got.total) == (http["limit"], http["total"])
    assert abs(got.since.ToDatetime(tzinfo=UTC) - datetime.fromisoformat(http["since"])) < timedelta(seconds=10)


def _code_and_message(call: grpc.RpcError) -> tuple[grpc.StatusCode, str]:
    return call.code(), call.details()


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({"project_id": "default", "trace_id": "xyz"}, "trace_id: String should match pattern '^[0-9a-fA-F]{32}$'"),
        ({"project_id": "", "trace_id": "a" * 32}, "project_id: String should have at least 1 character"),
    ],
)
def test_malformed_requests_are_invalid_argument(
    stub: qg.TraceQueryServiceStub, request_fields: dict[str, str], message: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetTrajectory(q.GetTrajectoryRequest(**request_fields))
    assert _code_and_message(raised.value) == (grpc.StatusCode.INVALID_ARGUMENT, message)


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({"project_id": "default", "session_id": ""}, "session_id: String should have at least 1 character"),
        ({"project_id": "default", "session_id": "s" * 513}, "session_id: String should have at most 512 characters"),
        ({"project_id": "", "session_id": "s"}, "project_id: String should have at least 1 character"),
    ],
)
def test_malformed_session_requests_are_invalid_argument(
    demo: InProcessServer, stub: qg.TraceQueryServiceStub, request_fields: dict[str, str], message: str
) -> None:
    http = httpx.post(f"{demo.api}/agents/sessions/chat", json=request_fields)
    assert http.status_code == 422
    assert message in http.json()["error"]["message"]
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetSessionTrajectory(q.GetSessionTrajectoryRequest(**request_fields))
    assert _code_and_message(raised.value) == (grpc.StatusCode.INVALID_ARGUMENT, message)


@pytest.mark.parametrize(
    ("request_fields", "fragment"), [({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"offset": -1}, "offset")]
)
def test_bad_session_list_parameters_are_invalid_argument(
    stub: qg.TraceQueryServiceStub, request_fields: dict[str, object], fragment: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListSessions(q.ListSessionsRequest(**request_fields))
    code, message = _code_and_message(raised.value)
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert message.startswith(fragment + ":")


def test_unknown_session_is_not_found_with_the_http_message(
    demo: InProcessServer, stub: qg.TraceQueryServiceStub
) -> None:
    body = {"project_id": "default", "session_id": "no-such-session"}
    http = httpx.post(f"{demo.api}/agents/sessions/chat", json=body)
    assert http.status_code == 404
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetSessionTrajectory(q.GetSessionTrajectoryRequest(**body))
    assert _code_and_message(raised.value) == (grpc.StatusCode.NOT_FOUND, http.json()["error"]["message"])


@pytest.mark.parametrize(
    ("request_fields", "fragment"),
    [({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"offset": -1}, "offset"), ({"q": "x" * 201}, "q")],
)
def test_bad_list_parameters_are_invalid_argument(
    stub: qg.TraceQueryServiceStub, request_fields: dict[str, object], fragment: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListTraces(q.ListTracesRequest(**request_fields))
    code, message = _code_and_message(raised.value)
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert message.startswith(fragment + ":")


def test_unknown_trace_is_not_found_with_the_http_message(
    demo: InProcessServer, stub: qg.TraceQueryServiceStub
) -> None:
    body = {"project_id": "default", "trace_id": "f" * 32}
    http = httpx.post(f"{demo.api}/agents/traces/chat", json=body).json()
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetTrajectory(q.GetTrajectoryRequest(**body))
    assert _code_and_message(raised.value) == (grpc.StatusCode.NOT_FOUND, http["error"]["message"])


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[tuple[InProcessServer, NewKey, NewKey]]:
    keys = KeyRing(tmp_path / "data" / "keys.json")
    alpha, beta = keys.create(project="alpha", admin=False), keys.create(project="beta", admin=False)
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    yield server, alpha, beta
    server.stop()


def test_keys_and_isolation_as_over_http(keyed: tuple[InProcessServer, NewKey, NewKey]) -> None:
    server, alpha, beta = keyed
    spans = make_agent_spans(turns=1)
    exporter = grpc_exporter(server.grpc_endpoint, headers={"authorization": f"Bearer {alpha.token}"})
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    trace_id = format(spans[0].context.trace_id, "032x")

    def ask(project: str, authorization: str | None, session: bool = False) -> tuple[grpc.StatusCode, int]:
        """The gRPC code and the HTTP status of one trajectory (or session trajectory)
        request; the messages must match."""
        headers = {"Authorization": authorization} if authorization else {}
        if session:
            path, body = "/agents/sessions/chat", {"project_id": project, "session_id": "conv-1"}
        else:
            path, body = "/agents/traces/chat", {"project_id": project, "trace_id": trace_id}
        http = httpx.post(f"{server.api}{path}", json=body, headers=headers)
        metadata = [("authorization", authorization)] if authorization else []
        code, details = grpc.StatusCode.OK, None
        with grpc.insecure_channel(server.grpc_endpoint) as channel:
            stub = qg.TraceQueryServiceStub(channel)
            try:
                if session:
                    stub.GetSessionTrajectory(q.GetSessionTrajectoryRequest(**body), metadata=metadata)
                else:
                    stub.GetTrajectory(q.GetTrajectoryRequest(**body), metadata=metadata)
            except grpc.RpcError as exc:
                code, details = exc.code(), exc.details()
        assert details == (http.json()["error"]["message"] if http.status_code != 200 else None)
        return code, http.status_code

    assert ask("alpha", None) == (grpc.StatusCode.UNAUTHENTICATED, 401)
    assert ask("alpha", "Bearer tck_x.nope") == (grpc.StatusCode.UNAUTHENTICATED, 401)
    assert ask("alpha", f"Bearer {alpha.token}") == (grpc.StatusCode.OK, 200)
    assert ask("alpha", f"Basic {alpha.basic}") == (grpc.StatusCode.OK, 200)
    assert ask("alpha", f"Bearer {beta.token}") == (grpc.StatusCode.PERMISSION_DENIED, 403)
    assert ask("beta", f"Bearer {beta.token}") == (grpc.StatusCode.NOT_FOUND, 404)
    assert ask("alpha", None, session=True) == (grpc.StatusCode.UNAUTHENTICATED, 401)
    assert ask("alpha", f"Bearer {alpha.token}", session=True) == (grpc.StatusCode.OK, 200)
    assert ask("alpha", f"Bearer {beta.token}", session=True) == (grpc.StatusCode.PERMISSION_DENIED, 403)
    assert ask("beta", f"Bearer {beta.token}", session=True) == (grpc.StatusCode.NOT_FOUND, 404)
    with grpc.insecure_channel(server.grpc_endpoint) as channel:
        own = qg.TraceQueryServiceStub(channel).ListTraces(
            q.ListTracesRequest(), metadata=[("authorization", f"Bearer {beta.token}")]
        )
        assert own.total == 0  # beta's own project: alpha's trace is not there
        sessions = qg.TraceQueryServiceStub(channel).ListSessions
        beta_key, alpha_key = [("authorization", f"Bearer {beta.token}")], [("authorization", f"Bearer {alpha.token}")]
        assert sessions(q.ListSessionsRequest(), metadata=beta_key).total == 0  # nor its session
        assert [s.session_id for s in sessions(q.ListSessionsRequest(), metadata=alpha_key).sessions] == ["conv-1"]
        with pytest.raises(grpc.RpcError) as raised:
            sessions(q.ListSessionsRequest(project_id="alpha"), metadata=beta_key)
        assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
        watch = qg.TraceQueryServiceStub(channel).WatchTrajectory(
            q.WatchTrajectoryRequest(project_id="alpha", trace_id=trace_id),
            metadata=[("authorization", f"Bearer {beta.token}")],
        )
        with pytest.raises(grpc.RpcError) as raised:
            next(watch)
        assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED


def test_reflection_and_health_answer_unconfigured(demo: InProcessServer) -> None:
    with grpc.insecure_channel(demo.grpc_endpoint) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "tracechat.v1.TraceQueryService", "opentelemetry.proto.collector.trace.v1.TraceService"):
            answer = health.Check(health_pb2.HealthCheckRequest(service=service))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
        listed = next(reflect.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
        names = {s.name for s in listed.list_services_response.service}
        assert {
            "tracechat.v1.TraceQueryService",
            "opentelemetry.proto.collector.trace.v1.TraceService",
            "opentelemetry.proto.collector.logs.v1.LogsService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
        } <= names
        # what grpcurl does next: build the service's descriptors from the server's answers
        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        method = pool.FindServiceByName("tracechat.v1.TraceQueryService").methods_by_name["WatchTrajectory"]
        assert method.output_type.fields_by_name["changes"].message_type.name == "MessageChange"
        assert method.server_streaming


def test_a_trajectory_larger_than_grpcs_default_limit_is_served(demo: InProcessServer) -> None:
    trace = TraceBuilder()
    for n in range(90):  # 90 tool results of 60 KB: about 5.4 MB of trajectory
        attributes = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "read"}
        trace.span("execute_tool read", {**attributes, "gen_ai.tool.call.result": f"{n:02d}" + "x" * 60_000})
    request = trace.trace_request()
    # a project of its own: the other tests read every trace of "default" with default limits
    request.resource_spans[0].resource.attributes.add(key="tracechat.project", value=any_value("large"))
    body = encode_trace_request(request, Encoding.PROTOBUF)
    headers = {"Content-Type": "application/x-protobuf"}
    assert httpx.post(f"{demo.otlp_http}/v1/traces", content=body, headers=headers).status_code == 200
    options = [("grpc.max_receive_message_length", 64 << 20)]
    with grpc.insecure_channel(demo.grpc_endpoint, options=options) as channel:
        got = qg.TraceQueryServiceStub(channel).GetTrajectory(
            q.GetTrajectoryRequest(project_id="large", trace_id=trace.trace_hex)
        )
    assert got.ByteSize() > 4 << 20
    assert [m.tool_call.tool_result[:2] for m in got.messages] == [f"{n:02d}" for n in range(90)]
