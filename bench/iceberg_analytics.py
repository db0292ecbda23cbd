"""The assistant's statistics on the Iceberg store (``store.iceberg.analytics``) on a table of
many manifests: reading the files the trace index lists against planning them with pyiceberg.

    .venv/bin/python bench/iceberg_analytics.py --data-dir DIR [--size 300000] [--manifests 200]
        [--rounds 4]

DIR is a store kept by ``bench/iceberg_trajectory.py`` (grown here to ``--size`` spans by its
method when smaller: copies of the 100k-span pool in projects ``bench-N``). Small filler commits
(16 traces of 4 spans, ``bench/iceberg_manifests.py``) are then added in the measured project,
``bench-0``, until the spans table holds ``--manifests`` manifests, each of which a plan of that
project must open (a single-project deployment between two ``maintain`` runs).

Each round asks, over the whole project (since 0) and over its newest tenth of traces:
``errors()``, ``usage()`` (tokens and cost by model) and the tools' catalog, each timed once
reading the listed files (this build) and once planning every row (what the statistics did
before: ``IcebergAnalytics._spans(plan=True)``, the files of the project's days from the
window's earliest trace on), alternating which goes first; and tokens by agent
(``TraceQueries.usage_by_agent``: whole traces through ``read_trace``, which read their lists
before this change too). The answers of both ways are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.iceberg_manifests import filler, manifests
from bench.iceberg_trajectory import grow, kept_catalog, table_shape
from bench.trajectory import set_nice
from tracechat.query.service import TraceQueries
from tracechat.store.iceberg.analytics import IcebergAnalytics
from tracechat.store.iceberg.store import IcebergStore
from tracechat.store.iceberg.traceindex import TRACES

PROJECT = "bench-0"


class PlannedAnalytics(IcebergAnalytics):
    """The statistics as before this change: every row's files planned (partition pruning by day)."""

    def _spans(
        self, cursor: duckdb.DuckDBPyConnection, project: str, since: int, *, plan: bool = False, fresh: bool = False
    ) -> None:
        super()._spans(cursor, project, since, plan=True, fresh=fresh)


def add_manifests(dsn: str, warehouse: str, wanted: int) -> int:
    store = IcebergStore(dsn, warehouse, search=False)
    try:
        rng = random.Random(12)
        have = manifests(store)
        while have < wanted:
            for _ in range(min(25, wanted - have)):
                filler(store, PROJECT, rng)
            have = manifests(store)
            print(json.dumps({"manifests": have}), flush=True)
        return have
    finally:
        store.close()


def _timed(ask: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = ask()
    return (time.perf_counter() - started) * 1000, answer


def _same(answer: Any) -> str:
    return (
        json.dumps(answer, sort_keys=True, default=str)
        if not isinstance(answer, list)
        else json.dumps(sorted(json.dumps(row, sort_keys=True, default=str) for row in answer))
    )


def measure(dsn: str, warehouse: str, rounds: int) -> dict[str, Any]:
    store = IcebergStore(dsn, warehouse, writes=False, search=False)
    try:
        with store.index.connection() as con:
            found = con.execute(
                f"SELECT count(*), sum(span_count), percentile_disc(0.9) WITHIN GROUP (ORDER BY end_ns),"
                f" count(*) FILTER (WHERE span_files IS NULL) FROM {TRACES} WHERE project = %s AND span_count > 0",
                [PROJECT],
            ).fetchone()
        assert found is not None
        traces, spans, newest_tenth, unlisted = found
        row: dict[str, Any] = {
            "load_average": [round(x, 1) for x in os.getloadavg()],
            "project_traces": traces,
            "project_spans": int(spans),
            "unlisted_rows": unlisted,
            "table": table_shape(store),
        }
        ways = {"listed": IcebergAnalytics(store), "planned": PlannedAnalytics(store)}
        questions: dict[str, Callable[[IcebergAnalytics, int], Any]] = {
            "errors": lambda a, since: a.errors(PROJECT, since, 10),
            "usage_by_model": lambda a, since: a.usage(PROJECT, since),
            "catalog": lambda a, since: a.catalog(PROJECT, since),
        }
        windows = {"whole_project": 0, "newest_tenth": int(newest_tenth)}
        samples: dict[str, list[float]] = {}
        reads = {way: [0, 0] for way in ways}
        for round_no in range(rounds):
            for window, since in windows.items():
                for name, question in questions.items():
                    order = list(ways) if round_no % 2 == 0 else list(reversed(ways))
                    answers = {}
                    for way in order:
                        before = (store.listed_reads, store.planned_reads)
                        ms, answers[way] = _timed(lambda a=ways[way], q=question, s=since: q(a, s))  # type: ignore[misc]
                        reads[way][0] += store.listed_reads - before[0]
                        reads[way][1] += store.planned_reads - before[1]
                        samples.setdefault(f"{window}.{name}.{way}", []).append(ms)
                    assert _same(answers["listed"]) == _same(answers["planned"]), (window, name)
        for key, values in samples.items():
            row[key + "_ms"] = {
                "p50": round(statistics.median(values), 1),
                "min": round(min(values), 1),
                "max": round(max(values), 1),
            }
        row["reads"] = {way: {"listed": r[0], "planned": r[1]} for way, r in reads.items()}
        queries = TraceQueries(store)
        for window, since in windows.items():
            before = (store.listed_reads, store.planned_reads)
            ms, usage = _timed(lambda s=since: queries.usage_by_agent(PROJECT, s))  # type: ignore[misc]
            row[f"{window}.usage_by_agent_ms"] = round(ms, 1)
            row[f"{window}.usage_by_agent_reads"] = {
                "listed": store.listed_reads - before[0],
                "planned": store.planned_reads - before[1],
                "complete": usage["complete"],
            }
        row["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
        return row
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--size", type=int, default=300_000)
    parser.add_argument("--manifests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    report: dict[str, Any] = {}
    with kept_catalog(args.data_dir) as (root, dsn, warehouse):
        grown = grow(root, dsn, warehouse, args.size)
        if grown is not None:
            report["growth"] = grown
            print(json.dumps(grown), flush=True)
        started_at = os.getpriority(os.PRIO_PROCESS, 0)
        set_nice(max(started_at, 10))
        report["manifests"] = add_manifests(dsn, warehouse, args.manifests)
        set_nice(started_at)
        report["measured"] = measure(dsn, warehouse, args.rounds)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
