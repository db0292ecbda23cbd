"""``tracechat load`` sends request files to a running server; ``tracechat export`` writes
hive-partitioned Parquet that DuckDB reads back as it is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import grpc_exporter, make_agent_spans
from tests.servers import InProcessServer, settings_for_test

DATA = Path(__file__).parent.parent / "data"


def _tracechat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracechat", *args], capture_output=True, text=True, timeout=120)


def test_load_sends_files_and_directories(server: InProcessServer, tmp_path: Path) -> None:
    result = _tracechat("load", str(DATA), "--endpoint", server.otlp_http)
    assert result.returncode == 0, result.stderr
    assert "1 spans and 2 log records accepted, 0 rejected" in result.stdout
    stored = server.service.store.trace("default", "5b8efff798038103d269b633813fc60c")
    assert stored is not None
    again = _tracechat("load", str(DATA), "--endpoint", server.otlp_http)  # accepted, and stored once
    assert "1 spans and 2 log records accepted, 0 rejected" in again.stdout
    twice = server.service.store.trace("default", "5b8efff798038103d269b633813fc60c")
    assert twice is not None
    assert twice.span_count == stored.span_count == 1  # log records carry no id to tell them again
    missing = _tracechat("load", str(tmp_path / "nothing.txt"), "--endpoint", server.otlp_http)
    assert missing.returncode == 2
    assert "not an OTLP request file" in missing.stderr


def test_export_writes_hive_partitioned_parquet(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = InProcessServer(settings_for_test(data_dir))
    traces = [make_agent_spans(turns=2, resource={"tracechat.project": p}) for p in ("alpha", "beta", "alpha")]
    for spans in traces:
        assert grpc_exporter(server.grpc_endpoint).export(spans) is SpanExportResult.SUCCESS
    server.stop()

    out = tmp_path / "export"
    result = _tracechat("export", str(out), "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "wrote 15 spans" in result.stdout
    con = duckdb.connect()
    spans = f"read_parquet('{out}/spans/**/*.parquet', hive_partitioning=true)"
    counts = con.execute(f"SELECT project, count(*) FROM {spans} GROUP BY 1 ORDER BY 1").fetchall()
    assert counts == [("alpha", 10), ("beta", 5)]
    row = con.execute(
        f"SELECT attributes, resource, scope_name, date FROM {spans} WHERE name = 'chat gpt-4o'"
    ).fetchone()
    assert row is not None
    assert json.loads(row[0])["gen_ai.request.model"] == "gpt-4o"
    assert json.loads(row[1])["tracechat.project"] in ("alpha", "beta")
    assert row[2] == "tests.otel"
    for path in (out / "spans").rglob("*.parquet"):
        ids = [r[0] for r in con.execute(f"SELECT trace_id FROM read_parquet('{path}')").fetchall()]
        assert ids == sorted(ids)
    con.close()


def test_export_while_the_server_runs_says_why_it_cannot(server: InProcessServer, tmp_path: Path) -> None:
    data_dir = server.service.settings.data_dir
    result = _tracechat("export", str(tmp_path / "out"), "--data-dir", str(data_dir))
    assert result.returncode == 2
    assert "stop the server first" in result.stderr


def test_trajectory_prints_readably(server: InProcessServer) -> None:
    from tests.traces import TraceBuilder, as_json

    trace = TraceBuilder()
    trace.span(
        "chat gpt-4o",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": as_json([{"role": "user", "content": "Hello?"}]),
            "gen_ai.output.messages": as_json([{"role": "assistant", "content": "Hi there."}]),
            "gen_ai.usage.input_tokens": 5,
            "gen_ai.usage.output_tokens": 3,
        },
    )
    trace.store_in(server.service.store, project="default")
    result = _tracechat("trajectory", trace.trace_hex, "--endpoint", server.api)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"trace {trace.trace_hex}")
    assert any(line.startswith("USER") for line in lines)
    assert "    Hello?" in lines
    assert any(line.startswith("ASSISTANT gpt-4o · 5 in / 3 out") for line in lines)
    as_json_out = _tracechat("trajectory", trace.trace_hex, "--endpoint", server.api, "--json")
    assert json.loads(as_json_out.stdout)["trace_id"] == trace.trace_hex
    missing = _tracechat("trajectory", "ab" * 16, "--endpoint", server.api)
    assert missing.returncode == 2
    assert "404" in missing.stderr


def test_trajectory_into_a_closed_pipe_ends_quietly(server: InProcessServer) -> None:
    from tests.traces import TraceBuilder, as_json

    trace = TraceBuilder()
    answer = as_json([{"role": "assistant", "content": "x" * 5_000}])
    for step in range(40):  # 200 kB of answers: more than a pipe holds
        trace.span("chat gpt-4o", {"gen_ai.operation.name": "chat", "gen_ai.output.messages": answer}, start_ms=step)
    trace.store_in(server.service.store, project="default")
    command = f"{sys.executable} -m tracechat trajectory {trace.trace_hex} --endpoint {server.api} --json | head -c 10"
    run = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert run.stdout == '{\n  "trace'
    assert run.stderr == ""
