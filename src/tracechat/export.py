"""``tracechat export``: the store as Parquet, payloads decoded into JSON columns."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tracechat.ingest.codec import (
    decode_log_payload,
    decode_resource,
    decode_scope,
    decode_span_payload,
    json_safe,
)
from tracechat.store import parquet
from tracechat.store.parquet import ExportSummary


def _json(value: Any) -> str:
    return json.dumps(json_safe(value), ensure_ascii=False)


def span_columns(raw: bytes, resource: bytes, scope: bytes) -> dict[str, Any]:
    payload = decode_span_payload(raw)
    decoded_scope = decode_scope(scope)
    return {
        "attributes": _json(payload.attributes),
        "events": _json(
            [
                {
                    "name": e.name,
                    "time_unix_nano": e.time_ns,
                    "attributes": e.attributes,
                }
                for e in payload.events
            ]
        ),
        "links": _json(
            [
                {
                    "trace_id": lk.trace_id,
                    "span_id": lk.span_id,
                    "attributes": lk.attributes,
                }
                for lk in payload.links
            ]
        ),
        "resource": _json(decode_resource(resource)),
        "scope_name": decoded_scope.name,
        "scope_version": decoded_scope.version,
        "trace_state": payload.trace_state,
        "flags": payload.flags,
    }


def log_columns(raw: bytes, resource: bytes, scope: bytes) -> dict[str, Any]:
    payload = decode_log_payload(raw)
    decoded_scope = decode_scope(scope)
    return {
        "body": _json(payload.body),
        "attributes": _json(payload.attributes),
        "resource": _json(decode_resource(resource)),
        "scope_name": decoded_scope.name,
        "scope_version": decoded_scope.version,
    }


def export_parquet(
    database: Path,
    out_dir: Path,
    project: str | None = None,
    on_rows: parquet.RowsWritten | None = None,
    on_totals: Callable[[int, int], None] | None = None,
) -> ExportSummary:
    return parquet.export_parquet(
        database,
        out_dir,
        decode_span=span_columns,
        decode_log=log_columns,
        project=project,
        on_rows=on_rows,
        on_totals=on_totals,
    )
