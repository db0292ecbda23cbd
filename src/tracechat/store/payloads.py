"""Span payloads kept per trace and commit, each group one zstd frame (schema 6).

A row of ``payloads`` holds the payloads of the spans one commit stored for one trace:
for each span its id, its scope id and its protobuf bytes (``spans.raw`` before schema 6),
compressed by us with zstd, frame by frame (one frame per request; a commit joins the
frames of its requests for one trace). Reading a trace then decompresses the trace's own
bytes only: DuckDB's columnar zstd decompressed the whole 2,048-row vector around a
trace's rows (docs/decisions/0006-payloads-per-trace.md). Consecutive spans of a trace
repeat its history, so one frame per trace compresses about as well as the column did.

Pure functions; the store decides where the bytes go (``store/duck.py``)."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

import pyarrow as pa
import zstandard

LEVEL = 3
"""zstd level: 172 bytes per 2.4 KB workload span at 3.4 µs per span (level 1: 180, 3.1 µs)."""

_RECORD = struct.Struct("<HHI")
"""Lengths of a record's span id, scope id and payload; the three follow, in that order."""

PAYLOAD_SCHEMA = pa.schema([("project", pa.string()), ("trace_id", pa.string()), ("spans", pa.binary())])
"""What a request (and then a commit) adds to ``payloads``; the commit adds its batch number."""

Record = tuple[str, str, bytes]
"""(span id, scope id, payload) of one span."""


def pack(records: Iterable[Record]) -> bytes:
    """One zstd frame of the records, in order."""
    parts: list[bytes] = []
    for span_id, scope_id, raw in records:
        span_bytes, scope_bytes = span_id.encode(), scope_id.encode()
        parts += (_RECORD.pack(len(span_bytes), len(scope_bytes), len(raw)), span_bytes, scope_bytes, raw)
    return zstandard.ZstdCompressor(level=LEVEL).compress(b"".join(parts))


def unpack(frames: bytes) -> list[Record]:
    """The records of one or more frames laid end to end (what ``pack`` made, joined)."""
    records: list[Record] = []
    rest = frames
    while rest:
        decompressor = zstandard.ZstdDecompressor().decompressobj()
        data = decompressor.decompress(rest)
        if not decompressor.eof:
            raise ValueError("a span payload frame is cut short")
        rest = decompressor.unused_data
        at, end = 0, len(data)
        while at < end:
            span_len, scope_len, raw_len = _RECORD.unpack_from(data, at)
            at += _RECORD.size
            span_id = data[at : at + span_len].decode()
            at += span_len
            scope_id = data[at : at + scope_len].decode()
            at += scope_len
            records.append((span_id, scope_id, data[at : at + raw_len]))
            at += raw_len
        if at != end:
            raise ValueError("a span payload record is cut short")
    return records


def first_of_each(chunks: Iterable[bytes]) -> list[Record]:
    """The records of the chunks, in order, each span id kept once (its first record: the
    store keeps the span first stored; a chunk may repeat one sent again)."""
    seen: set[str] = set()
    kept: list[Record] = []
    for chunk in chunks:
        for record in unpack(chunk):
            if record[0] not in seen:
                seen.add(record[0])
                kept.append(record)
    return kept


def by_trace(
    projects: Sequence[str],
    trace_ids: Sequence[str],
    span_ids: Sequence[str],
    scope_ids: Sequence[str],
    raws: Sequence[bytes],
) -> pa.Table:
    """A request's spans as ``PAYLOAD_SCHEMA`` rows: one frame per (project, trace id), the
    spans in request order."""
    groups: dict[tuple[str, str], list[Record]] = {}
    for project, trace_id, span_id, scope_id, raw in zip(projects, trace_ids, span_ids, scope_ids, raws, strict=True):
        groups.setdefault((project, trace_id), []).append((span_id, scope_id, raw))
    keys = list(groups)
    return pa.table(
        [
            pa.array([k[0] for k in keys]),
            pa.array([k[1] for k in keys]),
            pa.array([pack(groups[k]) for k in keys], pa.binary()),
        ],
        schema=PAYLOAD_SCHEMA,
    )


def merged(tables: Sequence[pa.Table], keep: set[tuple[str, str]] | None = None) -> pa.Table:
    """The frames of several requests' ``by_trace`` tables, one row per (project, trace id)
    (frames joined in request order); only the traces in ``keep`` when it is given."""
    groups: dict[tuple[str, str], list[bytes]] = {}
    for table in tables:
        columns = (table.column(name).to_pylist() for name in PAYLOAD_SCHEMA.names)
        for project, trace_id, frame in zip(*columns, strict=True):
            if keep is None or (project, trace_id) in keep:
                groups.setdefault((project, trace_id), []).append(frame)
    keys = list(groups)
    return pa.table(
        [pa.array([k[0] for k in keys], pa.string()), pa.array([k[1] for k in keys], pa.string()),
         pa.array([b"".join(groups[k]) for k in keys], pa.binary())],
        schema=PAYLOAD_SCHEMA,
    )  # fmt: skip


STORED_SCHEMA = pa.schema([("batch", pa.int64()), *PAYLOAD_SCHEMA])
"""``payloads`` rows as the migration to schema 6 writes them (batch first)."""


def of_stored(spans: pa.Table) -> pa.Table:
    """Stored spans (``batch, project, trace_id, span_id, scope_id, raw``) as ``payloads``
    rows: one frame per (batch, project, trace id), the spans in the order given."""
    columns = (
        spans.column(name).to_pylist() for name in ("batch", "project", "trace_id", "span_id", "scope_id", "raw")
    )
    groups: dict[tuple[int, str, str], list[Record]] = {}
    for batch, project, trace_id, span_id, scope_id, raw in zip(*columns, strict=True):
        groups.setdefault((batch, project, trace_id), []).append((span_id, scope_id, raw))
    keys = list(groups)
    return pa.table(
        [pa.array([k[0] for k in keys], pa.int64()), pa.array([k[1] for k in keys], pa.string()),
         pa.array([k[2] for k in keys], pa.string()), pa.array([pack(groups[k]) for k in keys], pa.binary())],
        schema=STORED_SCHEMA,
    )  # fmt: skip
