"""Golden session trajectories: every case in sample_traces/ whose traces form a session
(two or more traces tied by a conversation id) replayed through the OTLP/gRPC receiver and
read back through ``POST /agents/sessions/chat``, compared with its reviewed
``expected/session.json``; the single-trace invariants (``tests/invariants.py``) hold on
each trace's part of it, and the session shows each turn once.

``TRACECHAT_REWRITE_GOLDENS=1`` writes what the service answers now, for review.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import invariants
from tests.golden.test_sample_traces import REWRITE, _rewrite, replay
from tests.samples import ALL_TIME, SAMPLES
from tests.servers import InProcessServer, settings_for_test

SESSION_CASES = sorted(p for p in SAMPLES.glob("*-session") if (p / "requests").is_dir())


def read_session(server: InProcessServer) -> dict[str, Any]:
    listing = httpx.get(f"{server.api}/agents/sessions", params={"since": ALL_TIME}).json()
    (session,) = listing["sessions"]
    body = {"project_id": "default", "session_id": session["session_id"], "include_feedback": False}
    trajectory = httpx.post(f"{server.api}/agents/sessions/chat", json=body).json()
    traces = httpx.get(f"{server.api}/agents/traces", params={"since": ALL_TIME}).json()["traces"]
    assert session["turns"] == len(trajectory["traces"]) == len(traces) >= 2
    assert session["input_tokens"] == sum(t["input_tokens"] for t in traces)
    for trace in traces:
        part = {"messages": [m for m in trajectory["messages"] if m["trace_id"] == trace["trace_id"]]}
        spans = httpx.get(f"{server.api}/agents/traces/{trace['trace_id']}/spans").json()["spans"]
        invariants.check(part, spans, (trace["input_tokens"] or 0, trace["output_tokens"] or 0))
    check_session(trajectory)
    return trajectory


def check_session(trajectory: dict[str, Any]) -> None:
    """Each user turn once, one agent_start per agent and instructions, entries in time order."""
    messages = trajectory["messages"]
    users = Counter(m["user_message"]["text"] for m in messages if m["type"] == "user_message")
    assert all(n == 1 for n in users.values()), f"a user turn shows more than once: {users}"
    starts = Counter(
        (m["agent_name"], m["agent_start"]["system_instructions"]) for m in messages if m["type"] == "agent_start"
    )
    assert all(n == 1 for n in starts.values()), f"an agent starts twice with the same instructions: {starts}"
    order = [t["trace_id"] for t in trajectory["traces"]]
    assert [m["trace_id"] for m in messages] == sorted((m["trace_id"] for m in messages), key=order.index)
    times = [m["started_at"] for m in messages]
    assert times == sorted(times)


@pytest.mark.parametrize("case", SESSION_CASES, ids=[c.name for c in SESSION_CASES])
def test_session_reads_as_reviewed(case: Path, tmp_path: Path) -> None:
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    try:
        replay(server, case)
        got = read_session(server)
    finally:
        server.stop()
    expected_file = case / "expected" / "session.json"
    committed = expected_file.read_text() if expected_file.exists() else None
    if REWRITE:
        _rewrite(expected_file, committed, got)
    assert committed is not None, f"{case.name}: no expected/session.json (TRACECHAT_REWRITE_GOLDENS=1 writes it)"
    assert got == json.loads(committed)


def test_there_are_sessions_from_two_libraries() -> None:
    assert len(SESSION_CASES) >= 2
