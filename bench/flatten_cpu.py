"""CPU time ingest's Python spends per span before the store (``ingest.flatten.flatten_traces``:
validation, promotion, the agents each span shows), on the ingest benchmark's workload.

    PYTHONPATH=.:src .venv/bin/python bench/flatten_cpu.py

Process CPU time (not wall time), best of three passes, so other processes waiting for the
CPU disturb it little; run it with ``PYTHONPATH`` at another checkout's ``src`` to compare.
The second line is the agents rule alone (``ingest.agents.shown_agents_of`` over the rows
flatten handed it, best of seven): a few µs that the whole figure's noise hides under load.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from typing import Any

from bench.workload import requests
from tracechat.ingest import agents, flatten
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
    print(f"of which the agents rule: {_rule_only(batch) / spans * 1e6:.2f} µs CPU per span")


def _rule_only(batch: list[Any]) -> float:
    seen: list[list[tuple[Any, ...]]] = []
    shown_agents_of = flatten.shown_agents_of

    def keep(rows: Any) -> list[str | None]:
        seen.append(list(rows))
        return shown_agents_of(rows)

    flatten.shown_agents_of = keep
    try:
        for request in batch:
            flatten_traces(request, lambda resource: "p")
    finally:
        flatten.shown_agents_of = shown_agents_of
    best = float("inf")
    for _ in range(7):
        began = time.process_time()
        for rows in seen:
            agents.shown_agents_of(rows)
        best = min(best, time.process_time() - began)
    return best


if __name__ == "__main__":
    main()
