"""Trajectory fidelity: how many sample traces read exactly as their reviewed golden.

    .venv/bin/python bench/fidelity.py [-v] [CASE ...]     # default: every case in sample_traces/
    PYTHONPATH=/tmp/older/src .venv/bin/python /tmp/older/bench/fidelity.py   # an older reader

(for an older reader, its own ``tests`` too: docs/benchmarks.md says how)

Each case is replayed through the OTLP/gRPC receiver of an in-process server (as
tests/golden/test_sample_traces.py does) and each of its traces' trajectory is compared
with ``expected/trajectory.json``. Unlike the golden test it does not stop at the first
difference and checks no invariants: it counts, so that two readers can be compared on the
same goldens. Entries are counted too: an expected entry is right when the trajectory has
it, equal, in the same order (the longest common run of equal entries, as ``difflib`` finds
it); ``-v`` prints the wrong ones, expected and got.
"""

from __future__ import annotations

import difflib
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


def entries_right(expected: Any, got: Any, verbose: bool) -> tuple[int, int]:
    """How many of the expected entries the trajectory has, equal and in order; the extra
    entries it has are counted as wrong ones too (``right``, ``wrong``)."""
    want = [json.dumps(m, sort_keys=True) for m in expected.get("messages", [])]
    have = [json.dumps(m, sort_keys=True) for m in (got or {}).get("messages", [])]
    matcher = difflib.SequenceMatcher(a=want, b=have, autojunk=False)
    right = sum(block.size for block in matcher.get_matching_blocks())
    if verbose:
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                for line in want[i1:i2]:
                    print(f"  - expected {line[:400]}")
                for line in have[j1:j2]:
                    print(f"  + got      {line[:400]}")
    return right, max(len(want), len(have)) - right


def main() -> int:
    args = sys.argv[1:]
    verbose = "-v" in args
    cases = [SAMPLES / name for name in args if name != "-v"] or CASES
    right = total = entries = wrong_entries = 0
    for case in cases:
        expected = json.loads((case / "expected" / "trajectory.json").read_text())
        expected = expected if isinstance(expected, list) else [expected]
        got = trajectories(case)
        for index in range(max(len(got), len(expected))):
            same = index < len(got) and index < len(expected) and got[index] == expected[index]
            right, total = right + same, total + 1
            print(f"{case.name}[{index}]: {'right' if same else 'WRONG'}")
            if not same and index < len(expected):
                ok, bad = entries_right(expected[index], got[index] if index < len(got) else None, verbose)
            else:
                n = len(expected[index]["messages"]) if index < len(expected) else 0
                ok, bad = (n, 0) if same else (0, len(got[index].get("messages", [])))
            entries, wrong_entries = entries + ok, wrong_entries + bad
    print(
        f"{right} of {total} traces right, {entries} entries right, {wrong_entries} wrong "
        f"(reader: {Path(tracechat.__file__).parent})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
