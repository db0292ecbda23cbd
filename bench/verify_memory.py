"""Memory of the start-up verify pass: a store opened as the server opens it, with and
without the pass that reads every block once, each in a child process of its own.

    .venv/bin/python bench/verify_memory.py [--spans 2000000] [--data-dir DIR] [--memory-mb 1024]

The store is grown as bench/trajectory.py grows it (one pool of agent traces committed again
under new project names, then checkpointed); ``--data-dir`` keeps it for the next run. Each
child opens the store (with the server's default memory limit, 1 GiB, or ``--memory-mb``), waits for the pass to
end, and reports its resident memory after opening, its peak and its memory at the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.trajectory import grow_and_measure

_CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from bench.proc import status_mb
from tracechat.store.duck import DuckDBStore
import os
store = DuckDBStore(Path(sys.argv[1]), verify=sys.argv[2] == "1", memory_mb=int(sys.argv[4]))
opened = status_mb(os.getpid(), "VmRSS")
started = time.perf_counter()
if store._verifier is not None:
    store._verifier.done.wait()
row = {
    "verify": store._verifier is not None,
    "problem": store.problem,
    "pass_s": round(time.perf_counter() - started, 1),
    "rss_opened_mb": round(opened),
    "rss_peak_mb": round(status_mb(os.getpid(), "VmHWM")),
    "rss_end_mb": round(status_mb(os.getpid(), "VmRSS")),
}
store.close()
print(json.dumps(row))
"""


MEMORY_MB = [1024]


def measure(data_dir: Path, probes: dict[int, list[str]], rounds: int) -> dict[str, object]:
    root = str(Path(__file__).resolve().parents[1])
    database = data_dir / "tracechat.duckdb"
    row: dict[str, object] = {"file_mb": round(database.stat().st_size / 1e6), "memory_mb": MEMORY_MB[0]}
    for verify in ("0", "1"):
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(database), verify, root, str(MEMORY_MB[0])],
            capture_output=True,
            text=True,
            check=True,
        )
        row["with_verify" if verify == "1" else "without"] = json.loads(child.stdout)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=2_000_000)
    parser.add_argument("--data-dir", type=Path, help="grow the store here and keep it (default: a temporary one)")
    parser.add_argument(
        "--memory-mb", type=int, default=1024, help="the store's memory limit (TRACECHAT_STORE_MEMORY_MB)"
    )
    args = parser.parse_args()
    MEMORY_MB[0] = args.memory_mb
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        if (args.data_dir / "growth.json").exists():
            print(json.dumps(measure(args.data_dir / "data", {}, 0)))
            return
        grow_and_measure(args.data_dir, [args.spans], 0, measure)
        return
    with tempfile.TemporaryDirectory() as scratch:
        grow_and_measure(Path(scratch), [args.spans], 0, measure)


if __name__ == "__main__":
    main()
