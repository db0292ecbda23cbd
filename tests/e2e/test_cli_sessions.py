"""``tracechat trajectory --session ID`` against a running server."""

from __future__ import annotations

import json

from tests.e2e.test_cli import _tracechat
from tests.e2e.test_sessions_api import conversation
from tests.servers import InProcessServer
from tests.traces import BASE_NS


def test_a_session_prints_turn_by_turn(server: InProcessServer) -> None:
    turns = conversation("cli-session", BASE_NS)
    for trace in turns:
        trace.store_in(server.service.store, project="default")
    result = _tracechat("trajectory", "--session", "cli-session", "--endpoint", server.api)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "session cli-session · 4 traces"
    heads = [line for line in lines if line.startswith("── turn ")]
    assert [h.split(" · ")[1] for h in heads] == [f"trace {t.trace_hex}" for t in turns]
    assert sum(line.startswith("USER") for line in lines) == 3  # "Hi", "Hi" again, "Paris?"
    assert sum(line.startswith("AGENT") for line in lines) == 1
    as_json = json.loads(
        _tracechat("trajectory", "--session", "cli-session", "--endpoint", server.api, "--json").stdout
    )
    assert [t["trace_id"] for t in as_json["traces"]] == [t.trace_hex for t in turns]
    missing = _tracechat("trajectory", "--session", "nope", "--endpoint", server.api)
    assert missing.returncode == 2
    assert "404" in missing.stderr
    both = _tracechat("trajectory", turns[0].trace_hex, "--session", "cli-session", "--endpoint", server.api)
    assert both.returncode == 2
    assert "one of them" in both.stderr
