"""CPU time ingest's Python spends per span before the store (``ingest.flatten.flatten_traces``:
validation, promotion, the agents each span shows), on the ingest benchmark's workload.

    PYTHONPATH=.:src .venv/bin/python bench/flatten_cpu.py

Process CPU time (not wall time), best of three passes, so other processes waiting for the
CPU disturb it little; run it with ``PYTHONPATH`` at another checkout's ``src`` to compare.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.workload import requests
from tracechat.ingest.flatten import flatten_traces


def main() -> None:
    batch = list(requests(20_000, 512, 8, 66))  # the 3 KB variant of bench/ingest.py
    spans = sum(len(s.spans) for r in batch for rs in r.resource_spans for s in rs.scope_spans)
    best = float("inf")
    for _ in range(3):
        began = time.process_time()
        for request in batch:
            flatten_traces(request, lambda resource: "p")
        best = min(best, (time.process_time() - began) / spans * 1e6)
    print(f"{spans} spans: {best:.1f} µs CPU per span")


if __name__ == "__main__":
    main()
