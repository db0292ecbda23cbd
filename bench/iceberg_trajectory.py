"""Trajectory latency on the Iceberg store at scale, beside the DuckDB store's, and where a
read's time goes on Iceberg; bytes per span on each.

    .venv/bin/python bench/iceberg_trajectory.py --data-dir DIR [--size 1000000] [--rounds 2]
        [--duck-dir DUCKDIR] [--maintain]

DIR keeps a PostgreSQL cluster (the catalog and the trace index, from Debian's binaries as
``tests.postgres`` starts one, ``fsync=off``) and the warehouse. An empty DIR is grown to
``--size`` spans by ``bench/trajectory.py``'s method: 50 probe traces of 50 spans and 5 of
500 in project 'probe', then copies of one pool of realistic agent traces under new
project names, committed through ``IcebergStore.submit`` in this process (group commits of
up to 64 MB, as a receiver makes under saturation). A kept DIR grows on to a larger size.

Then a real ``tracechat serve --store iceberg --role query`` node is started on it and every
probe is read over HTTP (``POST /agents/traces/chat``, one keep-alive connection), once per
round. With ``--duck-dir`` (a store kept by ``bench/trajectory.py`` or
``bench/grpc_trajectory.py``), a DuckDB ``tracechat serve`` on it is read in the same loop,
alternating which store goes first, so the machine's load hits both alike.

Where the time goes: for each 50-span probe, in this process, the trace index lookup
(PostgreSQL; the row lists the trace's data files), DuckDB's read of the listed files (what
a read does), and for comparison pyiceberg's planning (the manifests it reads, the files it
keeps) and DuckDB's read of the planned files, timed apart; how many reads planned and how
many read their listed files; the table's snapshots, manifests and data files beside them.
A store grown before the index kept file lists reads by planning until ``--maintain`` runs
``tracechat maintain`` (compaction, expiry, and the lists of rows indexed before) after the
first measurement, then measures again.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.postgres import PostgresServer, postgres_bin
from tests.servers import ChildServer, _drain

from bench.ingest import directory_bytes
from bench.proc import peak_rss_mb
from bench.trajectory import NO_SEARCH_INDEX, Connection, as_project, pool, probe, set_nice, summary
from tracechat.app import Ports
from tracechat.errors import Overloaded
from tracechat.model.records import IngestBatch
from tracechat.store.iceberg import tables
from tracechat.store.iceberg.store import IcebergStore, _local_path, _of_trace

DATABASE = "tracechat"


class KeptPostgres(PostgresServer):
    """``tests.postgres``'s cluster in a directory that outlives the run (initdb once)."""

    def __init__(self, directory: Path) -> None:
        binaries = postgres_bin()
        if binaries is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")
        self._bin = binaries
        self._as_root = os.geteuid() == 0
        self.dir = directory
        self.data = directory / "data"
        self.user = "tracechat"
        self._process = None
        fresh = not self.data.exists()
        directory.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(directory, owner.pw_uid, owner.pw_gid)
        from tests.postgres import _free_port

        self.port = _free_port()
        if fresh:
            self._run([str(self._bin / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8"])
        self.start()
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as con:
            if con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone() is None:
                con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))

    def close(self) -> None:
        self.stop(fast=False)  # the data stays


def query_node(data_dir: Path, dsn: str, warehouse: str, timeout: float = 120) -> ChildServer:
    """``tracechat serve --store iceberg --role query`` as a child process: the API only (no
    OTLP ports, which ``ChildServer.start`` waits for), ready once /healthz answers."""
    command = [sys.executable, "-m", "tracechat", "serve", "--data-dir", str(data_dir), "--port", "0"]
    command += ["--grpc-port", "0", "--otlp-http-port", "0", "--store", "iceberg", "--catalog-uri", dsn]
    command += ["--warehouse", warehouse, "--role", "query"]
    env = {**os.environ, "TRACECHAT_SEARCH_INDEX": "0"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        line = process.stdout.readline()
        if not line or time.monotonic() > deadline:
            process.kill()
            process.wait(30)
            raise RuntimeError("query node did not start:\n" + "".join(output))
        output.append(line)
        match = re.search(r"API\s+http://\S+:(\d+)/", line)
        if match:
            break
    drain = threading.Thread(target=_drain, args=(process.stdout, output), daemon=True)
    drain.start()
    server = ChildServer(process, Ports(0, 0, int(match.group(1))), output, drain)
    server.wait_healthy(deadline)
    return server


def submit_all(store: IcebergStore, batches: list[IngestBatch]) -> None:
    """Submit every batch, waiting on the oldest commit while the write queue is full."""
    pending = []
    for batch in batches:
        while True:
            try:
                pending.append(store.submit(batch))
                break
            except Overloaded:
                pending.pop(0).result()
    for future in pending:
        future.result()


def grow(root: Path, dsn: str, warehouse: str, size: int) -> dict[str, Any] | None:
    """Grow the Iceberg store to ``size`` spans (probes first); None when it holds that already."""
    state_path = root / "growth.json"
    state = (
        json.loads(state_path.read_text()) if state_path.exists() else {"copies": 0, "probes": {"50": [], "500": []}}
    )
    batches = pool()
    per_copy = sum(len(b.spans) for b in batches)
    target = max(1, round(size / per_copy))
    if target <= state["copies"]:
        return None
    started_at = os.getpriority(os.PRIO_PROCESS, 0)
    set_nice(max(started_at, 10))
    store = IcebergStore(dsn, warehouse)
    try:
        copies = state["copies"]
        probes = state["probes"]
        for n in range(50):
            probes["50"].append(probe(store, 50, seed=len(probes["50"]) + 1000 * copies + n))
        for n in range(5):
            probes["500"].append(probe(store, 500, seed=len(probes["500"]) + 1000 * copies + 500 + n))
        started = time.perf_counter()
        for copy in range(copies, target):
            submit_all(store, [as_project(b, f"bench-{copy}") for b in batches])
            print(json.dumps({"copy": copy, "seconds": round(time.perf_counter() - started)}), flush=True)
            # after every copy, so a run stopped part way leaves a store that can be measured
            state = {"copies": copy + 1, "probes": probes, "store_spans": store.span_count()}
            state_path.write_text(json.dumps(state))
        load_s = time.perf_counter() - started
        spans = store.span_count()
    finally:
        store.close()
        set_nice(started_at)
    return {
        "store_spans": spans,
        "load_s": round(load_s),
        "load_spans_per_s": round((target - copies) * per_copy / load_s),
    }


def table_shape(store: IcebergStore) -> dict[str, Any]:
    table = store.catalog.load_table(tables.SPANS)
    snapshot = table.current_snapshot()
    manifests = snapshot.manifests(table.io) if snapshot is not None else []
    return {
        "snapshots": len(table.metadata.snapshots),
        "manifests": len(manifests),
        "data_files": sum(m.added_files_count + m.existing_files_count for m in manifests),
        "metadata_log": len(table.metadata.metadata_log),
    }


def where_time_goes(store: IcebergStore, trace_ids: list[str]) -> dict[str, Any]:
    """Each part of a read timed apart, per 50-span probe (the table loaded once first)."""
    parts: dict[str, list[float]] = {
        "index_ms": [],
        "read_listed_ms": [],
        "plan_ms": [],
        "read_parquet_ms": [],
        "read_trace_ms": [],
    }
    planned: list[int] = []
    listed: list[int] = []
    store.read_trace("probe", trace_ids[0])  # table metadata loaded and cached
    reads_before = (store.listed_reads, store.planned_reads)
    for trace_id in trace_ids:
        started = time.perf_counter()
        row = store.index.row("probe", trace_id)
        indexed = time.perf_counter()
        assert row is not None
        assert row.start_ns is not None
        if row.span_files:
            store._cursor().execute(
                "SELECT span_id, raw, resource, scope FROM read_parquet($files) WHERE project = $p AND trace_id = $t",
                {"files": [_local_path(f) for f in row.span_files], "p": row.project, "t": row.trace_id},
            ).fetchall()
            parts["read_listed_ms"].append((time.perf_counter() - indexed) * 1000)
            listed.append(len(row.span_files))
        indexed = time.perf_counter()
        row_filter = _of_trace(row.project, row.trace_id, "start_time", row.start_ns, row.end_ns or row.start_ns)
        tasks = list(store._table(tables.SPANS, row.span_seq).scan(row_filter=row_filter).plan_files())
        files = [_local_path(task.file.file_path) for task in tasks]
        plan_done = time.perf_counter()
        found = (
            store._cursor()
            .execute(
                "SELECT span_id, raw, resource, scope FROM read_parquet($files) WHERE project = $p AND trace_id = $t",
                {"files": files, "p": row.project, "t": row.trace_id},
            )
            .fetchall()
        )
        read_done = time.perf_counter()
        assert len(found) >= 50
        whole = store.read_trace("probe", trace_id)
        assert whole is not None
        parts["index_ms"].append((indexed - started) * 1000)
        parts["plan_ms"].append((plan_done - indexed) * 1000)
        parts["read_parquet_ms"].append((read_done - plan_done) * 1000)
        parts["read_trace_ms"].append((time.perf_counter() - read_done) * 1000)
        planned.append(len(files))
    result: dict[str, Any] = {name: round(statistics.median(values), 2) for name, values in parts.items() if values}
    result["files_planned_median"] = statistics.median(planned)
    result["files_listed_median"] = statistics.median(listed) if listed else None
    result["read_trace_listed_reads"] = store.listed_reads - reads_before[0]
    result["read_trace_planned_reads"] = store.planned_reads - reads_before[1]
    result["planning_profile"] = plan_profile(store, trace_ids)
    return result


def plan_profile(store: IcebergStore, trace_ids: list[str], top: int = 12) -> list[str]:
    """cProfile of planning alone for each probe: the functions it spends its own time in."""
    import cProfile
    import io
    import pstats

    filters = []
    for trace_id in trace_ids:
        row = store.index.row("probe", trace_id)
        assert row is not None
        assert row.start_ns is not None
        filters.append(
            (row.span_seq, _of_trace(row.project, row.trace_id, "start_time", row.start_ns, row.end_ns or row.start_ns))
        )
    profiler = cProfile.Profile()
    profiler.enable()
    for seq, row_filter in filters:
        list(store._table(tables.SPANS, seq).scan(row_filter=row_filter).plan_files())
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    lines = [line.strip() for line in out.getvalue().splitlines() if line.strip()]
    return [f"{len(filters)} plans", *lines[-top - 1 :]]


def measure(root: Path, dsn: str, warehouse: str, duck_dir: Path | None, rounds: int) -> dict[str, Any]:
    state = json.loads((root / "growth.json").read_text())
    probes: dict[str, list[str]] = state["probes"]
    row: dict[str, Any] = {"load_average": [round(x, 1) for x in os.getloadavg()], "store_spans": state["store_spans"]}
    iceberg = query_node(root / "node", dsn, warehouse)
    servers = {"iceberg": iceberg}
    duck_probes: dict[str, list[str]] = {}
    if duck_dir is not None:
        duck_probes = json.loads((duck_dir / "probes.json").read_text())
        servers["duckdb"] = ChildServer.start(duck_dir / "data", env=NO_SEARCH_INDEX, timeout=120)
    clients = {name: Connection(server.api) for name, server in servers.items()}
    try:
        for name, client in clients.items():  # first requests: table metadata, connections
            ids = probes["50"] if name == "iceberg" else duck_probes["50"]
            client.timed("POST", "/agents/traces/chat", {"project_id": "probe", "trace_id": ids[0]})
        for size in ("50", "500"):
            samples: dict[str, list[float]] = {name: [] for name in clients}
            for round_no in range(rounds):
                for n, trace_id in enumerate(probes[size]):
                    order = list(clients) if (round_no + n) % 2 == 0 else list(reversed(clients))
                    for name in order:
                        ids = probes[size] if name == "iceberg" else duck_probes[size]
                        body = {"project_id": "probe", "trace_id": trace_id if name == "iceberg" else ids[n % len(ids)]}
                        samples[name].append(clients[name].timed("POST", "/agents/traces/chat", body))
            for name, values in samples.items():
                row[f"{name}_trajectory_{size}_spans"] = summary(values)
        for name, server in servers.items():
            row[f"{name}_server_rss_mb"] = round(peak_rss_mb(server.process.pid))
    finally:
        for client in clients.values():
            client.close()
        for server in servers.values():
            server.terminate()
    row["load_average_after_http"] = [round(x, 1) for x in os.getloadavg()]
    store = IcebergStore(dsn, warehouse)
    try:
        row["store_spans"] = spans = store.span_count()  # a growth stopped mid-copy holds more than it noted
        row["table"] = table_shape(store)
        row["in_process_50_spans"] = where_time_goes(store, probes["50"])
    finally:
        store.close()
    row["bytes_per_span"] = bytes_per_span(root, dsn, spans, duck_dir)
    row["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    return row


def bytes_per_span(root: Path, dsn: str, spans: int, duck_dir: Path | None) -> dict[str, Any]:
    with psycopg.connect(dsn) as con:
        found = con.execute("SELECT pg_database_size(current_database())").fetchone()
    catalog_bytes = int(found[0]) if found else 0
    result: dict[str, Any] = {
        "iceberg_warehouse": round(directory_bytes(root / "warehouse") / spans),
        "iceberg_postgres_database": round(catalog_bytes / spans),
    }
    if duck_dir is not None:
        growth = json.loads((duck_dir / "growth.json").read_text())
        duck_bytes = sum(p.stat().st_size for p in (duck_dir / "data").glob("tracechat.duckdb*"))
        result["duckdb_file"] = round(duck_bytes / growth["store_spans"])
        result["duckdb_store_spans"] = growth["store_spans"]
    return result


@contextlib.contextmanager
def kept_catalog(data_dir: Path) -> Iterator[tuple[Path, str, str]]:
    """The kept store in ``data_dir``: its root, the catalog's DSN (a ``KeptPostgres`` started
    for the block and stopped after it) and the warehouse's URI."""
    root = data_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    postgres = KeptPostgres(root / "postgres")
    try:
        yield root, postgres.dsn(DATABASE), (root / "warehouse").as_uri()
    finally:
        with contextlib.suppress(Exception):
            postgres.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duck-dir", type=Path, help="a kept DuckDB trajectory store, read in the same loop")
    parser.add_argument("--maintain", action="store_true", help="compact and expire, then measure again")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    with kept_catalog(args.data_dir) as (root, dsn, warehouse):
        grown = grow(root, dsn, warehouse, args.size)
        if grown is not None:
            report["growth"] = grown
            print(json.dumps(grown), flush=True)
        report["before_maintain"] = measure(root, dsn, warehouse, args.duck_dir, args.rounds)
        print(json.dumps(report["before_maintain"]), flush=True)
        if args.maintain:
            from tracechat.store.iceberg.maintain import run_maintenance

            started = time.perf_counter()
            done = run_maintenance(dsn, warehouse, grace=timedelta(seconds=1))
            report["maintain"] = {"seconds": round(time.perf_counter() - started), **done.as_dict()}
            print(json.dumps(report["maintain"]), flush=True)
            report["after_maintain"] = measure(root, dsn, warehouse, args.duck_dir, args.rounds)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
