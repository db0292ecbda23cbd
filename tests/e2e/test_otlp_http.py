"""OTLP/HTTP as the spec has it: protobuf and JSON bodies, answers in the request's
encoding, and a clear 4xx for every kind of bad input (never a 5xx)."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import httpx
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest as PB2TraceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse as PB2TraceResponse,
)

from tests.servers import InProcessServer, settings_for_test
from tracechat.ingest.codec import decode_log_payload, decode_span_payload

DATA = Path(__file__).parent.parent / "data"
JSON = {"Content-Type": "application/json"}
PROTOBUF = {"Content-Type": "application/x-protobuf"}
SPEC_TRACE = "5b8efff798038103d269b633813fc60c"


def _post(server: InProcessServer, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.otlp_http}{path}", content=body, headers=headers, timeout=30)


def _request(*span_ids: bytes, trace_id: bytes = b"\x01" * 16) -> PB2TraceRequest:
    request = PB2TraceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    for span_id in span_ids:
        scope.spans.add(trace_id=trace_id, span_id=span_id, name="s", start_time_unix_nano=1, end_time_unix_nano=2)
    return request


def test_spec_json_example_is_stored(server: InProcessServer) -> None:
    response = _post(server, "/v1/traces", (DATA / "spec_trace.json").read_bytes(), JSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}
    [span] = server.service.store.trace_spans("default", SPEC_TRACE)
    assert (span.fields.span_id, span.fields.parent_span_id, span.fields.kind, span.fields.status_code) == (
        "eee19b7ec3c1b174",
        "eee19b7ec3c1b173",
        2,
        2,
    )
    payload = decode_span_payload(span.raw)
    assert payload.attributes == {
        "my.span.attr": "some value",
        "retries": 3,
        "ratio": 0.25,
        "ok": True,
        "blob": b"hello",
        "list": ["x", 2],
        "map": {"k": "v"},
    }
    assert payload.links[0].trace_id == "0102030405060708090a0b0c0d0e0f10"


def test_spec_json_logs_are_stored_and_linked(server: InProcessServer) -> None:
    _post(server, "/v1/traces", (DATA / "spec_trace.json").read_bytes(), JSON)
    response = _post(server, "/v1/logs", (DATA / "spec_logs.json").read_bytes(), JSON)
    assert response.status_code == 200, response.text
    [log] = server.service.store.trace_logs("default", SPEC_TRACE)
    assert (log.span_id, log.event_name, log.severity_number) == ("eee19b7ec3c1b174", "gen_ai.user.message", 10)
    assert decode_log_payload(log.raw).body == {"content": "What's the weather?"}
    entry = server.service.store.trace("default", SPEC_TRACE)
    assert entry is not None
    assert (entry.span_count, entry.log_count) == (1, 1)


def test_protobuf_answer_is_protobuf(server: InProcessServer) -> None:
    response = _post(server, "/v1/traces", _request(b"\x02" * 8).SerializeToString(), PROTOBUF)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    assert not PB2TraceResponse.FromString(response.content).HasField("partial_success")


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_bodies(server: InProcessServer, encoding: str) -> None:
    body = _request(b"\x03" * 8).SerializeToString()
    if encoding == "gzip":
        packed = gzip.compress(body)
    elif encoding == "deflate":
        packed = zlib.compress(body)
    else:
        squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        packed = squeezer.compress(body) + squeezer.flush()
    header = "gzip" if encoding == "gzip" else "deflate"
    response = _post(server, "/v1/traces", packed, {**PROTOBUF, "Content-Encoding": header})
    assert response.status_code == 200, response.text


def test_bad_spans_are_reported_and_good_ones_kept(server: InProcessServer) -> None:
    request = _request(b"\x04" * 8, b"\x05" * 3, bytes(8), b"\x06" * 8)
    response = _post(server, "/v1/traces", request.SerializeToString(), PROTOBUF)
    assert response.status_code == 200
    partial = PB2TraceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 2
    assert "span_id must be 8 bytes, got 3" in partial.error_message
    assert "span_id is all zeros" in partial.error_message
    kept = {s.fields.span_id for s in server.service.store.trace_spans("default", "01" * 16)}
    assert kept == {"04" * 8, "06" * 8}


def test_wrong_trace_id_length_in_json_is_partial(server: InProcessServer) -> None:
    document = json.loads((DATA / "spec_trace.json").read_text())
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] = "abcd"
    response = _post(server, "/v1/traces", json.dumps(document).encode(), JSON)
    assert response.status_code == 200
    assert response.json()["partialSuccess"]["rejectedSpans"] == "1"
    assert "trace_id must be 16 bytes, got 2" in response.json()["partialSuccess"]["errorMessage"]


def _status(response: httpx.Response) -> status_pb2.Status:
    if response.headers["content-type"].startswith("application/json"):
        return status_pb2.Status(message=response.json()["message"], code=response.json()["code"])
    return status_pb2.Status.FromString(response.content)


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        (b"\xff\xfe not protobuf", PROTOBUF, 400, "not a valid OTLP protobuf"),
        (b"{not json", JSON, 400, "not valid JSON"),
        (b"[1, 2]", JSON, 400, "must be a JSON object"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}', JSON, 400, "not a hexadecimal"),
        (b'{"resourceSpans": "nope"}', JSON, 400, "not valid OTLP/JSON"),
        (b"hello", {"Content-Type": "text/plain"}, 415, "Content-Type 'text/plain' is not supported"),
        (b"hello", {}, 415, "is not supported"),
        (b"\x1f\x8b garbage", {**PROTOBUF, "Content-Encoding": "gzip"}, 400, "not valid gzip"),
        (b"x", {**PROTOBUF, "Content-Encoding": "br"}, 415, "Content-Encoding 'br' is not supported"),
    ],
)
def test_bad_requests_get_clear_4xx(
    server: InProcessServer, body: bytes, headers: dict[str, str], status: int, message: str
) -> None:
    response = _post(server, "/v1/traces", body, headers)
    assert response.status_code == status
    assert message in _status(response).message


def test_truncated_gzip_is_400(server: InProcessServer) -> None:
    packed = gzip.compress(_request(b"\x07" * 8).SerializeToString())[:-6]
    response = _post(server, "/v1/traces", packed, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert response.status_code == 400


def test_limits_are_measured_after_decompression(tmp_path: Path) -> None:
    server = InProcessServer(settings_for_test(tmp_path / "data", max_request_bytes=64 * 1024))
    try:
        bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))  # 50 MiB of zeros in ~50 KiB
        assert len(bomb) < 64 * 1024
        response = _post(server, "/v1/traces", bomb, {**PROTOBUF, "Content-Encoding": "gzip"})
        assert response.status_code == 413
        assert "after decompression" in _status(response).message
        plain = _post(server, "/v1/traces", b"\0" * (65 * 1024), PROTOBUF)
        assert plain.status_code == 413
        # the server is still up and still stores what fits
        fine = _post(server, "/v1/traces", _request(b"\x08" * 8).SerializeToString(), PROTOBUF)
        assert fine.status_code == 200
    finally:
        server.stop()


def test_wrong_method_and_path(server: InProcessServer) -> None:
    assert httpx.get(f"{server.otlp_http}/v1/traces").status_code == 405
    assert _post(server, "/v1/metrics", b"", PROTOBUF).status_code == 404


def test_an_unusable_project_name_is_refused_with_its_reason(server: InProcessServer) -> None:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue

    request = _request(b"\x0c" * 8)
    request.resource_spans[0].resource.attributes.add(key="tracechat.project", value=AnyValue(string_value="a/b"))
    response = _post(server, "/v1/traces", request.SerializeToString(), PROTOBUF)
    assert response.status_code == 400
    assert "project name 'a/b'" in _status(response).message


def _status(response: httpx.Response) -> status_pb2.Status:
    if response.headers["content-type"].startswith("application/json"):
        status = status_pb2.Status()
        status.message = response.json()["message"]
        status.code = response.json()["code"]
        return status
    return status_pb2.Status.FromString(response.content)


@pytest.mark.parametrize(
    ("path", "headers", "expected_type"),
    [
        ("/v1/trace", PROTOBUF, "application/x-protobuf"),
        ("/", JSON, "application/json"),
        ("/v1/logz", {}, "application/json"),
    ],
)
def test_an_unknown_path_answers_in_the_otlp_error_shape_naming_the_right_paths(
    server: InProcessServer, path: str, headers: dict[str, str], expected_type: str
) -> None:
    response = _post(server, path, _request(b"\x02" * 8).SerializeToString(), headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(expected_type)
    status = _status(response)
    assert status.code == 5  # NOT_FOUND
    assert f"no OTLP endpoint at {path}" in status.message
    assert "POST /v1/traces and POST /v1/logs" in status.message


def test_the_sdk_metrics_exporter_is_told_metrics_are_not_collected(server: InProcessServer) -> None:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    provider.get_meter("t").create_counter("requests").add(1)
    data = reader.get_metrics_data()
    assert data is not None
    exporter = OTLPMetricExporter(endpoint=f"{server.otlp_http}/v1/metrics")
    from opentelemetry.sdk.metrics.export import MetricExportResult

    assert exporter.export(data) is MetricExportResult.FAILURE
    provider.shutdown()
    response = _post(server, "/v1/metrics", b"", PROTOBUF)
    assert response.status_code == 404
    status = status_pb2.Status.FromString(response.content)
    assert status.message == "tracechat does not collect metrics; it serves POST /v1/traces and POST /v1/logs"


def test_a_wrong_method_is_405_in_the_otlp_error_shape(server: InProcessServer) -> None:
    response = httpx.get(f"{server.otlp_http}/v1/traces", timeout=30)
    assert response.status_code == 405
    assert response.json() == {
        "code": 12,  # UNIMPLEMENTED
        "message": "GET /v1/traces is not served; this receiver serves POST /v1/traces and POST /v1/logs",
    }
