"""A full disk: clients get a retryable answer, nothing unstored is acknowledged, and
ingestion recovers by itself when space returns. The data directory is a small tmpfs of
its own (mounting needs root, which CI has)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.servers import InProcessServer, settings_for_test
from tracechat.store.duck import DuckDBStore

PROTOBUF = {"Content-Type": "application/x-protobuf"}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount_point)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        if os.environ.get("CI"):
            raise RuntimeError(f"cannot mount a tmpfs for the full-disk test: {mounted.stderr.decode()}")
        pytest.skip("mounting a tmpfs needs root")
    yield mount_point
    _unmount(mount_point)


def _unmount(mount_point: Path) -> None:
    """A process that had the disk open (the search index's worker) may still be exiting;
    a mount left behind would make pytest's clean-up of old temp folders fail later."""
    deadline = time.monotonic() + 10
    while subprocess.run(["umount", str(mount_point)], capture_output=True, check=False).returncode != 0:
        if time.monotonic() > deadline:
            subprocess.run(["umount", "--lazy", str(mount_point)], check=True)
            return
        time.sleep(0.1)


def _request() -> tuple[bytes, str]:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    trace_id = os.urandom(16)
    for _ in range(50):
        span = scope.spans.add(trace_id=trace_id, span_id=os.urandom(8), name="x")
        span.attributes.add(key="payload").value.string_value = os.urandom(2000).hex()
    return request.SerializeToString(), trace_id.hex()


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    try:
        with open(filler, "wb") as handle:
            while True:
                handle.write(b"\0" * 65536)
    except OSError:
        pass
    return filler


def test_a_full_disk_is_retryable_and_recovers_by_itself(small_disk: Path) -> None:
    data_dir = small_disk / "data"
    server = InProcessServer(settings_for_test(data_dir))
    acknowledged, refused = [], []
    try:

        def send() -> httpx.Response:
            body, trace_id = _request()
            response = httpx.post(f"{server.otlp_http}/v1/traces", content=body, headers=PROTOBUF, timeout=30)
            (acknowledged if response.status_code == 200 else refused).append(trace_id)
            return response

        assert send().status_code == 200
        filler = _fill(small_disk)
        while_full = [send() for _ in range(3)]
        assert [r.status_code for r in while_full] == [503, 503, 503]
        assert all(int(r.headers["Retry-After"]) >= 1 for r in while_full)
        filler.unlink()  # space returns
        assert send().status_code == 200
    finally:
        server.stop()
    store = DuckDBStore(data_dir / "tracechat.duckdb")
    try:
        assert all(store.trace("default", t) is not None for t in acknowledged)
        assert all(store.trace("default", t) is None for t in refused)
        assert store.span_count() == 50 * len(acknowledged)
    finally:
        store.close()
