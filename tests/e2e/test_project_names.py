"""One project-name rule wherever a name enters: key creation (library and CLI), the OTLP
resource, API parameters, export paths. A name made to climb directories is refused, and
export never writes outside its directory, even for a name stored before the rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import http_exporter, make_agent_spans
from tests.servers import InProcessServer
from tests.traces import TraceBuilder
from tracechat.auth.keys import KeyRing
from tracechat.errors import InvalidInput
from tracechat.model.projects import path_component, readable_project, valid_project
from tracechat.store.duck import DuckDBStore

CLIMBER = "x/../../../../trav/escaped"


def _tracechat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracechat", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", [CLIMBER, "..", ".hidden", "a b", "é", "", "x" * 129, "shop:analyst"])
def test_the_rule_refuses_names_that_are_not_plain(name: str) -> None:
    with pytest.raises(InvalidInput):
        valid_project(name)


def test_reads_may_name_an_analyst_project_but_not_a_climber() -> None:
    assert readable_project("shop:analyst") == "shop:analyst"
    for name in (CLIMBER, CLIMBER + ":analyst", "shop:analyst:analyst"):
        with pytest.raises(InvalidInput):
            readable_project(name)


def test_a_key_for_a_climbing_project_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="must be 1-128 letters"):
        KeyRing(tmp_path / "keys.json").create(project=CLIMBER, admin=False)
    result = _tracechat("keys", "create", "--project", CLIMBER, "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "must be 1-128 letters" in result.stderr
    assert not (tmp_path / "keys.json").exists()


def test_the_otlp_resource_and_api_parameters_follow_the_rule(server: InProcessServer) -> None:
    spans = make_agent_spans(turns=1, resource={"tracechat.project": CLIMBER})
    assert http_exporter(server.otlp_http).export(spans) is SpanExportResult.FAILURE
    assert server.service.store.span_count() == 0
    for path in ("/agents/traces", "/api/v1/chats"):
        response = httpx.get(f"{server.api}{path}", params={"project_id": CLIMBER}, timeout=30)
        assert response.status_code == 400, path
        assert "must be 1-128 letters" in response.json()["error"]["message"]
    trajectory = httpx.post(
        f"{server.api}/agents/traces/chat", json={"project_id": CLIMBER, "trace_id": "ab" * 16}, timeout=30
    )
    assert trajectory.status_code == 400


def test_export_never_writes_outside_its_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = DuckDBStore(data_dir / "tracechat.duckdb")
    trace = TraceBuilder()
    trace.span("agent run")
    trace.store_in(store, project=CLIMBER)  # as a build before the rule could have stored it
    store.close()
    out = tmp_path / "a" / "b" / "c" / "d" / "out"
    result = _tracechat("export", str(out), "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    written = sorted(p for p in tmp_path.rglob("*.parquet"))
    assert written, "the span is exported"
    assert all(p.resolve().is_relative_to(out.resolve()) for p in written), written
    assert written[0].parent.parent.name == "project=" + path_component(CLIMBER)
    assert "/" not in path_component(CLIMBER)
    refused = _tracechat("export", str(out), "--data-dir", str(data_dir), "--project", CLIMBER)
    assert refused.returncode == 2
    assert "must be 1-128 letters" in refused.stderr
