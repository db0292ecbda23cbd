"""A TraceQueryService client nobody here generated: node's @grpc/proto-loader loads proto/
as it is and @grpc/grpc-js calls GetTrajectory, WatchTrajectory and GetSessionTrajectory on a
served demo; what it gets is what the HTTP API returns (in proto3 JSON, tests/protojson.py).
The node side is tests/node/grpc_client.mjs; ``make test`` installs its packages (``npm ci``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.protojson import as_proto3
from tests.samples import ALL_TIME
from tests.servers import ChildServer
from tracechat.v1 import session_pb2 as pb_session
from tracechat.v1 import trajectory_pb2 as pb

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "tests" / "node"

_NODE = shutil.which("node")
if _NODE is None or not (NODE_DIR / "node_modules" / "@grpc" / "proto-loader" / "package.json").exists():
    if os.environ.get("CI"):
        raise RuntimeError("the node gRPC test needs node and `npm ci --prefix tests/node`; `make test` runs it")
    pytest.skip("node or tests/node/node_modules missing (npm ci --prefix tests/node)", allow_module_level=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    server = ChildServer.start(tmp_path_factory.mktemp("grpc-node") / "data", "--demo")
    yield server
    server.terminate()


def test_a_node_client_gets_what_the_http_api_returns(demo: ChildServer) -> None:
    listed = httpx.get(f"{demo.api}/agents/traces", params={"since": ALL_TIME, "limit": 500}).json()["traces"]
    busiest = max(listed, key=lambda t: t["span_count"])["trace_id"]
    sessions = httpx.get(f"{demo.api}/agents/sessions", params={"since": ALL_TIME, "limit": 500}).json()["sessions"]
    longest = max(sessions, key=lambda s: s["turns"])["session_id"]
    command = [str(_NODE), str(NODE_DIR / "grpc_client.mjs"), demo.grpc_endpoint, str(ROOT / "proto"), busiest, longest]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)

    http = httpx.post(f"{demo.api}/agents/traces/chat", json={"project_id": "default", "trace_id": busiest}).json()
    expected = as_proto3(http, pb.AgentChatTrajectory.DESCRIPTOR)
    assert len(expected["messages"]) > 3
    assert got["trajectory"] == expected
    assert got["watched"]["responses"] >= 1  # a trace already complete: one response, then quiet
    assert got["watched"]["messages"] == expected["messages"]

    body = {"project_id": "default", "session_id": longest}
    http_session = httpx.post(f"{demo.api}/agents/sessions/chat", json=body).json()
    expected_session = as_proto3(http_session, pb_session.SessionTrajectory.DESCRIPTOR)
    assert len(expected_session["traces"]) >= 2
    assert got["session"] == expected_session
