"""Replay OTLP request files (``.pb`` protobuf, ``.json`` OTLP/JSON) into a receiver, in
this process (``serve --demo``) or over OTLP/HTTP to a running server (``tracechat load``).

A file holds one export request. Logs requests are told apart by a ``.logs.`` in the file
name (``0003.logs.pb``) or, for JSON, by a top-level ``resourceLogs``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest as PB2LogsRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest as PB2TraceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse as PB2TraceResponse,
)

from tracechat.auth.keys import OPEN
from tracechat.errors import InvalidInput
from tracechat.ingest import retime
from tracechat.ingest.otlp import (
    Encoding,
    Signal,
    decode_logs_request,
    decode_trace_request,
)
from tracechat.ingest.receiver import Receiver


@dataclass(frozen=True, slots=True)
class RequestFile:
    path: Path
    signal: Signal
    encoding: Encoding


@dataclass(slots=True)
class LoadSummary:
    files: int = 0
    spans: int = 0
    log_records: int = 0
    rejected: int = 0


def find_request_files(paths: Iterable[Path]) -> Iterator[RequestFile]:
    """Request files named directly, or found (sorted, recursively) under directories."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                found = _classify(child, strict=True)
                if found:
                    yield found
        else:
            found = _classify(path, strict=False)
            if found is None:
                raise InvalidInput(f"{path}: not an OTLP request file (.pb or .json)")
            yield found


def _classify(path: Path, strict: bool) -> RequestFile | None:
    logs_by_name = ".logs." in path.name
    if path.suffix == ".pb":
        return RequestFile(path, Signal.LOGS if logs_by_name else Signal.TRACES, Encoding.PROTOBUF)
    if path.suffix != ".json":
        return None
    if logs_by_name:
        return RequestFile(path, Signal.LOGS, Encoding.JSON)
    try:
        head = json.loads(path.read_bytes())
    except ValueError:
        if strict:
            return None
        raise InvalidInput(f"{path}: not valid JSON") from None
    if isinstance(head, dict) and "resourceLogs" in head:
        return RequestFile(path, Signal.LOGS, Encoding.JSON)
    if isinstance(head, dict) and ("resourceSpans" in head or not strict):
        return RequestFile(path, Signal.TRACES, Encoding.JSON)
    return None


def _record_count(request: PB2TraceRequest | PB2LogsRequest) -> int:
    if isinstance(request, PB2TraceRequest):
        return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
    return sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)


def load_paths_in_process(receiver: Receiver, paths: Iterable[Path], end_at_ns: int | None = None) -> LoadSummary:
    """Feed request files through the receiver as an admin would send them.

    With ``end_at_ns``, the requests of each folder are moved in time together so that the
    folder's latest span ends then (``serve --demo``: captured traces look recent on any day).
    """
    summary = LoadSummary()
    files = list(find_request_files(paths))
    for folder in dict.fromkeys(file.path.parent for file in files):
        group = [(file, decode_request(file)) for file in files if file.path.parent == folder]
        latest = retime.latest_ns(request for _, request in group)
        offset = end_at_ns - latest if end_at_ns is not None and latest is not None else 0
        for file, request in group:
            retime.shift(request, offset)
            body = request.SerializeToString()
            result = receiver.export_as(OPEN, file.signal, body, Encoding.PROTOBUF, "file")
            _tally(summary, file, _record_count(request), result.rejected)
    return summary


def decode_request(file: RequestFile) -> PB2TraceRequest | PB2LogsRequest:
    body = file.path.read_bytes()
    if file.signal is Signal.TRACES:
        return decode_trace_request(body, file.encoding)
    return decode_logs_request(body, file.encoding)


def send_paths(
    paths: Iterable[Path], endpoint: str, token: str | None, on_file: Callable[[], None] | None = None
) -> LoadSummary:
    """POST each request file to a running server's OTLP/HTTP endpoint (``on_file`` is told
    after each, for progress)."""
    summary = LoadSummary()
    for file in find_request_files(paths):
        body = file.path.read_bytes()
        request = decode_request(file)
        rejected = _post(
            endpoint.rstrip("/") + f"/v1/{file.signal.value}",
            body,
            file.encoding,
            token,
        )
        _tally(summary, file, _record_count(request), rejected)
        if on_file is not None:
            on_file()
    return summary


def _tally(summary: LoadSummary, file: RequestFile, records: int, rejected: int) -> None:
    summary.files += 1
    summary.rejected += rejected
    if file.signal is Signal.TRACES:
        summary.spans += records - rejected
    else:
        summary.log_records += records - rejected


def _post(url: str, body: bytes, encoding: Encoding, token: str | None) -> int:
    headers = {"Content-Type": encoding.value}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:500]
        raise InvalidInput(f"{url} answered {exc.code}: {detail}") from None
    return _rejected_in(answer, encoding)


def _rejected_in(answer: bytes, encoding: Encoding) -> int:
    if encoding is Encoding.JSON:
        partial = json.loads(answer or b"{}").get("partialSuccess", {})
        return int(partial.get("rejectedSpans", partial.get("rejectedLogRecords", 0)))
    # Both response types keep the rejected count in field 1 of field 1.
    return PB2TraceResponse.FromString(answer).partial_success.rejected_spans
