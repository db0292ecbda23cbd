"""Where a trace fetch's time goes in the DuckDB file, part by part, for the 50-span probes
of a store kept by ``bench/trajectory.py --data-dir DIR``: the trace index lookup, the
payload query (the rows and bytes it reads), turning what it returned into span payloads
(schema 6: decompressing and splitting the trace's frames) and deriving the spans' columns
from them. CPU (``time.process_time``) and wall medians per probe; a schema-5 file
(payloads in ``spans.raw``) and a schema-6 one (``payloads``) are both read as they are,
so a copy of an older store and a new one can be compared in one session.

    .venv/bin/python bench/fetch.py DIR [DIR ...] [--reps 3]

Opens each file read-only with the store's settings; never migrates it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PB2Span

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tracechat.ingest.flatten import span_fields
from tracechat.store import payloads

_WHERE = "WHERE batch BETWEEN $first AND $last AND project = $project AND trace_id = $trace_id"
_V5 = f"SELECT raw, scope_id FROM spans {_WHERE}"
_V6 = f"SELECT batch, spans FROM payloads {_WHERE}"


def _timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def measure(root: Path, reps: int) -> dict[str, object]:
    con = duckdb.connect(
        str(root / "data" / "tracechat.duckdb"), read_only=True, config={"threads": 1, "memory_limit": "1024MiB"}
    )
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    v6 = version is not None and int(version[0]) >= 6
    probes = json.loads((root / "probes.json").read_text())["50"]
    parts: dict[str, list[float]] = {}
    stored_bytes: list[int] = []
    for _ in range(reps):
        for trace_id in probes:
            location, cpu, wall = _timed(
                lambda t=trace_id: con.execute(
                    "SELECT project, first_batch, last_batch FROM traces WHERE trace_id = $t", {"t": t}
                ).fetchone()
            )
            parts.setdefault("index cpu", []).append(cpu)
            project, first, last = location
            params = {"first": first, "last": last, "project": project, "trace_id": trace_id}
            rows, cpu, wall = _timed(lambda p=params: con.execute(_V6 if v6 else _V5, p).fetchall())
            parts.setdefault("payload query cpu", []).append(cpu)
            parts.setdefault("payload query wall", []).append(wall)
            stored_bytes.append(sum(len(row[1] if v6 else row[0]) for row in rows))
            if v6:
                records, cpu, _ = _timed(lambda r=rows: payloads.first_of_each(c for _, c in sorted(r)))
                raws = [raw for _, _, raw in records]
            else:
                raws, cpu = [row[0] for row in rows], 0.0
            parts.setdefault("unpack cpu", []).append(cpu)
            _, cpu, _ = _timed(lambda r=raws: [span_fields(PB2Span.FromString(raw)) for raw in r])
            parts.setdefault("derive columns cpu", []).append(cpu)
    con.close()
    report: dict[str, object] = {"store": str(root), "schema": 6 if v6 else 5}
    report.update({f"{name} ms": round(statistics.median(values), 3) for name, values in parts.items()})
    report["bytes returned per trace"] = int(statistics.median(stored_bytes))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stores", type=Path, nargs="+")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="alternations over the stores")
    args = parser.parse_args()
    for _ in range(args.rounds):
        for root in args.stores:
            print(json.dumps(measure(root, args.reps)), flush=True)


if __name__ == "__main__":
    main()
