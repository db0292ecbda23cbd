"""Trajectory fidelity: how many sample traces read exactly as their reviewed golden.

    .venv/bin/python bench/fidelity.py [CASE ...]          # default: every case in sample_traces/
    PYTHONPATH=/tmp/older/src .venv/bin/python /tmp/older/bench/fidelity.py   # an older reader

(for an older reader, its own ``tests`` too: docs/benchmarks.md says how)

Each case is replayed through the OTLP/gRPC receiver of an in-process server (as
tests/golden/test_sample_traces.py does) and each of its traces' trajectory is compared
with ``expected/trajectory.json``. Unlike the golden test it does not stop at the first
difference and checks no invariants: it counts, so that two readers can be compared on the
same goldens.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.golden.test_sample_traces import CASES, replay
from tests.samples import ALL_TIME, SAMPLES
from tests.servers import InProcessServer, settings_for_test

import tracechat


def trajectories(case: Path) -> list[Any]:
    with tempfile.TemporaryDirectory() as tmp:
        server = InProcessServer(settings_for_test(Path(tmp) / "data"))
        try:
            replay(server, case)
            listing = httpx.get(f"{server.api}/agents/traces", params={"limit": 500, "since": ALL_TIME}).json()
            found = []
            for row in sorted(listing["traces"], key=lambda t: (t["started_at"], t["trace_id"])):
                body = {"project_id": "default", "trace_id": row["trace_id"], "include_feedback": True}
                found.append(httpx.post(f"{server.api}/agents/traces/chat", json=body).json())
            return found
        finally:
            server.stop()


def main() -> int:
    cases = [SAMPLES / name for name in sys.argv[1:]] or CASES
    right = total = 0
    for case in cases:
        expected = json.loads((case / "expected" / "trajectory.json").read_text())
        expected = expected if isinstance(expected, list) else [expected]
        got = trajectories(case)
        for index in range(max(len(got), len(expected))):
            same = index < len(got) and index < len(expected) and got[index] == expected[index]
            right, total = right + same, total + 1
            print(f"{case.name}[{index}]: {'right' if same else 'WRONG'}")
    print(f"{right} of {total} traces right (reader: {Path(tracechat.__file__).parent})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
