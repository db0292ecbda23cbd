"""Many nodes on an S3 warehouse: two receivers and a reader (``tracechat serve --store
iceberg --warehouse s3://…`` as child processes, endpoint and keys in ``AWS_*``) on one
PostgreSQL catalog, the files behind a real S3 API (JuiceFS's gateway, tests/s3gateway.py),
fed by the real OTel SDK exporters; then ``tracechat maintain`` on the same bucket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult
from pyarrow import fs

from tests.otel import grpc_exporter, http_exporter, make_agent_spans, span_ids
from tests.postgres import PostgresServer
from tests.s3gateway import S3Gateway, juicefs_bin
from tests.servers import ChildServer, InProcessServer, settings_for_test
from tracechat.store.iceberg.maintain import run_maintenance

pytestmark = pytest.mark.skipif(juicefs_bin() is None, reason="juicefs-bin (the [dev] extra) is not installed")


@pytest.fixture
def gateway(postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Gateway]:
    started = S3Gateway(postgres)
    for name, value in started.env().items():  # for the in-process readers and the test's own client
        monkeypatch.setenv(name, value)
    yield started
    started.close()


def _receiver(data_dir: Path, uri: str, warehouse: str, gateway: S3Gateway) -> ChildServer:
    flags = ["--store", "iceberg", "--catalog-uri", uri, "--warehouse", warehouse, "--role", "ingest"]
    return ChildServer.start(data_dir, *flags, env=gateway.env())


def _reader(data_dir: Path, uri: str, warehouse: str) -> InProcessServer:
    """A query node in this process (its ``AWS_*`` set by the ``gateway`` fixture)."""
    return InProcessServer(
        settings_for_test(data_dir, store="iceberg", catalog_uri=uri, warehouse=warehouse, role="query")
    )


def _s3(gateway: S3Gateway) -> fs.S3FileSystem:
    """The test's own S3 client: what is in the bucket, independently of tracechat."""
    return fs.S3FileSystem(
        access_key=gateway.access_key,
        secret_key=gateway.secret_key,
        endpoint_override=gateway.endpoint,
        region="us-east-1",
    )


def _objects(client: fs.S3FileSystem, prefix: str) -> list[str]:
    found = client.get_file_info(fs.FileSelector(prefix, recursive=True, allow_not_found=True))
    return sorted(info.path for info in found if info.type == fs.FileType.File)


def _maintain(uri: str, warehouse: str, gateway: S3Gateway, tmp_path: Path, *flags: str) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-m", "tracechat", "maintain", "--catalog-uri", uri, "--warehouse", warehouse, *flags],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TRACECHAT_DATA_DIR": str(tmp_path / "maintain"), **gateway.env()},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, int] = json.loads(done.stdout)
    return report


def _read_all(reader: InProcessServer, expected: dict[str, set[tuple[str, str]]]) -> None:
    """Every acknowledged trace listed by the reader with its spans, each read back whole."""
    listed = httpx.get(f"{reader.api}/agents/traces", params={"project_id": "default", "limit": 100}).json()
    assert {t["trace_id"]: t["span_count"] for t in listed["traces"]} == {t: len(s) for t, s in expected.items()}
    for trace_id, spans in expected.items():
        raw = httpx.get(f"{reader.api}/agents/traces/{trace_id}/spans", params={"project_id": "default"}, timeout=30)
        assert raw.status_code == 200, raw.text
        assert {(trace_id, s["span_id"]) for s in raw.json()["spans"]} == spans


@pytest.mark.slow
def test_receivers_and_a_reader_on_an_s3_warehouse_lose_nothing_and_maintain_cleans_the_bucket(
    postgres: PostgresServer, gateway: S3Gateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, warehouse = postgres.create_database(), gateway.warehouse("tables")
    receivers: list[ChildServer] = []
    readers: list[InProcessServer] = []
    try:
        receivers += [_receiver(tmp_path / f"receiver-{n}", uri, warehouse, gateway) for n in (1, 2)]
        readers.append(_reader(tmp_path / "reader", uri, warehouse))
        reader = readers[0]
        expected: dict[str, set[tuple[str, str]]] = {}
        exporters = [grpc_exporter(receivers[0].grpc_endpoint), http_exporter(receivers[1].otlp_http)]
        for number in range(4):
            spans = make_agent_spans(turns=1)
            assert exporters[number % 2].export(spans) is SpanExportResult.SUCCESS
            expected[format(spans[0].context.trace_id, "032x")] = span_ids(spans)
        split = make_agent_spans(turns=3)  # half through each receiver: two files in one partition
        half = len(split) // 2
        assert exporters[0].export(split[:half]) is SpanExportResult.SUCCESS
        assert exporters[1].export(split[half:]) is SpanExportResult.SUCCESS
        assert exporters[1].export(split[:2]) is SpanExportResult.SUCCESS  # a retry through the other receiver
        expected[format(split[0].context.trace_id, "032x")] = span_ids(split)
        for exporter in exporters:
            exporter.shutdown()

        client = _s3(gateway)
        table_prefix = "tracechat/tables/tracechat/spans"
        data_files = [p for p in _objects(client, f"{table_prefix}/data") if p.endswith(".parquet")]
        assert len(data_files) >= 6  # one per partition per commit: the spans are in the bucket
        _read_all(reader, expected)
        # the assistant's statistics read the planned files too: through Arrow on S3
        usage = reader.service.stores.analytics.usage("default", 0)
        assert sum(row["calls"] for row in usage) == len(expected) + 2  # make_agent_spans: a call per turn

        orphan = f"{table_prefix}/data/left-by-a-dead-receiver.parquet"
        with client.open_output_stream(orphan) as stream:
            stream.write(b"a receiver's file whose commit never came")
        kept = _maintain(uri, warehouse, gateway, tmp_path, "--min-files", "2")
        assert kept["files_replaced"] >= 2  # the split trace's partition, compacted on S3
        assert kept["orphans_removed"] == 0
        assert kept["orphans_kept_young"] >= 1
        assert orphan in _objects(client, table_prefix)

        cleaned = _maintain(uri, warehouse, gateway, tmp_path, "--grace-minutes", "0")
        assert cleaned["orphans_removed"] == 1  # the orphan; the replaced files' snapshot is kept 15 minutes
        assert orphan not in _objects(client, table_prefix)
        # the command keeps snapshots at least 5 minutes: run in process without that floor,
        # the compaction's older snapshot expires and the replaced files go from the bucket too
        for name, value in gateway.env().items():
            monkeypatch.setenv(name, value)
        zero = timedelta(0)
        expired = run_maintenance(uri, warehouse, grace=zero, keep_snapshots=zero, unindexed_after=zero).as_dict()
        assert expired["orphans_removed"] >= kept["files_replaced"]
        left = _objects(client, table_prefix)
        assert orphan not in left
        assert (
            len([p for p in left if p.endswith(".parquet")])
            == len(data_files) - kept["files_replaced"] + (kept["files_written"])
        )
        readers.append(_reader(tmp_path / "reader-after", uri, warehouse))  # plans the compacted files
        _read_all(readers[-1], expected)

        gateway.close()  # the S3 API gone: a read fails retryably, not as an internal error
        trace_id = next(iter(expected))
        away = httpx.get(
            f"{readers[-1].api}/agents/traces/{trace_id}/spans", params={"project_id": "default"}, timeout=120
        )
        assert away.status_code == 503, away.text
        assert away.json()["error"]["code"] == "storage_unavailable"
    finally:
        for receiver in receivers:
            if receiver.process.poll() is None:
                receiver.terminate()
        for started in readers:
            started.stop()
