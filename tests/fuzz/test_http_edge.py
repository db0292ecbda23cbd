"""Random bodies, content types and encodings at the OTLP/HTTP receiver and the trajectory
endpoint of a real server: always an answer, never a 5xx."""

from __future__ import annotations

import gzip
import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.servers import InProcessServer

EDGE = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)

bodies = st.one_of(
    st.binary(max_size=1024),
    st.recursive(
        st.none() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["resourceSpans", "scopeSpans", "spans", "traceId", "spanId", "name", "x"]),
                inner,
                max_size=4,
            )
        ),
        max_leaves=20,
    ).map(lambda doc: json.dumps(doc).encode()),
)


@EDGE
@given(
    bodies,
    st.sampled_from(["application/x-protobuf", "application/json", "text/plain", ""]),
    st.sampled_from(["", "gzip", "deflate", "zstd"]),
    st.booleans(),
    st.sampled_from(["/v1/traces", "/v1/logs"]),
)
def test_otlp_http_never_answers_5xx(
    server: InProcessServer, body: bytes, content_type: str, encoding: str, compress: bool, path: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    if encoding:
        headers["Content-Encoding"] = encoding
    payload = gzip.compress(body) if compress and encoding == "gzip" else body
    response = httpx.post(f"{server.otlp_http}{path}", content=payload, headers=headers, timeout=30)
    assert response.status_code < 500, response.text


@EDGE
@given(
    st.dictionaries(
        st.sampled_from(["project_id", "trace_id", "include_feedback", "x"]),
        st.none() | st.booleans() | st.integers() | st.text(max_size=40),
        max_size=4,
    )
)
def test_trajectory_endpoint_never_answers_5xx(server: InProcessServer, body: dict[str, object]) -> None:
    response = httpx.post(f"{server.api}/agents/traces/chat", json=body, timeout=30)
    assert response.status_code in (200, 403, 404, 422), response.text
