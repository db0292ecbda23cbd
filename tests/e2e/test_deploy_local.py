"""``deploy/run-local.sh`` run as an operator runs it: PostgreSQL, the warehouse, two
receivers behind HAProxy, one reader and the maintenance job on one machine (ephemeral
loopback ports, a fresh directory), spans sent through HAProxy by the real OTel SDK
exporters, read back through the reader, and everything the script started stopped by its
own SIGTERM handling.

The script's output goes to a file, never to a pipe (its children would hold the pipe open
and a reader of it would wait for them), and the script runs in its own session, so the
test can find anything it left behind: every process of that session is gone at the end.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otel import grpc_exporter, http_exporter, make_agent_spans, span_ids

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "run-local.sh"
READY = "tracechat cluster in "
START_S = 180.0  # six processes on a loaded 2-core machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _backend_base() -> int:
    """A ``BACKEND_BASE`` whose receiver ports (the script's base + 10..12 and + 20..22)
    are free now."""
    for _ in range(200):
        base = _free_port() // 100 * 100 - 100
        if base < 10_000:
            continue
        sockets = []
        try:
            for offset in (10, 11, 12, 20, 21, 22):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free range of receiver ports")


def _session_processes(session: int) -> list[int]:
    """Pids of live processes in ``session`` (zombies left to their parents apart)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            state, found_session = fields[0], int(fields[3])
            if found_session == session and state != "Z":
                found.append(int(entry.name))
    return found


@dataclass
class Cluster:
    process: subprocess.Popen[bytes]
    dir: Path
    grpc: str
    http: str
    api: str
    receiver_apis: list[str]

    def log(self, name: str) -> str:
        path = self.dir / "logs" / name
        return path.read_text(errors="replace") if path.exists() else ""

    def output(self) -> str:
        return (self.dir.parent / "run-local.out").read_text(errors="replace")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed: apt-get install -y haproxy (.ci/run does)")
    # Under /tmp itself: when the tests run as root, the script hands DIR to the postgres
    # user, who must reach it (pytest's own tmp_path is private to root).
    scratch = Path(tempfile.mkdtemp(prefix="tracechat-deploy-"))
    os.chmod(scratch, 0o755)
    directory = scratch / "cluster"
    ports = {name: _free_port() for name in ("GRPC_PORT", "HTTP_PORT", "API_PORT", "PG_PORT")}
    base = _backend_base()
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "BACKEND_BASE": str(base),
        "MAINTAIN_EVERY_S": "2",
        "START_TIMEOUT_S": str(int(START_S)),
        "TRACECHAT": f"{sys.executable} -m tracechat",
    }
    with open(scratch / "run-local.out", "wb") as out:
        process = subprocess.Popen(
            ["bash", str(SCRIPT), str(directory)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its own session: what it leaves behind is found by it
        )
    running = Cluster(
        process,
        directory,
        grpc=f"127.0.0.1:{ports['GRPC_PORT']}",
        http=f"http://127.0.0.1:{ports['HTTP_PORT']}",
        api=f"http://127.0.0.1:{ports['API_PORT']}",
        receiver_apis=[f"http://127.0.0.1:{base + n * 10 + 2}" for n in (1, 2)],
    )
    try:
        deadline = time.monotonic() + START_S + 30
        while READY not in running.output():
            if process.poll() is not None or time.monotonic() > deadline:
                logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in _logs(directory))
                pytest.fail(f"run-local.sh did not get ready (exit {process.poll()}):\n{running.output()}\n{logs}")
            time.sleep(0.2)
        yield running
    finally:
        _stop(process)
        shutil.rmtree(scratch, ignore_errors=True)


