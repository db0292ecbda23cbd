"""What each ``--role`` of an Iceberg node serves: an ingest node receives OTLP and answers
health and metrics, and nothing of the API; a query node has no writer, opens no OTLP/HTTP
port and refuses an OTLP/gRPC export with a clear status, and serves the API, the viewer and
the gRPC queries; an ``all`` node does both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.contract.test_search import travel_trace
from tests.otel import http_exporter, make_agent_spans
from tests.postgres import PostgresServer
from tests.samples import ALL_TIME
from tests.servers import InProcessServer, settings_for_test
from tracechat.store.iceberg.store import NoWriter
from tracechat.v1 import query_pb2 as q
from tracechat.v1 import query_pb2_grpc as qg
from tracechat.v1 import trajectory_pb2 as pb

OTLP_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


@pytest.fixture
def nodes(postgres: PostgresServer, tmp_path: Path) -> Iterator[dict[str, InProcessServer]]:
    uri, warehouse = postgres.create_database(), (tmp_path / "warehouse").as_uri()
    started: dict[str, InProcessServer] = {}
    try:
        for role in ("ingest", "query", "all"):
            settings = settings_for_test(
                tmp_path / role, store="iceberg", catalog_uri=uri, warehouse=warehouse, role=role
            )
            started[role] = InProcessServer(settings)
        yield started
    finally:
        for node in started.values():
            node.stop()


def _health(endpoint: str, service: str = "") -> int:
    with grpc.insecure_channel(endpoint) as channel:
        found = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
    status: int = found.status
    return status


def _list(endpoint: str) -> pb.TraceList | grpc.RpcError:
    request = q.ListTracesRequest(project_id="default")
    request.since.FromJsonString("1970-01-01T00:00:00Z")
    with grpc.insecure_channel(endpoint) as channel:
        try:
            found: pb.TraceList = qg.TraceQueryServiceStub(channel).ListTraces(request, timeout=10)
        except grpc.RpcError as exc:
            return exc
    return found


def test_an_ingest_node_receives_and_answers_health_only(nodes: dict[str, InProcessServer]) -> None:
    ingest, query = nodes["ingest"], nodes["query"]
    spans = make_agent_spans(turns=1)
    assert http_exporter(ingest.otlp_http).export(spans) is SpanExportResult.SUCCESS
    health = httpx.get(f"{ingest.api}/healthz")
    assert (health.status_code, health.json()["status"]) == (200, "ok")
    assert httpx.get(f"{ingest.api}/metrics").status_code == 200
    for path in ("/agents/traces?project_id=default", "/", "/docs", "/api/v1/chats", "/openapi.json"):
        refused = httpx.get(f"{ingest.api}{path}")
        assert refused.status_code == 404, path
        error = refused.json()["error"]
        assert error["code"] == "not_found"
        assert "--role ingest" in error["message"]
    assert _health(ingest.grpc_endpoint) == health_pb2.HealthCheckResponse.SERVING
    answer = _list(ingest.grpc_endpoint)
    assert isinstance(answer, grpc.RpcError)
    assert answer.code() is grpc.StatusCode.UNIMPLEMENTED  # no query service on an ingest node
    listed = httpx.get(f"{query.api}/agents/traces", params={"project_id": "default"}).json()
    assert [t["span_count"] for t in listed["traces"]] == [len(spans)]  # stored, read on the query node


def test_a_query_node_has_no_writer_and_refuses_otlp(nodes: dict[str, InProcessServer]) -> None:
    ingest, query = nodes["ingest"], nodes["query"]
    assert isinstance(query.service.store.writer, NoWriter)
    assert not isinstance(ingest.service.store.writer, NoWriter)
    assert query.ports.otlp_http == 0
    with grpc.insecure_channel(query.grpc_endpoint) as channel:
        export = channel.unary_unary(OTLP_EXPORT)
        with pytest.raises(grpc.RpcError) as refused:
            export(ExportTraceServiceRequest().SerializeToString(), timeout=10)
    assert refused.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert "--role query" in (refused.value.details() or "")
    assert http_exporter(ingest.otlp_http).export(make_agent_spans(turns=1)) is SpanExportResult.SUCCESS
    answer = _list(query.grpc_endpoint)
    assert not isinstance(answer, grpc.RpcError)
    assert len(answer.traces) == 1
    assert httpx.get(f"{query.api}/").status_code == 200  # the viewer
    assert httpx.get(f"{query.api}/healthz").json()["write_queue_bytes"] == 0


def test_an_all_node_receives_and_answers(nodes: dict[str, InProcessServer]) -> None:
    node = nodes["all"]
    assert http_exporter(node.otlp_http).export(make_agent_spans(turns=1)) is SpanExportResult.SUCCESS
    listed = httpx.get(f"{node.api}/agents/traces", params={"project_id": "default"}).json()
    assert len(listed["traces"]) == 1
    answer = _list(node.grpc_endpoint)
    assert not isinstance(answer, grpc.RpcError)
    assert len(answer.traces) == 1


def test_a_word_said_through_a_receiver_is_found_in_the_query_nodes_list(nodes: dict[str, InProcessServer]) -> None:
    """The viewer's list (``GET /agents/traces?q=``) on a query node finds a trace by a word
    that only a message's content holds, sent through an ingest node."""
    trace = travel_trace(question="Is the Gulbenkian open on Mondays?")
    sent = httpx.post(
        f"{nodes['ingest'].otlp_http}/v1/traces",
        content=trace.trace_request().SerializeToString(),
        headers={"content-type": "application/x-protobuf"},
    )
    assert sent.status_code == 200
    # acknowledged without its text: the query and all nodes' indexers take it from the queue
    assert nodes["query"].service.store.wait_searchable(30)
    params = {"project_id": "default", "q": "gulbenkian mondays", "since": ALL_TIME}
    for node in (nodes["query"], nodes["all"]):
        listed = httpx.get(f"{node.api}/agents/traces", params=params).json()
        assert [t["trace_id"] for t in listed["traces"]] == [trace.trace_hex]
        assert [(m["field"], m["snippet"]) for m in listed["traces"][0]["matches"]] == [
            ("user_message", "Is the Gulbenkian open on Mondays?")
        ]
    assert httpx.get(f"{nodes['query'].api}/agents/traces", params={**params, "q": "louvre"}).json()["total"] == 0