def _logs(directory: Path) -> list[Path]:
    return sorted((directory / "logs").glob("*.log")) if (directory / "logs").exists() else []


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the script (by its pid), which stops what it started; anything of its
    session still there after that is killed by pid, and the test fails."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=90)
    left: list[int] = []
    deadline = time.monotonic() + 30
    while (left := _session_processes(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if process.poll() is None:
        process.kill()
        process.wait()
        pytest.fail("run-local.sh did not exit on SIGTERM")
    assert not left, f"run-local.sh left processes running: {left}"


def _stored(api: str) -> float:
    """The receiver's count of spans committed (its /metrics)."""
    for line in httpx.get(f"{api}/metrics", timeout=30).text.splitlines():
        if line.startswith("tracechat_spans_stored_total "):
            return float(line.split()[1])
    return 0.0


def test_the_local_cluster_takes_spans_through_haproxy_and_the_reader_reads_them_back(cluster: Cluster) -> None:
    sent = []
    grpc = grpc_exporter(cluster.grpc)
    http = http_exporter(cluster.http)
    for number in range(6):  # round-robin per request: both receivers get some of each
        spans = make_agent_spans(turns=1)
        exporter = grpc if number % 2 else http
        assert exporter.export(spans) is SpanExportResult.SUCCESS
        sent.append(spans)
    grpc.shutdown()
    http.shutdown()

    stored = [_stored(api) for api in cluster.receiver_apis]
    assert all(count > 0 for count in stored), stored  # HAProxy sent to both receivers
    assert sum(stored) == sum(len(spans) for spans in sent)
    listed = httpx.get(f"{cluster.api}/agents/traces", params={"project_id": "default", "limit": 100}).json()
    by_trace = {t["trace_id"]: t["span_count"] for t in listed["traces"]}
    assert by_trace == {format(s[0].context.trace_id, "032x"): len(s) for s in sent}
    for spans in (sent[0], sent[-1]):
        trace_id = format(spans[0].context.trace_id, "032x")
        read = httpx.get(f"{cluster.api}/agents/traces/{trace_id}/spans", params={"project_id": "default"}).json()
        assert {(trace_id, s["span_id"]) for s in read["spans"]} == span_ids(spans)

    deadline = time.monotonic() + 120  # the maintenance job runs every 2 s here
    while '"tables"' not in cluster.log("maintain.log") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert '"tracechat.spans"' in cluster.log("maintain.log"), cluster.log("maintain.log")[-2000:]

    postmaster = (cluster.dir / "pg" / "postmaster.pid").read_text().split()[0]
    _stop(cluster.process)
    assert cluster.process.returncode == 130  # stopped by its signal, not by a failure
    assert not Path(f"/proc/{postmaster}").exists()
    assert not (cluster.dir / "pg" / "postmaster.pid").exists()  # a clean shutdown


UNITS = SCRIPT.parent / "systemd"


def test_the_systemd_units_verify_clean() -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is not installed: apt-get install -y systemd (.ci/run does)")
    units = sorted(str(path) for path in UNITS.glob("tracechat-*"))
    assert len(units) == 4  # receiver@, reader, maintain service and timer
    done = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60, check=False
    )
    # it exits 0 on a misspelt key or value too, with a warning: none may be printed
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_a_receiver_instance_listens_where_haproxy_looks_for_it(tmp_path: Path) -> None:
    """The template's command, expanded for instance 14010 as systemd does (%i) and run by
    /bin/sh with a ``tracechat`` that prints its arguments, has the run-local.sh layout:
    OTLP/gRPC on the instance's port, OTLP/HTTP on the next, the API on the one after."""
    unit = (UNITS / "tracechat-receiver@.service").read_text()
    (line,) = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    argv = shlex.split(line.removeprefix("ExecStart=").replace("%i", "14010"))
    fake = tmp_path / "tracechat"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "STATE_DIRECTORY": "/var/lib/tracechat/receiver-14010"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=30, check=True)
    assert done.stdout.split() == [
        "serve",
        "--role",
        "ingest",
        "--data-dir",
        "/var/lib/tracechat/receiver-14010",
        "--grpc-port",
        "14010",
        "--otlp-http-port",
        "14011",
        "--port",
        "14012",
    ]
    assert "receivers_grpc" in (SCRIPT.read_text())  # the backends these ports are named for
